"""A save from the window evaluates the form once: the store takes the page's evaluation."""

from __future__ import annotations

import localdb.records

REPORT = "kexie_volunteer_monthly"
SURVEY = "kexie_survey"


def _count_store_evaluations(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = localdb.records._evaluate

    def counting(form, *args, **kwargs):
        calls.append(form.form_id)
        return real(form, *args, **kwargs)

    monkeypatch.setattr(localdb.records, "_evaluate", counting)
    return calls


def test_report_saves_and_finalises_without_a_second_evaluation(qtbot, window, monkeypatch):
    calls = _count_store_evaluations(monkeypatch)
    page = window.open_entry(REPORT, period="2026-10")
    page.set_raw("vol_registered", "80")
    record = window.store.get(REPORT, page.uuid)
    assert record["vol_registered"] == 80 and record["_status"] == "draft"
    assert calls == []


def test_interview_autosave_without_a_second_evaluation(qtbot, window, monkeypatch):
    calls = _count_store_evaluations(monkeypatch)
    page = window.open_entry(SURVEY)
    page.set_raw("interviewer_id", "F0123")
    assert window.store.get(SURVEY, page.uuid)["interviewer_id"] == "F0123"
    assert calls == []
