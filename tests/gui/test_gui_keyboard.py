"""Keyboard first, on a small screen: every keyboard move (Enter, arrows, "cursor moved to the
first error", the review page's jump-to-question) brings the focused field into view, at
1366×728 (1366×768 less a taskbar) and at 1024×600; digits reach options beyond 9; likert
blocks are a compact grid; multi-line questions are multi-line boxes; Enter works in every
explanation box."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QScrollArea

SIZES = [(1366, 728), (1024, 600)]
REPORT = "kexie_volunteer_monthly"
SURVEY = "kexie_survey"
NUMBERS = ["120", "6", "50", "40", "12", "30", "3", "8", "5", "2", "900", "150"]


def in_view(widget) -> bool:
    """Whether ``widget`` lies wholly inside the viewport of the scroll area holding it, and
    that viewport inside the window."""
    QApplication.processEvents()
    area = widget.parentWidget()
    while area is not None and not isinstance(area, QScrollArea):
        area = area.parentWidget()
    assert area is not None, "the field is not in a scroll area"
    viewport = area.viewport()
    rect = QRect(widget.mapTo(viewport, QPoint(0, 0)), widget.size())
    window = widget.window()
    vp_in_window = QRect(viewport.mapTo(window, QPoint(0, 0)), viewport.size())
    return viewport.rect().contains(rect) and window.rect().contains(vp_in_window)


def _sized(window, size):
    window.resize(*size)
    QApplication.processEvents()
    assert window.width() == size[0] and window.height() == size[1]
    return window


@pytest.mark.parametrize("size", SIZES, ids=["1366x728", "1024x600"])
def test_report_grid_follows_the_cursor(qtbot, window, answers, typer, size):
    _sized(window, size)
    page = window.open_entry(REPORT, period="2026-10")
    page.activated()
    seen_scroll = set()
    for text in [*NUMBERS, "李华", "王小明", "13812345678", "2026-11-02"]:
        widget = QApplication.focusWidget()
        assert in_view(widget), f"{widget.objectName()} is off-screen at {size}"
        (typer(widget, text) if not text.isascii() else qtbot.keyClicks(widget, text))
        qtbot.keyClick(widget, Qt.Key.Key_Return)
        bar = page.findChild(QScrollArea).verticalScrollBar()
        seen_scroll.add(bar.value())
    assert len(seen_scroll) > 1  # the grid is taller than the window: the view did move
    assert in_view(QApplication.focusWidget())
    # ↑ all the way back to the top: still always in view
    for _ in range(len(NUMBERS) + 4):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Up)
        assert in_view(QApplication.focusWidget())
    # an error far up while the view is at the bottom: "光标已移到第一处" must be visible
    page.set_raw("vol_new", "500")  # 其中 exceeds the total 120
    page.rows["remarks"].editor.focus_target().setFocus()
    assert in_view(page.rows["remarks"].editor.widget)
    assert not page.finalise()
    assert QApplication.focusWidget() is page.rows["vol_new"].editor.widget
    assert in_view(QApplication.focusWidget())


@pytest.mark.parametrize("size", SIZES, ids=["1366x728", "1024x600"])
def test_interview_follows_the_cursor_and_the_review_jump(qtbot, window, answers, size):
    _sized(window, size)
    page = window.open_entry(SURVEY)
    for name, raw in (
        ("interviewer_id", "F0123"),
        ("site_code", "110108"),
        ("site_name", "医院"),
        ("respondent_no", "2"),
        ("interview_mode", "face"),
        ("consent", "yes"),
    ):
        page.set_raw(name, raw)
    page.go_next()
    assert page.section.text() == "一、基本情况"
    # Enter through the long page: the cursor is always in view
    for _ in range(14):
        widget = QApplication.focusWidget()
        assert in_view(widget), f"{widget.objectName()} off-screen at {size}"
        if page.current != 1:
            break
        qtbot.keyClick(widget, Qt.Key.Key_1)  # choices: option 1; numbers: typed
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    # review: jump to a question far down its page
    page.show_index(len(page.pages))
    names = [page.review_list.item(i).data(Qt.ItemDataRole.UserRole + 2) for i in range(
        page.review_list.count())]  # fmt: skip
    target = "job_change" if "job_change" in names else names[-1]
    page.review_list.setCurrentRow(names.index(target))
    qtbot.keyClick(page.review_list, Qt.Key.Key_Return)
    focused = QApplication.focusWidget()
    assert focused is page.questions[target].editor.focus_target()
    assert in_view(focused)


def test_the_window_fits_a_small_screen(window):
    from PySide6.QtCore import QSize

    from desktop.mainwindow import initial_size

    # 1366×768 with a 40-pixel taskbar, and a netbook's 1024×600 with one
    for avail in (QSize(1366, 728), QSize(1024, 560)):
        size = initial_size(avail)
        assert size.width() <= avail.width() - 10 and size.height() <= avail.height() - 30
    # every page fits 1024×600 (the window's minimum size is smaller)
    for opener in (lambda: None, lambda: window.open_entry(REPORT, period="2026-10"),
                   lambda: window.open_records(SURVEY)):  # fmt: skip
        opener()
        QApplication.processEvents()
        hint = window.minimumSizeHint()
        assert hint.width() <= 1024 and hint.height() <= 560


def test_digits_reach_options_beyond_nine(qtbot, window, answers):
    page = window.open_entry(SURVEY)
    page.set_raw("consent", "yes")
    concerns = page.questions["concerns"].editor  # 12 options, several may be ticked
    assert len(concerns.choices) == 12
    target = concerns.focus_target()
    qtbot.keyClick(target, Qt.Key.Key_1)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_2)  # quickly: option 12, not 1 and 2
    chosen = page.engine.state("concerns").value
    assert chosen == concerns.choices[11].name
    qtbot.wait(1000)  # later digits start afresh
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_3)
    assert set(page.engine.state("concerns").value.split()) == {
        concerns.choices[11].name,
        concerns.choices[2].name,
    }
    ethnicity = page.questions["ethnicity"].editor  # 11 options: a drop-down
    box = ethnicity.widget
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_1)
    qtbot.keyClick(box, Qt.Key.Key_1)
    assert page.engine.state("ethnicity").value == ethnicity.choices[10].name
    assert box.itemText(11).startswith("11. ")


def test_likert_block_is_a_compact_grid(qtbot, window, answers):
    page = window.open_entry(SURVEY)
    page.set_raw("consent", "yes")
    names = ["sat_overall", "sat_income", "sat_conditions", "sat_career"]
    page.jump_to(names[0])
    QApplication.processEvents()
    for name in names:
        buttons = page.questions[name].editor._option_buttons()
        assert len({b.mapTo(page, QPoint(0, 0)).y() for b in buttons}) == 1  # one row
        assert buttons[0].text() == "1" and "满意" in buttons[0].toolTip() + buttons[4].toolTip()
    # rows share columns: option 3 of every row sits at the same x
    xs = {
        page.questions[n].editor._option_buttons()[2].mapTo(page, QPoint(0, 0)).x() for n in names
    }
    assert len(xs) == 1
    heads = [h for h, q, _ in page._likert_heads if q.name == "sat_overall"]
    assert heads and "1." in heads[0].findChildren(type(page.section))[0].text()
    box = page.questions["sat_income"].box
    assert box.height() < 80  # a row, not five lines of options
    qtbot.keyClick(page.questions["sat_income"].editor.focus_target(), Qt.Key.Key_4)
    assert (
        page.engine.state("sat_income").value == page.questions["sat_income"].editor.choices[3].name
    )


def test_multiline_questions_are_multiline_boxes(qtbot, window, answers, typer):
    page = window.open_entry(SURVEY)
    page.set_raw("consent", "yes")
    editor = page.questions["suggestion"].editor
    assert isinstance(editor.widget, QPlainTextEdit)
    assert editor.widget.height() > 2 * editor.widget.fontMetrics().lineSpacing()
    page.jump_to("suggestion")
    typer(editor.widget, "第一行")
    qtbot.keyClick(editor.widget, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    typer(editor.widget, "第二行")
    qtbot.keyClick(editor.widget, Qt.Key.Key_Return)  # Enter commits and moves on
    assert page.engine.state("suggestion").value == "第一行\n第二行"
    assert QApplication.focusWidget() is not editor.widget
    report = window.open_entry("kexie_org_annual", period="2025")
    assert isinstance(report.rows["remarks"].editor.widget, QPlainTextEdit)


def test_enter_works_in_every_explanation_box(qtbot, window, answers, typer):
    page = window.open_entry(REPORT, period="2026-10")
    page.set_raw("vol_registered", "120")
    page.set_raw("vol_new", "60")  # 50 % new: the worked-out share needs an explanation
    row = page.rows["new_share"]
    assert row.explain.isEnabled()
    row.explain.setFocus()
    typer(row.explain, "集中注册")
    qtbot.keyClick(row.explain, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is not row.explain  # moved on
    after = page.order[page.order.index("new_share") + 1 :]
    owner = page._row_of(QApplication.focusWidget())
    assert owner in after
    assert page._current_explanations()["new_share"] == "集中注册"

    interview = window.open_entry(SURVEY)
    interview.set_raw("consent", "yes")
    interview.set_raw("work_days", "7")
    interview.set_raw("daily_hours", "14")
    item = interview.questions["weekly_hours"]
    interview.jump_to("daily_hours")
    item.explain.setFocus()
    typer(item.explain, "农忙季节")
    qtbot.keyClick(item.explain, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is not item.explain
    assert window.db.wait_idle()
    stored = window.store.get(SURVEY, interview.uuid)
    assert stored["_explanations"] == {"weekly_hours": "农忙季节"}


def test_size_splitter_and_folders_are_remembered(qtbot, county_store, tmp_path, monkeypatch):
    """Close the window with another size, splitter position and folder; the next window
    opens the same way, and file dialogs start in the folder chosen last."""
    from PySide6.QtWidgets import QFileDialog

    from desktop import dialogs
    from desktop.mainwindow import MainWindow
    from tests.gui.conftest import destroy

    bundles = tmp_path / "下级报来"
    bundles.mkdir()
    asked: list[str] = []

    def fake_open(parent, title, folder, filters):
        asked.append(folder)
        return str(bundles / "a.xlsx"), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake_open)
    w = MainWindow(county_store)
    w.show()
    qtbot.waitExposed(w)
    w.resize(760, 540)
    w.splitter.setSizes([120, 880])
    QApplication.processEvents()
    assert dialogs.open_file(w, "导入", "*.xlsx") == str(bundles / "a.xlsx")
    nav = w.nav.width()
    destroy(w)
    assert county_store.get_setting("ui.folders")["open"] == str(bundles)

    w = MainWindow(county_store)
    w.show()
    qtbot.waitExposed(w)
    QApplication.processEvents()
    assert (w.width(), w.height()) == (760, 540)
    assert w.nav.width() == nav
    dialogs.open_file(w, "导入", "*.xlsx")
    assert asked[-1] == str(bundles)  # the dialog starts where the last file was
    destroy(w)


def test_form_hints_show_under_the_field_and_as_tooltips(window, answers):
    page = window.open_entry(REPORT, period="2026-10")
    hinted = [n for n in page.order if page.rows[n].question.hint()]
    assert hinted
    for name in hinted:
        row, hint = page.rows[name], page.rows[name].question.hint()
        assert hint in row.label.text()  # under the label, small
        assert row.label.toolTip() == hint and row.editor.widget.toolTip() == hint
    interview = window.open_entry(SURVEY)
    q = next(q for q in interview.questions.values() if q.question.hint() and q.editor)
    assert q.hint.text() == q.question.hint() and q.editor.widget.toolTip() == q.question.hint()


def test_f1_opens_the_guide_for_the_current_screen(qtbot, window, answers):
    from desktop.helpguide import HelpDialog, guide_file

    page = window.open_entry(REPORT, period="2026-10")
    page.activated()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F1)
    dialogs = [d for d in window.findChildren(HelpDialog) if d.isVisible()]
    assert dialogs and dialogs[-1].section == "report"
    assert "填写报表" in dialogs[-1].browser.toPlainText()
    dialogs[-1].close()
    interview = window.open_entry(SURVEY)
    interview.activated()
    assert window.guide().section == "interview"
    assert guide_file("en").name == "en.html" and "user guide" in guide_file("en").read_text()
    window.set_language("en")
    dialog = window.guide()
    assert "Interviews" in dialog.browser.toPlainText()
    window.set_language("zh_CN")
