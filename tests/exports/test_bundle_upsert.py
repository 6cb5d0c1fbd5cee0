"""localdb's batched ``upsert_rows`` (the import's write path) behaves as row-by-row writing."""

from __future__ import annotations

import pytest

from i18n.errors import StorageError
from localdb import open_store

TOWN = "330106002000"
FORM = "kexie_volunteer_monthly"


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "d") as s:
        s.set_unit("330106000000")
        yield s


def _row(uuid: str, period: str, modified: str = "2026-02-01T00:00:00Z", **values) -> dict:
    return {"_uuid": uuid, "_unit": TOWN, "_period": period, "_form_version": "1",
            "_status": "finalised", "_deleted": 0, "_created": "2026-01-01T00:00:00Z",
            "_modified": modified, "_author": "甲", **values}  # fmt: skip


def test_batch_inserts_updates_audits_in_order(store):
    rows = [_row(f"u{m}", f"2025-{m:02d}") for m in range(1, 13)]
    rows[3]["_author"] = None  # a column a row lacks reads back empty
    result = store.upsert_rows(FORM, rows, {}, source="s1")
    assert result.counts == {"inserted": 12, "updated": 0, "unchanged": 0}
    audit = store.audit_rows(FORM)
    assert [a["record_uuid"] for a in audit] == [f"u{m}" for m in range(1, 13)]
    assert {(a["action"], a["reason"]) for a in audit} == {("import", "s1")}
    changed = {**rows[0], "_modified": "2026-03-01T00:00:00Z", "_status": "returned"}
    again = store.upsert_rows(FORM, [changed, rows[1], _row("u13", "2026-01")], {}, source="s2")
    assert again.updated == ["u1"] and again.unchanged == ["u2"] and again.inserted == ["u13"]
    fields = [a["field"] for a in store.audit_rows(FORM, "u1")[1:]]
    assert sorted(fields) == ["_modified", "_status"]
    assert store.get(FORM, "u1")["_source"] == "s2" and store.get(FORM, "u2")["_source"] == "s1"


def test_a_clash_inside_one_batch_writes_nothing(store):
    store.upsert_rows(FORM, [_row("a", "2025-01")], {}, source="s1")
    with pytest.raises(StorageError) as err:
        store.upsert_rows(FORM, [_row("b", "2025-02"), _row("c", "2025-02")], {}, source="s2")
    assert err.value.code == "db.report_exists"
    assert store.get(FORM, "b") is None and store.get(FORM, "c") is None
    with pytest.raises(StorageError):
        store.upsert_rows(FORM, [_row("d", "2025-01")], {}, source="s3")
    # A report replaced under a new uuid: the old one deleted first in the same batch.
    gone = {**_row("a", "2025-01"), "_deleted": 1}
    store.upsert_rows(FORM, [gone, _row("e", "2025-01")], {}, source="s4")
    assert store.find_report(FORM, unit=TOWN, period="2025-01") == "e"
    # ...and moving a report to another period frees its old one within the batch.
    moved = {**_row("e", "2025-03"), "_modified": "2026-04-01T00:00:00Z"}
    store.upsert_rows(FORM, [moved, _row("f", "2025-01")], {}, source="s5")
    assert store.find_report(FORM, unit=TOWN, period="2025-01") == "f"
