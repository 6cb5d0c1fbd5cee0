"""Report entry: a clerk fills and finalises the volunteer monthly report with the keyboard
alone; errors block finalising; a warning needs an explanation; a nil report is one action."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

FORM = "kexie_volunteer_monthly"
PERIOD = "2026-10"

# (value typed, whether it is text needing an input method) in the grid's order.
NUMBERS = ["120", "6", "50", "40", "12", "30", "3", "8", "5", "2", "900", "150"]


def _open(window):
    page = window.open_entry(FORM, period=PERIOD)
    assert window.stack.currentWidget() is page
    assert page.period == PERIOD
    return page


def _type_numbers(qtbot, numbers):
    for text in numbers:
        widget = QApplication.focusWidget()
        qtbot.keyClicks(widget, text)
        qtbot.keyClick(widget, Qt.Key.Key_Return)


def _type_cover(qtbot, typer):
    for text, ime in (
        ("李华", True),
        ("王小明", True),
        ("13812345678", False),
        (date.today().isoformat(), False),
    ):
        widget = QApplication.focusWidget()
        (typer(widget, text) if ime else qtbot.keyClicks(widget, text))
        qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_fill_and_finalise_with_the_keyboard_alone(qtbot, window, answers, typer):
    page = _open(window)
    page.activated()
    assert QApplication.focusWidget() is page.rows["vol_registered"].editor.widget
    # 其中 items sit indented under their total.
    assert page.rows["vol_new"].label.contentsMargins().left() > 0
    assert page.rows["vol_registered"].label.contentsMargins().left() == 0
    assert page.rows["vol_registered"].unit.text() == "人"

    _type_numbers(qtbot, NUMBERS)
    # Enter skips the worked-out indicators and lands in the cover fields.
    assert QApplication.focusWidget() is page.rows["unit_head"].editor.widget
    _type_cover(qtbot, typer)
    assert QApplication.focusWidget() is page.rows["remarks"].editor.widget
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert QApplication.focusWidget() is page.btn_finalise
    qtbot.keyClick(page.btn_finalise, Qt.Key.Key_Return)

    assert answers.shown == []  # nothing blocked
    assert page.status == "finalised"
    record = window.store.get(FORM, page.uuid)
    assert record["_status"] == "finalised"
    assert record["vol_registered"] == 120
    assert record["unit_head"] == "李华"
    assert record["active_rate"] == 25  # worked out by the form: 30 of 120
    assert page.rows["vol_registered"].editor.widget.isEnabled() is False  # locked now
    # Home shows the report as finalised and ready to export.
    window.go_home()
    row = [f.form_id for f in window.home.forms].index(FORM)
    assert window.home.summaries[row]["ready"] == 1


def test_errors_block_finalising_and_the_cursor_goes_there(qtbot, window, answers):
    page = _open(window)
    page.activated()
    _type_numbers(qtbot, ["10", "20"])  # 其中 new (20) exceeds the total (10)
    message = page.rows["vol_new"].message.text()
    assert message  # shown beside the field at once
    assert not page.finalise()
    assert answers.kinds("warn")
    assert page.status == "draft"
    assert QApplication.focusWidget() is page.rows["vol_new"].editor.widget
    # The draft was saved on every change.
    record = window.store.get(FORM, page.uuid)
    assert record["_status"] == "draft" and record["vol_new"] == 20


def test_a_warning_needs_an_explanation_typed_beside_it(qtbot, window, answers, typer):
    page = _open(window)
    page.activated()
    numbers = list(NUMBERS)
    numbers[1] = "60"  # half of the registered volunteers are new: plausible but unusual
    _type_numbers(qtbot, numbers)
    _type_cover(qtbot, typer)
    row = page.rows["new_share"]
    assert row.explain.isEnabled()
    assert "30%" in row.message.text()

    assert not page.finalise()
    assert answers.kinds("warn")[-1][0] == "暂不能定稿"
    assert QApplication.focusWidget() is row.explain
    typer(row.explain, "本月开展集中注册活动")
    qtbot.keyClick(row.explain, Qt.Key.Key_Return)
    assert page.finalise()
    record = window.store.get(FORM, page.uuid)
    assert record["_status"] == "finalised"
    assert record["_explanations"] == {"new_share": "本月开展集中注册活动"}


def test_nil_report_in_one_action(qtbot, window, answers):
    page = _open(window)
    qtbot.mouseClick(page.btn_nil, Qt.MouseButton.LeftButton)
    assert answers.kinds("confirm")
    assert page.status == "nil"
    uuid = window.store.find_report(FORM, unit=window.store.unit_code, period=PERIOD)
    assert window.store.get(FORM, uuid)["_status"] == "nil"
    assert not page.rows["vol_registered"].editor.widget.isEnabled()
    # Figures turned up after all: the nil report is filled in without a reason.
    asked = len(answers.kinds("ask"))
    qtbot.mouseClick(page.btn_edit, Qt.MouseButton.LeftButton)
    assert len(answers.kinds("ask")) == asked
    page.set_raw("vol_registered", "80")
    record = window.store.get(FORM, uuid)
    assert record["_status"] == "draft" and record["vol_registered"] == 80


def test_editing_a_finalised_report_asks_for_a_reason(qtbot, window, answers, typer):
    page = _open(window)
    page.activated()
    _type_numbers(qtbot, NUMBERS)
    _type_cover(qtbot, typer)
    assert page.finalise()
    assert page.btn_edit.isVisible()
    qtbot.mouseClick(page.btn_edit, Qt.MouseButton.LeftButton)
    assert answers.kinds("ask")
    editor = page.rows["vol_orgs"].editor.widget
    assert editor.isEnabled()
    editor.setFocus()
    editor.selectAll()
    qtbot.keyClicks(editor, "4")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    audit = window.store.audit_rows(FORM, page.uuid)
    assert any(a["field"] == "vol_orgs" and a["reason"] == answers.text for a in audit)


def test_last_periods_value_beside_each_input_and_the_drop_warning(qtbot, county_store, answers):
    """与上期比较: the 上期 column shows September's figures; a fall of more than half in
    registered volunteers is a warning that needs its explanation."""
    from desktop.mainwindow import MainWindow
    from tests.gui.conftest import destroy

    store = county_store
    september = {
        "vol_registered": 2400,
        "vol_new": 30,
        "vol_female": 900,
        "vol_young": 1000,
        "vol_retired": 200,
        "vol_active": 400,
        "vol_orgs": 12,
        "activities": 30,
        "activities_rural": 12,
        "activities_online": 3,
        "people_served": 2500,
        "service_hours": 900.0,
    }
    store.save(FORM, september, unit=store.unit_code, period="2026-09")
    window = MainWindow(store)
    window.show()
    qtbot.waitExposed(window)
    try:
        _check_previous_column(window)
    finally:
        destroy(window)


def _check_previous_column(window):
    page = _open(window)
    assert page._headers[3].text() == "上期"
    assert page.rows["vol_registered"].previous.text() == "2400"
    assert page.rows["service_hours"].previous.text() == "900"
    assert page.rows["unit_head"].previous.text() == ""
    page.set_raw("vol_registered", "1000")
    page.set_raw("vol_new", "20")
    state = page.engine.state("registered_change")
    assert state.severity == "warning"
    assert "下降超过 50%" in page.rows["registered_change"].message.text()
    assert page.rows["registered_change"].explain.isEnabled()
    # A new report for another period compares with that period's previous one (none here).
    page.period_box.setCurrentIndex(page.period_box.findData("2026-08"))
    assert page.rows["vol_registered"].previous.text() == ""
