"""Staged merge rows are one named type whose fields are the staging tables' columns."""

from __future__ import annotations

import sqlite3

from exports.stage import KEY_FIELDS, MAIN, SCHEMA, RowMaker, StagedRow, insert_rows


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def test_fields_are_the_staging_columns():
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    rows = [c for c in _columns(db, "rows") if c not in ("id", "win")]
    body = [c for c in _columns(db, "body") if c != "id"]
    names = list(StagedRow._fields)
    tbl = {"table": "tbl"}  # ``table`` is a keyword in SQL
    assert [tbl.get(n, n) for n in names[:KEY_FIELDS]] == rows
    assert names[KEY_FIELDS:] == body


def test_row_maker_builds_staged_rows_that_insert_and_read_back():
    maker = RowMaker("t_report", MAIN, [("_uuid", "text"), ("visits", "integer")], "abc", [])
    row = {"_uuid": "u1", "_unit": "110101001000", "_period": "2026-01", "visits": 3,
           "_modified": "2026-02-01T00:00:00Z"}  # fmt: skip
    staged = maker(row, '{"visits":3}', b"d")
    assert isinstance(staged, StagedRow)
    assert (staged.table, staged.uuid, staged.unit, staged.period, staged.src) == (
        "t_report",
        "u1",
        "110101001000",
        "2026-01",
        "abc",
    )
    assert staged.ident is not None and staged.data == '{"visits":3}' and staged.xml
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    assert insert_rows(db, [staged], 7) == 8
    assert db.execute("SELECT id, tbl, uuid, unit, period, src FROM rows").fetchone() == (
        7,
        "t_report",
        "u1",
        "110101001000",
        "2026-01",
        "abc",
    )
    assert db.execute("SELECT id, data FROM body").fetchone() == (7, '{"visits":3}')
