"""Found walking the real window as a township and a county would (acc2): the township's
文件 → 导入 must take the county's 退回 file (and the other file kinds the app writes), and the
summaries at the end of an import, export or merge keep their line breaks (no literal "\\n")."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog

from tests.gui.test_gui_returns import FORM, PERIOD, TOWN, _township


def _import_through_the_dialog(qtbot, window, answers, paths):
    """What 文件 → 导入下级文件 does: the import dialog, its list, 导入."""
    from desktop.importing import ImportDialog

    answers.shown.clear()
    window.import_(paths)
    dialog = window.findChild(ImportDialog, "import_dialog")
    assert dialog is not None and dialog.files.count() == len(paths)
    dialog.start()
    qtbot.waitUntil(lambda: bool(answers.kinds("inform") or answers.kinds("warn")), timeout=30000)
    return answers.shown[-1]


def test_the_township_imports_a_return_through_the_import_dialog(
    qtbot, window, answers, tmp_path, capsys, monkeypatch
):
    from desktop import returns as ui
    from desktop.mainwindow import MainWindow
    from localdb import open_store
    from tests.gui.conftest import destroy

    town = _township(tmp_path, capsys)
    kind, _title, text = _import_through_the_dialog(
        qtbot, window, answers, [str(tmp_path / "t.xlsx")]
    )
    assert kind == "inform", text
    uuid = window.store.find_report(FORM, unit=TOWN, period=PERIOD)
    page = window.open_entry(FORM, uuid=uuid, period=PERIOD)

    def fill(self):
        self.reason.setPlainText("注册人数与上月相差过大")
        self.table.item(self.names.index("vol_registered"), 2).setText("请与平台核对")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ui.ReturnDialog, "exec", fill)
    answers.save_file = str(tmp_path / "return.xlsx")
    page.return_report()
    qtbot.waitUntil(lambda: page.status == "returned", timeout=20000)

    store = open_store(town)
    try:
        w = MainWindow(store)
        w.show()
        qtbot.waitExposed(w)
    except BaseException:
        store.close()
        raise
    try:
        kind, _title, text = _import_through_the_dialog(
            qtbot, w, answers, [str(tmp_path / "return.xlsx")]
        )
        assert kind == "inform", text
        assert "注册人数与上月相差过大" in text
        page = w.open_entry(FORM, period=PERIOD)
        assert page.status == "returned"
        assert "请与平台核对" in page.rows["vol_registered"].message.text()
    finally:
        destroy(w)
        store.close()


def test_import_export_and_merge_summaries_keep_their_line_breaks(
    qtbot, window, answers, tmp_path, capsys
):
    from desktop.transfer import ExportDialog, MergeDialog

    _township(tmp_path, capsys)
    _kind, _title, text = _import_through_the_dialog(
        qtbot, window, answers, [str(tmp_path / "t.xlsx")]
    )
    assert "\\n" not in text and "\n" in text, text

    answers.shown.clear()
    dialog = ExportDialog(window)
    dialog.file.edit.setText(str(tmp_path / "county.xlsx"))
    dialog.start()
    qtbot.waitUntil(lambda: bool(answers.kinds("inform")), timeout=30000)
    text = answers.kinds("inform")[-1][1]
    assert "\\n" not in text and "\n" in text, text

    answers.shown.clear()
    merge = MergeDialog(window)
    merge.add_paths([str(tmp_path / "t.xlsx")])
    merge.out.edit.setText(str(tmp_path / "merged.xlsx"))
    merge.start()
    qtbot.waitUntil(lambda: bool(answers.kinds("inform")), timeout=30000)
    text = answers.kinds("inform")[-1][1]
    assert "\\n" not in text and "\n" in text, text


def test_a_subordinates_report_at_the_county_compares_with_that_units_last_period(
    qtbot, window, answers, tmp_path, capsys
):
    """At the county, 向 a township's report: 上期 and 与上期比较 are that township's previous
    report, not the county's own (nor nothing)."""
    from forms import periods as P
    from kexie.cli import main
    from tests.gui.test_gui_returns import VALUES

    town = _township(tmp_path, capsys)
    before = P.previous_period(PERIOD)
    sets = [a for k, v in {**VALUES, "vol_registered": 111}.items() for a in ("--set", f"{k}={v}")]
    assert main(["--data", str(town), "report", FORM, "--period", before, *sets]) == 0
    assert main(["--data", str(town), "export", "--out", str(tmp_path / "t2.xlsx")]) == 0
    # the county's own report for that earlier month, with other figures
    own = {**VALUES, "vol_registered": 999}
    op = window.db.write(lambda s: s.save(FORM, own, period=before, status="finalised"))
    qtbot.waitUntil(lambda: op.finished, timeout=20000)
    assert op.ok, getattr(op, "error", None)
    capsys.readouterr()
    kind, _title, text = _import_through_the_dialog(
        qtbot, window, answers, [str(tmp_path / "t2.xlsx")]
    )
    assert kind == "inform", text
    uuid = window.store.find_report(FORM, unit=TOWN, period=PERIOD)
    page = window.open_entry(FORM, uuid=uuid, period=PERIOD)
    assert page.rows["vol_registered"].previous.text() == "111"


