"""The store is composed of managers: ``store.records`` holds the record operations."""

from __future__ import annotations

import ast
import inspect

import localdb.records
import localdb.store
import localdb.units
from localdb.records import Records, RecordsHost
from localdb.store import Store

FORWARDED = [
    "save",
    "nil_report",
    "set_status",
    "mark_exported",
    "delete",
    "undelete",
    "get",
    "find_report",
    "previous_values",
    "previous_lookup",
    "count",
    "audit_rows",
    "iter_rows",
    "upsert_rows",
]


def test_store_composes_a_records_manager(store):
    assert Store.__bases__ == (object,)  # no mixin
    assert isinstance(store.records, Records)
    assert store.records.store is store
    uuid = store.records.save("t_survey", {"resp_name": "甲"})
    assert store.get("t_survey", uuid)["resp_name"] == "甲"
    assert [r["_uuid"] for r in store.records("t_survey")] == [uuid]  # callable: the listing
    assert store.records.count("t_survey") == store.count("t_survey") == 1


def test_every_public_records_operation_is_on_the_store_with_the_same_signature():
    public = {
        name
        for name, value in vars(Records).items()
        if callable(value)
        and not name.startswith("_")
        and name not in ("form", "records", "sqlite_errors")
    }
    assert public == set(FORWARDED)
    for name in FORWARDED:
        mine, theirs = (
            inspect.signature(getattr(Store, name)),
            inspect.signature(getattr(Records, name)),
        )
        assert mine == theirs, name
        assert getattr(Store, name).__doc__ == getattr(Records, name).__doc__


def test_the_store_is_what_records_needs(store):
    for name in ("db", "clerk", "unit_code", "units", "form", "sqlite_errors"):
        assert hasattr(RecordsHost, name) and hasattr(store, name), name


def test_records_does_not_import_the_store():
    """The one import cycle (records → store → records) is gone."""
    tree = ast.parse(inspect.getsource(localdb.records))
    names = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert "localdb.store" not in names
    assert localdb.store.resolve_unit is localdb.units.resolve_unit  # still importable there
