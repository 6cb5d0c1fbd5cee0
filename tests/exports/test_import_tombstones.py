"""A newer deletion of a record already deleted still counts: its time is what a later live
copy must beat (found by the import-versus-merge property test)."""

from __future__ import annotations

from bundle_fakes import FakeStore

from exports import export_bundle, import_bundle

UID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def _copy(tmp_path, name, modified, deleted):
    s = FakeStore("110101001000")
    s.add("t_survey", {"age": 20}, uuid=UID, modified=modified)
    s.tables["t_survey"][UID]["_deleted"] = int(deleted)
    export_bundle(s, tmp_path / name)
    return tmp_path / name


def test_a_newer_deletion_of_a_deleted_record_is_kept(tmp_path):
    old_del = _copy(tmp_path, "a.xlsx", "2026-03-01T10:00:00Z", True)
    new_del = _copy(tmp_path, "b.xlsx", "2026-03-02T10:00:00Z", True)
    live = _copy(tmp_path, "c.xlsx", "2026-03-02T10:00:00Z", False)  # as old as the deletion
    county = FakeStore("110101000000")
    for p in (old_del, new_del, live):
        import_bundle(county, p)
    row = county.tables["t_survey"][UID]
    assert row["_deleted"] == 1 and row["_modified"] == "2026-03-02T10:00:00Z"