def _fits(board, text: str, column: int) -> bool:
    # the text's width plus the cell's margins within the column (else Qt draws "已报…")
    return board.fontMetrics().horizontalAdvance(text) + 6 <= board.columnWidth(column)


def test_the_board_shows_every_cell_whole_at_1024x600(qtbot, window):
    """上报情况 at the county on a small screen: no "未报…", "026年7月" or "八月…" — a column is
    as wide as its text and the board scrolls sideways instead; each cell says it all in its
    tooltip too."""
    from PySide6.QtWidgets import QApplication

    from localdb.demo import run_demo

    window.db.write(lambda s: run_demo(s, records=10, seed=5))
    window.resize(1024, 600)
    window.nav.setCurrentRow(2)
    page = window.dashboard_page()
    QApplication.processEvents()
    board = page.board
    assert board.rowCount() > 1
    header = board.horizontalHeader()
    cut = [board.horizontalHeaderItem(c).text() for c in range(board.columnCount())
           if header.sectionSizeHint(c) > board.columnWidth(c)]  # fmt: skip
    cut += [board.item(r, c).text() for c in range(board.columnCount())
            for r in range(board.rowCount()) if not _fits(board, board.item(r, c).text(), c)]  # fmt: skip
    assert not cut, cut
    for c in range(board.columnCount()):
        for r in range(board.rowCount()):
            item = board.item(r, c)
            assert item.toolTip() and item.text() in item.toolTip()


def test_the_summary_never_says_ready_when_finalising_would_be_refused(qtbot, window, answers):
    """Every figure typed, the 联系电话 (required) left empty: the line under the grid must not
    say 审核通过，可以定稿 while 审核并定稿 refuses; and it names only what there is to do (no
    "0 处提示需说明")."""
    from i18n import tr
    from tests.gui.test_gui_returns import VALUES

    page = window.open_entry(FORM, period=PERIOD)
    for name, value in VALUES.items():
        if name != "phone":
            page.set_raw(name, str(value))
    page.set_raw("phone", "")
    assert page.summary.text() != tr("ui.report.ready")
    assert page.summary.text() == tr("ui.report.blanks_left", count=1)
    assert not page.finalise()
    assert page.summary.text() == tr("ui.report.summary_errors", errors=1)
    assert "0" not in page.summary.text()
    page.set_raw("phone", "13800000000")
    assert page.summary.text() == tr("ui.report.ready")


def test_the_volunteer_legend_stays_inside_its_chart_in_english():
    """English at 1366×768: the legend ("Registered science volunteers (end of month)") ran
    over the y-axis label and ticks, out of the plotting area."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    import i18n
    from desktop import charts

    old = i18n.get_language()
    i18n.set_language("en")
    try:
        months = [f"2026-{m:02d}" for m in range(1, 12)]
        fig = charts.volunteers_figure(
            {
                "Registered science volunteers (end of month)": [
                    (m, 320.0 + i) for i, m in enumerate(months)
                ],
                "Volunteers active this month": [(m, 50.0 + 9 * i) for i, m in enumerate(months)],
            }
        )  # fmt: skip
        fig.set_size_inches(3.6, 2.6)  # the chart's size in the dashboard at 1366×768
        fig.set_dpi(100)
        FigureCanvasAgg(fig).draw()
        ax = fig.axes[0]
        renderer = fig.canvas.get_renderer()
        (legend,) = fig.legends or [ax.get_legend()]
        box = legend.get_window_extent(renderer)
        page = fig.bbox
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0, (box, page)
        for part in (ax.yaxis, ax.xaxis, ax._left_title, *ax.get_lines()):
            other = part.get_tightbbox(renderer) if hasattr(part, "get_tightbbox") else None
            other = other or part.get_window_extent(renderer)
            assert not box.overlaps(other), (part, box, other)
    finally:
        i18n.set_language(old)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_records_column_heads_are_not_cut_at_both_ends(qtbot, window, lang):
    """The records list of the annual report: a long question label ("本级是否已建立科协组织",
    "Has the association been established…") showed as "级是否已建立科协组" / "tion been
    establishe". Each line of a head fits its column; the whole label is the tooltip."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFontMetrics

    import i18n

    old = i18n.get_language()
    window.set_language(lang)
    try:
        window.open_records("kexie_org_annual")
        page = window.records_page()
        view, model = page.view, page.view.model()
        fm = QFontMetrics(view.horizontalHeader().font())
        for c in range(model.columnCount()):
            text = model.headerData(c, Qt.Orientation.Horizontal)
            full = model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
            assert full and full.startswith(text.split("\n")[0]), (text, full)
            for line in text.split("\n"):
                assert fm.horizontalAdvance(line) + 8 <= view.columnWidth(c), (c, line)
    finally:
        window.set_language(old)
