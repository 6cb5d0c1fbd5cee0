"""Never lose a save: the DB worker is the only writer.

A clerk types a value into a report while an import runs in the background; the import is
cancelled. The value must be in the database afterwards (it used to be written on the UI thread
into the import's open transaction, reported as saved, and rolled back with the import)."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from i18n.errors import Cancelled

TOWNSHIP = "110108001000"  # 万寿路街道, under the county of the window fixture
FORM = "kexie_volunteer_monthly"
PERIOD = "2026-10"


def _township_bundle(tmp_path):
    from exports import export_bundle
    from localdb import open_store
    from localdb.demo import run_demo

    out = tmp_path / "township.xlsx"
    with open_store(tmp_path / "township") as store:
        store.set_unit(TOWNSHIP)
        store.set_clerk("李华")
        run_demo(store, records=4, seed=3)
        export_bundle(store, out)
    return out


def _committed(store, uuid):
    """The report's value as a fresh connection sees it (what survives a restart)."""
    from localdb.schema import quote, table_name

    conn = sqlite3.connect(store.path)
    try:
        table = quote(table_name(FORM))
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ?", [table_name(FORM)]
        ).fetchone()
        sql = f"SELECT vol_registered FROM {table} WHERE _uuid = ?"
        row = conn.execute(sql, [uuid]).fetchone() if exists else None
    finally:
        conn.close()
    return row[0] if row else None


def test_a_save_made_while_an_import_is_cancelled_is_kept(
    qtbot, window, answers, tmp_path, monkeypatch
):
    from desktop.transfer import start_import
    from localdb.store import Store

    bundle = _township_bundle(tmp_path)
    inside, go = threading.Event(), threading.Event()
    real = Store.upsert_rows

    def slow_upsert(self, *args, **kwargs):
        result = real(self, *args, **kwargs)
        inside.set()  # the import's transaction is open now
        assert go.wait(30)
        return result

    monkeypatch.setattr(Store, "upsert_rows", slow_upsert)
    failures: list[BaseException] = []
    import desktop.transfer as transfer

    real_run_op = transfer.run_op

    def run_op(*args, **kwargs):
        kwargs["failure"] = failures.append
        return real_run_op(*args, **kwargs)

    monkeypatch.setattr(transfer, "run_op", run_op)
    op = start_import(window, str(bundle))
    assert inside.wait(30)

    page = window.open_entry(FORM, period=PERIOD)
    page.set_raw("vol_registered", "120")  # the clerk types; the draft is saved

    op.cancel()
    with qtbot.waitSignal(op.done, timeout=30_000):
        go.set()
    assert failures and isinstance(failures[0], Cancelled)
    _wait_idle(qtbot, window)
    assert page.uuid
    assert _committed(window.store, page.uuid) == 120
    assert window.store.get(FORM, page.uuid)["vol_registered"] == 120


def _wait_idle(qtbot, window):
    db = getattr(window, "db", None)
    if db is not None:
        db.wait_idle()
    qtbot.wait(50)


@pytest.mark.parametrize("write", ["setting", "save"])
def test_the_store_refuses_a_write_from_the_ui_thread(window, write):
    """Once the window runs, only the DB worker may write: a UI-thread write is a bug."""
    from localdb.store import WrongThreadError

    store = window.store
    with pytest.raises(WrongThreadError):
        if write == "setting":
            store.set_setting("language", "en")
        else:
            store.save(FORM, {"vol_registered": 1}, period=PERIOD)
    # reads on the UI thread still work, on their own read-only connection
    assert store.get_setting("unit") == store.unit_code


def _busy_cancelled_job(window):
    """A job on the worker that opens a transaction, writes, waits, and is cancelled (rolled
    back) — like an import cancelled half-way. Returns (op, release)."""
    from desktop import ops

    inside, go = threading.Event(), threading.Event()

    def job(task):
        with window.store.db.atomic():
            window.store.db.execute(
                "INSERT INTO _settings (key, value) VALUES ('probe', '1') "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
            )
            inside.set()
            assert go.wait(30)
            raise Cancelled()

    op = ops.run_op(window, job, failure=lambda exc: None)
    assert inside.wait(30)
    return op, go


def test_every_ui_write_waits_for_a_cancelled_job_and_is_kept(qtbot, window, answers):
    from localdb.demo import run_demo

    window.db.write(lambda s: run_demo(s, records=3, seed=1))
    survey = "kexie_survey"
    victim = window.store.records(survey)[0]["_uuid"]
    records = window.records_page()
    records.select_form(survey)

    op, go = _busy_cancelled_job(window)
    # an interview answered, a record deleted, the language remembered — all while busy
    page = window.open_entry(survey)
    page.set_raw("site_name", "海淀区医院")
    assert window.db.pending >= 1  # queued, not written into the job's transaction
    from desktop.records import DeleteCommand

    records.undo_stack.push(DeleteCommand(records, survey, victim, "录错了"))
    window.set_language("zh_CN")
    with qtbot.waitSignal(op.done, timeout=30_000):
        go.set()
    assert window.db.wait_idle()
    assert window.store.get_setting("probe") is None  # the job itself was rolled back
    assert window.store.get(survey, page.uuid)["site_name"] == "海淀区医院"
    assert window.store.get(survey, victim)["_deleted"] == 1
    assert window.store.get_setting("language") == "zh_CN"
    assert window.db.pending == 0
