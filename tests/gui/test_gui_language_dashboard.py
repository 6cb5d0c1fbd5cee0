"""Switching language applies at once to every open screen; the dashboard draws charts and
the completeness board; an XLSForm can be added, with its problems shown."""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication

import i18n


def _switch(window, code):
    window.lang_actions[code].trigger()
    assert i18n.get_language() == code


def test_switch_language_without_restart(qtbot, window):
    report = window.open_entry("kexie_volunteer_monthly", period="2026-10")
    assert report._headers[0].text() == "指标名称"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"

    _switch(window, "en")
    assert window.nav.item(0).text() == "Home"
    assert window.file_menu.title() == "&File"
    assert window.home.btn_export.text() == "Export bundle"
    assert window.home.table.horizontalHeaderItem(0).text() == "Form"
    assert report._headers[0].text() == "Indicator"
    assert report.rows["vol_new"].label.text() == "Of which: new this month"
    assert report.rows["vol_registered"].unit.text() == "persons"
    assert report.btn_finalise.text() == "Check and finalise"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"
    assert window.store.get_setting("language") == "en"

    _switch(window, "zh_CN")
    assert window.nav.item(0).text() == "首页"
    assert report.rows["vol_new"].label.text() == "其中：本月新增"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"


def test_dashboard_charts_and_completeness(qtbot, window):
    from localdb.demo import run_demo

    window.db.write(lambda s: run_demo(s, records=10, seed=5))
    window.nav.setCurrentRow(2)
    page = window.dashboard_page()
    assert window.stack.currentWidget() is page
    assert len(page.canvases) == 3
    volunteers = page.canvases[0].figure.axes[0]
    assert volunteers.get_title(loc="left") == "科技志愿者人数（按月）"
    assert volunteers.get_lines() and max(volunteers.get_lines()[0].get_ydata()) > 0
    assert page.notice.isHidden()  # a CJK font was found

    board = page.board
    children = window.store.units.children(window.store.unit_code)
    assert board.rowCount() == 1 + len(children)
    # The monthly form states a deadline: the last two columns are the rates (考核), and a
    # cell may say how late it came (the demo's reports are entered today, after their due day).
    assert board.horizontalHeaderItem(board.columnCount() - 1).text() == "及时率"
    cells = {board.item(r, c).text() for r in range(board.rowCount())
             for c in range(1, board.columnCount() - 2)}  # fmt: skip
    states = {re.sub(r"（逾期\d+天）$", "", t) for t in cells}
    assert "已报" in states
    assert states <= {"已报", "空表", "未报", "未到期"}
    # the period not over yet (and one before its deadline) is 未到期, never 未报
    from desktop.dashboard import not_yet_due

    form = window.store.form(page.board_form.currentData())
    for c, period in enumerate(page.periods, start=1):
        column = {board.item(r, c).text() for r in range(board.rowCount())}
        if not_yet_due(form, period):
            assert "未报" not in column
    last = {board.item(r, len(page.periods)).text() for r in range(board.rowCount())}
    assert "未报" not in last and "未到期" in last
    rates = {board.item(r, board.columnCount() - 2).text() for r in range(board.rowCount())}
    assert all(t == "-" or t.endswith("%") for t in rates)

    _switch(window, "en")
    assert page.canvases[0].figure.axes[0].get_title(loc="left") == "Science volunteers by month"
    assert board.horizontalHeaderItem(0).text() == "Unit"


def _xlsform(path, rows, form_id="my_form"):
    from openpyxl import Workbook

    wb = Workbook()
    survey = wb.active
    survey.title = "survey"
    survey.append(["type", "name", "label::中文 (zh)", "label::English (en)"])
    for row in rows:
        survey.append(row)
    settings = wb.create_sheet("settings")
    settings.append(["form_id", "form_title", "version"])
    settings.append([form_id, "乡镇科普活动登记", "1"])
    wb.save(path)
    return path


def test_add_a_form_and_see_its_problems(qtbot, window, answers, tmp_path):
    from desktop.addform import add_form

    good = _xlsform(tmp_path / "good.xlsx", [
        ["text", "place", "活动地点", "Place"],
        ["integer", "people", "参加人数", "People"],
    ])  # fmt: skip
    with qtbot.waitSignal(add_form(window, str(good)).done, timeout=10_000) as blocker:
        pass
    form, _problems = blocker.args[0]
    assert form is not None and form.form_id == "my_form"
    assert "my_form" in [f.form_id for f in window.home.forms]
    assert answers.kinds("inform")

    bad = _xlsform(tmp_path / "bad.xlsx", [
        ["integer", "people", "参加人数", "People"],
        ["integer", "people", "重复的名字", "Duplicate"],
    ], form_id="bad_form")  # fmt: skip
    with qtbot.waitSignal(add_form(window, str(bad)).done, timeout=10_000) as blocker:
        pass
    assert blocker.args[0][0] is None
    assert "bad_form" not in [f.form_id for f in window.store.forms()]
    title, text = answers.kinds("warn")[-1]
    assert title == "表单有错误"
    assert "bad.xlsx" in text and "people" in text
