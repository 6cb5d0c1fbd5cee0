"""Records: a lazily paged, searchable, sortable table; open to edit (with a reason once
finalised); delete with undo."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.records import PAGE, RecordsModel

SURVEY = "kexie_survey"


@pytest.fixture
def demo_window(window):
    from localdb.demo import run_demo

    window.db.write(lambda s: run_demo(s, records=30, seed=11))
    return window


def _page(window, form_id=SURVEY):
    window.open_records(form_id)
    page = window.records_page()
    assert window.stack.currentWidget() is page
    return page


def test_records_model_passes_the_model_tester(qtmodeltester, county_store):
    from localdb.demo import run_demo

    run_demo(county_store, records=12, seed=2)
    for form_id in (SURVEY, "kexie_volunteer_monthly"):
        model = RecordsModel(county_store, county_store.form(form_id))
        assert model.rowCount() == county_store.count(form_id)
        qtmodeltester.check(model)


def test_search_sort_and_count(qtbot, demo_window, typer):
    page = _page(demo_window)
    model = page.model
    total = demo_window.store.count(SURVEY)
    assert model.rowCount() == total == 30
    assert page.count_label.text() == f"共 {total} 条"
    status = model.columns.index("_status")
    assert {model.index(r, status).data() for r in range(total)} <= {"草稿", "已定稿", "已导出"}

    sites = [model.record(r)["site_name"] for r in range(total)]
    site = next(s for s in sites if s and sites.count(s) < total)
    typer(page.search, site)
    qtbot.waitUntil(lambda: model.rowCount() < total, timeout=3000)
    assert page.count_label.text() == f"共 {model.rowCount()} 条"
    assert all(site in (model.record(r)["site_name"] or "") for r in range(model.rowCount()))

    page.search.clear()
    qtbot.waitUntil(lambda: model.rowCount() == total, timeout=3000)
    column = model.columns.index("respondent_no")
    with qtbot.waitSignal(model.loaded, timeout=5000):  # sorting runs in the background
        page.view.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    numbers = [model.record(r)["respondent_no"] for r in range(total)]
    assert numbers == sorted(numbers, key=lambda n: (n is not None, n))


def test_delete_and_undo(qtbot, demo_window):
    page = _page(demo_window)
    total = page.model.rowCount()
    page.view.selectRow(0)
    uuid = page.model.record(0)["_uuid"]
    qtbot.mouseClick(page.btn_delete, Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == total - 1
    assert demo_window.store.get(SURVEY, uuid)["_deleted"] == 1
    assert page.btn_undo.isEnabled()
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert page.model.rowCount() == total
    assert demo_window.store.get(SURVEY, uuid)["_deleted"] == 0


def test_a_finalised_interview_opens_read_only_and_edit_asks_a_reason(qtbot, demo_window, answers):
    page = _page(demo_window)
    model = page.model
    row = next(r for r in range(model.rowCount()) if model.record(r)["_status"] == "finalised")
    page.view.selectRow(row)
    asked = len(answers.kinds("ask"))
    page.open_current()
    interview = demo_window.stack.currentWidget()
    assert interview.objectName() == "interview_page"
    assert len(answers.kinds("ask")) == asked  # just looking needs no reason
    assert interview.locked and interview.reason is None
    assert interview.btn_edit.isVisible()
    editors = [q.editor.widget for q in interview.questions.values() if q.editor is not None]
    assert editors and not any(w.isEnabled() for w in editors)
    answers.text = None  # 修改, then the clerk cancels the reason box: still read-only
    qtbot.mouseClick(interview.btn_edit, Qt.MouseButton.LeftButton)
    assert interview.locked
    answers.text = "受访者更正出生年份"
    qtbot.mouseClick(interview.btn_edit, Qt.MouseButton.LeftButton)
    assert not interview.locked and interview.reason == "受访者更正出生年份"
    assert any(w.isEnabled() for w in editors)
    assert interview.uuid == model.record(row)["_uuid"]


def test_large_table_reads_only_the_pages_it_shows(qtbot, window):
    import bench.app_start as bench

    window.db.write(lambda s: bench.fill_records(s, SURVEY, 20_000))
    page = _page(window)
    model = page.model
    assert model.rowCount() == 20_000
    QApplication.processEvents()
    page.view.scrollToBottom()
    QApplication.processEvents()
    last = model.index(19_999, 0)
    assert model.data(last) is not None
    assert len(model._pages) <= 4  # first screen, last screen: not 20,000 / PAGE pages
    assert len(model._pages) < 20_000 // PAGE


def test_search_on_a_large_table_runs_in_the_background(qtbot, window):
    import time

    import bench.app_start as bench

    window.db.write(lambda s: bench.fill_records(s, SURVEY, 20_000))
    page = _page(window)
    model = page.model
    start = time.perf_counter()
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_search("site_name-19999")
        returned = time.perf_counter() - start
        assert model.rowCount() == 20_000  # the old rows stay until the answer arrives
    assert returned < 0.05
    assert model.rowCount() == 1
    assert page.count_label.text() == "共 1 条"
