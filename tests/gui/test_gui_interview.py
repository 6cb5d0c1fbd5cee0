"""Interview mode: one section per page, consent first, skip logic live, keyboard navigation,
start/end time and interviewer recorded, and a review page that jumps to each problem."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

FORM = "kexie_survey"


def _open(window):
    page = window.open_entry(FORM)
    assert window.stack.currentWidget() is page
    assert page.current == 0
    return page


def _enter(qtbot, text=None, typer=None):
    widget = QApplication.focusWidget()
    if text is not None:
        (typer or qtbot.keyClicks)(widget, text)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def _visible(page, name):
    return not page.questions[name].box.isHidden()


def test_refused_consent_skips_to_the_review_and_finishes(qtbot, window, answers, typer):
    page = _open(window)
    assert page.section.text() == "访问信息"
    page.interviewer.setFocus()
    qtbot.keyClicks(page.interviewer, "F0123")
    qtbot.keyClick(page.interviewer, Qt.Key.Key_Tab)  # leaving the box fills the answer
    assert page.engine.state("interviewer_id").value == "F0123"
    assert page.started is not None

    page.activated()  # the cursor is on the first question of the page
    assert QApplication.focusWidget() is page.questions["interviewer_id"].editor.widget
    _enter(qtbot)  # already answered from the interviewer box
    _enter(qtbot, "110108")
    _enter(qtbot, "海淀区医院", typer)
    _enter(qtbot, "1")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_1)  # interview mode: option 1
    assert page.engine.state("interview_mode").value == "face"
    _enter(qtbot)
    assert not _visible(page, "refusal_reason")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_2)  # consent: no
    assert page.engine.state("consent").value == "no"
    assert _visible(page, "refusal_reason")  # skip logic, live
    assert not page.page_relevant(1)  # every later section is skipped
    _enter(qtbot)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_1)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_PageDown)

    assert page.current == len(page.pages)  # straight to the review
    assert page.review_list.count() == 0
    assert page.btn_finalise.isEnabled()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)

    assert window.stack.currentWidget() is window.home
    records = window.store.records(FORM)
    assert len(records) == 1
    record = records[0]
    assert record["_status"] == "finalised"
    assert record["consent"] == "no"
    assert record["interviewer_id"] == "F0123"
    assert record["sex"] is None
    assert record["start"] and record["end"] and record["start"] <= record["end"]
    assert window.store.get_setting("interviewer") == "F0123"


def test_skip_logic_and_review_jump_to_question(qtbot, window, answers):
    page = _open(window)
    for name, raw in (
        ("interviewer_id", "F0123"),
        ("site_code", "110108"),
        ("site_name", "医院"),
        ("respondent_no", "2"),
        ("interview_mode", "face"),
        ("consent", "yes"),
    ):
        page.set_raw(name, raw)
    assert page.page_relevant(1)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert page.current == 1 and page.section.text() == "一、基本情况"
    assert not _visible(page, "ent_ownership")
    page.set_raw("employer_type", "enterprise")
    assert _visible(page, "ent_ownership") and not _visible(page, "uni_type")
    page.set_raw("employer_type", "university")
    assert not _visible(page, "ent_ownership") and _visible(page, "uni_type")
    page.set_raw("birth_year", "1990")
    assert page.engine.state("age").value > 30  # worked out live

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert page.current == 0
    page.show_index(len(page.pages))
    problems = [page.review_list.item(i).text() for i in range(page.review_list.count())]
    assert problems and not page.btn_finalise.isEnabled()
    assert any("您的性别" in p for p in problems)
    assert not any("企业" in p for p in problems)  # skipped questions are not problems
    sex = next(i for i, p in enumerate(problems) if "您的性别" in p)
    page.review_list.setCurrentRow(sex)
    qtbot.keyClick(page.review_list, Qt.Key.Key_Return)
    assert page.current == 1
    assert QApplication.focusWidget() in page.questions["sex"].editor._option_buttons()
    # Finishing is blocked while problems remain; the draft is kept.
    assert not page.finalise()
    assert window.store.get(FORM, page.uuid)["_status"] == "draft"


def test_a_warning_in_an_interview_needs_an_explanation(qtbot, window, answers, typer):
    page = _open(window)
    page.set_raw("consent", "yes")
    page.set_raw("work_days", "7")
    page.set_raw("daily_hours", "14")  # 98 hours a week: possible, but explain it
    item = page.questions["weekly_hours"]
    assert not item.explain.isHidden()  # shown beside the question
    problems = page.problems()
    assert ("weekly_hours", "warning") in [(n, s) for n, s, _ in problems]
    typer(item.explain, "农忙季节")
    item.explain.editingFinished.emit()
    assert ("weekly_hours", "warning") not in [(n, s) for n, s, _ in page.problems()]
