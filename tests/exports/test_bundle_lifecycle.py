"""Export moves records to 'exported' locally; bundles carry them as 'finalised' (same hash)."""

from __future__ import annotations

import pytest

from exports import export_bundle, import_bundle, inspect_bundle, merge_bundles
from localdb import open_store
from localdb.demo import run_demo

TOWN, COUNTY = "330106002000", "330106000000"


@pytest.fixture(autouse=True)
def _merge_in_process(monkeypatch):
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "0")


def _statuses(store, form_id: str) -> dict[str, str]:
    return {r["_uuid"]: r["_status"] for r in store.iter_rows(form_id) if not r["_deleted"]}


def test_export_marks_exported_and_the_next_level_sees_no_change(tmp_path):
    with open_store(tmp_path / "town") as store:
        store.set_unit(TOWN)
        run_demo(store, records=10, seed=3)
        before = _statuses(store, "kexie_survey")
        finalised = {u for u, s in before.items() if s == "finalised"}
        modified = {r["_uuid"]: r["_modified"] for r in store.iter_rows("kexie_survey")}
        assert finalised
        first = export_bundle(store, tmp_path / "a.xlsx")
        after = _statuses(store, "kexie_survey")
        assert {u for u, s in after.items() if s == "exported"} >= finalised
        assert "finalised" not in after.values() and first.marked_exported >= len(finalised)
        assert {r["_uuid"]: r["_modified"] for r in store.iter_rows("kexie_survey")} == modified
        assert store.audit_rows("kexie_survey", next(iter(finalised)))[-1]["reason"] == "a.xlsx"
        second = export_bundle(store, tmp_path / "b.xlsx")
        assert second.sha256 == first.sha256 and second.marked_exported == 0
        assert inspect_bundle(tmp_path / "b.xlsx").sha256 == first.sha256
        # Editing an exported record (with a reason) makes it finalised again, newer.
        uuid = sorted(finalised)[0]
        record = store.get("kexie_survey", uuid)
        store.save("kexie_survey", {**record, "site_name": f"{record['site_name']}（更正）"},
                   uuid=uuid, status="finalised", reason="更正站点名称")  # fmt: skip
        edited = store.get("kexie_survey", uuid)
        assert edited["_status"] == "finalised" and edited["_modified"] > modified[uuid]
        third = export_bundle(store, tmp_path / "c.xlsx")
        assert third.sha256 != first.sha256 and third.marked_exported == 1
    with open_store(tmp_path / "county") as county:
        county.set_unit(COUNTY)
        got = import_bundle(county, tmp_path / "a.xlsx")
        assert not got.refused and got.added
        rows = {r["_uuid"]: r for r in county.iter_rows("kexie_survey")}
        assert {rows[u]["_status"] for u in finalised} == {"finalised"}
        again = import_bundle(county, tmp_path / "b.xlsx")
        assert not again.superseded and not again.conflicts and again.added == 0
        newer = import_bundle(county, tmp_path / "c.xlsx")
        assert [c.uuid for c in newer.superseded] == [uuid] and not newer.conflicts
        assert set(newer.superseded[0].fields) == {"site_name", "_modified"}
        merged = merge_bundles(county, [tmp_path / "a.xlsx", tmp_path / "c.xlsx"],
                               tmp_path / "m.xlsx", include_local=False)  # fmt: skip
        assert [c.uuid for c in merged.superseded] == [uuid] and not merged.conflicts
