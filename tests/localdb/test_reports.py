"""Reports: one per unit × period (× key), nil reports, import upserts."""

from __future__ import annotations

import sqlite3

import pytest

from i18n.errors import StorageError, UsageError
from tests.localdb.conftest import UNIT, report_form

TOWNSHIP = "330106002000"


def test_report_needs_a_valid_period(store):
    with pytest.raises(UsageError) as err:
        store.save("t_report", {"visitors": 3})
    assert err.value.code == "db.no_period"
    with pytest.raises(UsageError):
        store.save("t_report", {"visitors": 3}, period="2026-Q1")  # a quarter, not a month
    uuid = store.save("t_report", {"visitors": 3}, period="2026-10")
    assert store.get("t_report", uuid)["_period"] == "2026-10"


def test_one_report_per_unit_and_period(store):
    first = store.save("t_report", {"visitors": 3}, period="2026-10")
    with pytest.raises(StorageError) as err:
        store.save("t_report", {"visitors": 4}, period="2026-10")
    assert err.value.code == "db.report_exists"
    assert "西湖区" in err.value.message() and "2026-10" in err.value.message()
    # other periods and other units are fine
    store.save("t_report", {"visitors": 4}, period="2026-09")
    store.save("t_report", {"visitors": 4}, period="2026-10", unit=TOWNSHIP)
    assert store.find_report("t_report", unit=UNIT, period="2026-10") == first
    assert store.find_report("t_report", unit=UNIT, period="2026-08") is None


def test_the_unique_index_guards_even_raw_writes(store):
    store.save("t_report", {"visitors": 3}, period="2026-10")
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute(
            "INSERT INTO form_t_report (_uuid, _unit, _period, _deleted, _status) VALUES ('x', ?, '2026-10', 0, 'draft')",
            [UNIT],
        )


def test_deleted_report_frees_the_slot_and_blocks_undelete(store):
    first = store.save("t_report", {"visitors": 3}, period="2026-10")
    store.delete("t_report", first, reason="填错单位")
    second = store.save("t_report", {"visitors": 5}, period="2026-10")
    assert store.find_report("t_report", unit=UNIT, period="2026-10") == second
    with pytest.raises(StorageError) as err:
        store.undelete("t_report", first)
    assert err.value.code == "db.report_exists"


def test_report_key_allows_one_report_per_venue(store):
    store.register_form(report_form("2", key=["venue"]))
    store.save("t_report", {"venue": "科技馆", "visitors": 10}, period="2026-10")
    store.save("t_report", {"venue": "天文馆", "visitors": 20}, period="2026-10")
    with pytest.raises(StorageError):
        store.save("t_report", {"venue": "科技馆", "visitors": 30}, period="2026-10")
    found = store.find_report("t_report", unit=UNIT, period="2026-10", key={"venue": "天文馆"})
    assert store.get("t_report", found)["visitors"] == 20


def test_nil_report_is_first_class(store):
    uuid = store.nil_report("t_report", unit=UNIT, period="2026-10")
    assert store.nil_report("t_report", unit=UNIT, period="2026-10") == uuid  # idempotent
    record = store.get("t_report", uuid)
    assert record["_status"] == "nil" and record["visitors"] is None
    assert store.count("t_report", status="nil") == 1
    with pytest.raises(StorageError):
        store.save("t_report", {"visitors": 1}, period="2026-10")
    # exporting a nil report keeps it nil; the export is audited
    store.set_status("t_report", uuid, "exported")
    assert store.get("t_report", uuid)["_status"] == "nil"
    assert [r["action"] for r in store.audit_rows("t_report", uuid)] == ["nil", "status"]
    # filling it in after all turns it into a normal report
    store.save("t_report", {"visitors": 7}, uuid=uuid)
    assert store.get("t_report", uuid)["_status"] == "draft"


def test_nil_report_replaces_a_draft_but_not_a_finalised_report(store):
    draft = store.save("t_report", {"visitors": 2}, period="2026-10")
    assert store.nil_report("t_report", unit=UNIT, period="2026-10") == draft
    assert store.get("t_report", draft)["visitors"] is None
    store.save("t_report", {"visitors": 2}, period="2026-09", status="finalised")
    with pytest.raises(StorageError):
        store.nil_report("t_report", unit=UNIT, period="2026-09")
    with pytest.raises(UsageError):
        store.nil_report("t_survey", unit=UNIT, period="2026-09")


def test_upsert_rows_inserts_updates_and_skips_identical(store):
    uuid = store.save("t_report", {"visitors": 3}, period="2026-10", unit=TOWNSHIP)
    rows = list(store.iter_rows("t_report"))
    result = store.upsert_rows("t_report", rows, {}, source="sha-1")
    assert result.counts == {"inserted": 0, "updated": 0, "unchanged": 1}
    changed = {**rows[0], "visitors": 9}
    new = {**rows[0], "_uuid": "u-new", "_period": "2026-09", "visitors": 1}
    result = store.upsert_rows("t_report", [changed, new], {}, source="sha-2")
    assert result.inserted == ["u-new"] and result.updated == [uuid]
    assert store.get("t_report", uuid)["visitors"] == 9
    assert store.get("t_report", "u-new")["_source"] == "sha-2"
    assert {r["action"] for r in store.audit_rows("t_report")} >= {"import"}
    clash = {**rows[0], "_uuid": "u-clash"}
    with pytest.raises(StorageError):
        store.upsert_rows("t_report", [clash], {}, source="sha-3")
    assert store.get("t_report", "u-clash") is None


def test_upsert_rows_with_repeats(store):
    source = store.save(
        "t_survey", {"resp_name": "甲", "kids": [{"kid_name": "一"}, {"kid_name": "二"}]}
    )
    rows = list(store.iter_rows("t_survey"))
    kids = list(store.iter_rows("t_survey", "kids"))
    copy = {**rows[0], "_uuid": "other"}
    copy_kids = [{**k, "_uuid": k["_uuid"] + "x", "_parent_uuid": "other"} for k in kids]
    store.upsert_rows("t_survey", [copy], {"kids": copy_kids}, source="sha")
    assert [k["kid_name"] for k in store.get("t_survey", "other")["kids"]] == ["一", "二"]
    assert len(store.get("t_survey", source)["kids"]) == 2
