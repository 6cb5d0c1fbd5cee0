"""Right by default: the period just ended, 未到期 instead of 未报, no phantom drafts, stale
explanations dropped, mistyped numbers kept and explained, the interviewer as the author,
finished interviews read-only, deleting a finalised record asks why, newest first, the next
interview, and a report cover that fills itself."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from forms.periods import current_period, reporting_period

REPORT = "kexie_volunteer_monthly"
ANNUAL = "kexie_org_annual"
SURVEY = "kexie_survey"


def _count(window, form_id):
    assert window.db.wait_idle()
    return window.store.count(form_id)


def test_the_period_just_ended_is_the_default():
    assert reporting_period("month", date(2026, 12, 1)) == "2026-11"
    assert reporting_period("month", date(2026, 1, 3)) == "2025-12"
    assert reporting_period("year", date(2026, 12, 1)) == "2025"
    assert reporting_period("quarter", date(2026, 10, 2)) == "2026-Q3"
    # unless this period's report is under way already
    assert reporting_period("month", date(2026, 12, 1), lambda p: p == "2026-12") == "2026-12"


def test_reports_open_on_the_period_just_ended(qtbot, window, answers):
    page = window.open_entry(REPORT)
    assert page.period == reporting_period("month")
    annual = window.open_entry(ANNUAL)
    assert annual.period == reporting_period("year") == str(date.today().year - 1)
    window.go_home()
    row = [f.form_id for f in window.home.forms].index(REPORT)
    assert window.home.summaries[row]["period"] == reporting_period("month")
    # this month's report started already: that is the one that opens
    current = current_period("month")
    started = window.open_entry(REPORT, period=current)
    started.set_raw("vol_registered", "10")
    assert window.open_entry(REPORT).period == current


def test_the_board_does_not_count_a_period_not_yet_due_as_missing(county_store):
    from desktop.dashboard import completeness, not_yet_due

    form = county_store.form(REPORT)  # due: the 5th of the next month
    today = date(2026, 12, 1)
    assert not_yet_due(form, "2026-12", today) and not_yet_due(form, "2026-11", today)
    assert not not_yet_due(form, "2026-10", today)
    rows = completeness(county_store, form, ["2026-10", "2026-11", "2026-12"], today)
    for _code, _name, states in rows:
        assert states == ["missing", "pending", "pending"]
    annual = county_store.form(ANNUAL)
    assert not not_yet_due(annual, "2025", date(2026, 12, 1))
    assert not_yet_due(annual, "2026", date(2026, 12, 1))


def test_opening_and_leaving_a_form_saves_nothing(qtbot, window, answers):
    page = window.open_entry(REPORT)
    page.activated()
    for _ in range(5):  # walk through the cells without typing
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    page.period_box.setCurrentIndex(0)  # another period
    page.period_box.setCurrentIndex(3)
    qtbot.mouseClick(page.btn_back, Qt.MouseButton.LeftButton)
    assert _count(window, REPORT) == 0

    # an interview: Tab through the first page, close it
    interview = window.open_entry(SURVEY)
    interview.activated()
    interview.interviewer.setFocus()
    for _ in range(4):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    interview.go_next()
    qtbot.mouseClick(interview.btn_close, Qt.MouseButton.LeftButton)
    assert _count(window, SURVEY) == 0
    window.go_home()
    row = [f.form_id for f in window.home.forms].index(REPORT)
    assert window.home.summaries[row]["drafts"] == 0


def test_an_explanation_goes_when_its_warning_no_longer_applies(qtbot, window, answers, typer):
    page = window.open_entry(REPORT, period="2026-10")
    page.set_raw("vol_registered", "120")
    page.set_raw("vol_new", "60")  # 50 % new: a warning on the share
    row = page.rows["new_share"]
    assert row.explain.isEnabled()
    typer(row.explain, "集中注册")
    row.explain.editingFinished.emit()
    assert window.db.wait_idle()
    assert window.store.get(REPORT, page.uuid)["_explanations"] == {"new_share": "集中注册"}
    page.set_raw("vol_new", "6")  # corrected: 5 %, no warning any more
    assert row.explain.text() == "" and not row.explain.isEnabled()
    assert window.db.wait_idle()
    assert not window.store.get(REPORT, page.uuid)["_explanations"]


def test_the_store_drops_an_explanation_whose_warning_is_gone(county_store):
    uuid = county_store.save(
        REPORT,
        {"vol_registered": 120, "vol_new": 60},
        period="2026-10",
        explanations={"new_share": "集中注册"},
    )
    assert county_store.get(REPORT, uuid)["_explanations"] == {"new_share": "集中注册"}
    county_store.save(REPORT, {"vol_registered": 120, "vol_new": 6}, uuid=uuid)
    assert not county_store.get(REPORT, uuid)["_explanations"]


def test_a_mistyped_number_stays_and_says_what_is_wrong(qtbot, window, answers):
    page = window.open_entry(REPORT, period="2026-10")
    page.activated()
    cell = page.rows["vol_registered"].editor.widget
    for text, expected in (("1.5", "请输入整数"), ("abc", "请输入整数")):
        cell.setFocus()
        cell.selectAll()
        qtbot.keyClicks(cell, text)
        qtbot.keyClick(cell, Qt.Key.Key_Return)
        assert cell.text() == text  # kept, so it can be corrected
        message = page.rows["vol_registered"].message.text()
        assert expected in message and "必须" not in message
    assert not page.finalise()
    assert "请输入整数" in page.rows["vol_registered"].message.text()
    assert QApplication.focusWidget() is cell and cell.text() == "abc"
    qtbot.keyClicks(cell, "120")  # selected on the way back: typing replaces it
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    assert page.rows["vol_registered"].message.text() == ""
    assert page.engine.state("vol_registered").value == 120

    interview = window.open_entry(SURVEY)
    box = interview.questions["respondent_no"].editor.widget
    box.setFocus()
    qtbot.keyClicks(box, "2.5")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert "请输入整数" in interview.questions["respondent_no"].message.text()
    assert box.text() == "2.5"


def test_the_interviewer_id_is_asked_once_and_is_the_author(qtbot, window, answers):
    page = window.open_entry(SURVEY)
    assert page.interviewer.text() == ""
    question = page.questions["interviewer_id"].editor.widget
    question.setFocus()
    qtbot.keyClicks(question, "F0777")  # typed into the question, not the box at the top
    qtbot.keyClick(question, Qt.Key.Key_Return)
    page.set_raw("site_code", "110108")
    assert window.db.wait_idle()
    record = window.store.get(SURVEY, page.uuid)
    assert record["interviewer_id"] == "F0777"
    assert record["_author"] == "F0777"  # not the clerk
    assert page.interviewer.text() == "F0777"
    assert window.store.get_setting("interviewer") == "F0777"
    qtbot.mouseClick(page.btn_close, Qt.MouseButton.LeftButton)
    nxt = window.open_entry(SURVEY)  # the next interview knows the interviewer
    assert nxt.interviewer.text() == "F0777"
    nxt.set_raw("site_code", "110108")
    assert nxt.engine.state("interviewer_id").value == "F0777"
    assert window.db.wait_idle()
    assert window.store.get(SURVEY, nxt.uuid)["_author"] == "F0777"


def _finish_refused_consent(page):
    for name, raw in (
        ("interviewer_id", "F0123"),
        ("site_code", "110108"),
        ("site_name", "医院"),
        ("respondent_no", "7"),
        ("interview_mode", "face"),
        ("consent", "no"),
        ("refusal_reason", page.questions["refusal_reason"].editor.choices[0].name),
    ):
        page.set_raw(name, raw)
    page.show_index(len(page.pages))


def test_next_interview_newest_first_and_a_reason_to_delete_a_finalised_one(qtbot, window, answers):
    page = window.open_entry(SURVEY)
    _finish_refused_consent(page)
    first = page.uuid
    assert page.btn_finish_next.isEnabled()
    qtbot.mouseClick(page.btn_finish_next, Qt.MouseButton.LeftButton)
    nxt = window.stack.currentWidget()
    assert nxt.objectName() == "interview_page" and nxt is not page and nxt.uuid is None
    _finish_refused_consent(nxt)
    qtbot.mouseClick(nxt.btn_finalise, Qt.MouseButton.LeftButton)
    assert window.db.wait_idle()
    assert window.store.get(SURVEY, first)["_status"] == "finalised"

    window.open_records(SURVEY)
    records = window.records_page()
    model = records.model
    assert model.record(0)["_uuid"] == nxt.uuid  # the newest first
    records.view.selectRow(0)
    answers.text = None  # no reason given: nothing is deleted
    records.delete_current()
    assert _count(window, SURVEY) == 2
    assert answers.kinds("ask")[-1][0] == "删除已定稿的记录"
    answers.text = "重复录入"
    records.delete_current()
    assert window.db.wait_idle()
    audit = window.store.audit_rows(SURVEY, nxt.uuid)
    assert any(a["action"] == "delete" and a["reason"] == "重复录入" for a in audit)


def test_the_report_cover_fills_itself(qtbot, window, answers, typer):
    page = window.open_entry(REPORT, period="2026-10")
    state = page.engine.state
    assert state("filled_by").value == window.store.clerk == "王小明"
    assert str(state("fill_date").value) == date.today().isoformat()
    assert state("unit_head").value is None  # nothing to carry over yet
    assert _count(window, REPORT) == 0  # filled in, but nothing typed: no draft
    page.set_raw("unit_head", "李华")
    page.set_raw("phone", "13812345678")
    assert window.db.wait_idle()
    nxt = window.open_entry(REPORT, period="2026-11")
    assert nxt.engine.state("unit_head").value == "李华"
    assert nxt.engine.state("phone").value == "13812345678"
    assert nxt.rows["unit_head"].editor.widget.text() == "李华"
    annual = window.open_entry(ANNUAL, period="2025")  # another report form: carried too
    assert annual.engine.state("unit_head").value == "李华"
