"""Reading one merge input: verify it and turn its rows into staged rows (:class:`StagedRow`).

Runs in a worker process when a merge has several inputs (``exports.merge``), so it takes and
returns only plain, picklable data. Each row comes back with its canonical JSON, digest, sort
key and a pre-rendered XML template of its cells in the bundle's own column order, so that the
writer can copy it when the merged sheet has the same layout (the usual case).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from exports.cells import needs_text
from exports.format import INT, TOMBSTONE_TABLE
from exports.reader import BundleReader
from exports.resolve import report_identity
from exports.xlsx_stream import UNIT_SLOT, Renderer
from i18n.errors import BundleError, Problem

MAIN, REPEAT, TOMB = 0, 1, 2
BATCH = 2000
# The bulky part of a row (canonical JSON, cell XML) lives apart from the keys, so that the
# reconciling queries scan a small table; 64 KiB pages hold a row's body without overflow.
SCHEMA = """
CREATE TABLE rows(id INTEGER PRIMARY KEY, tbl TEXT, kind INTEGER, uuid TEXT, parent TEXT,
                  modified TEXT, digest BLOB, src TEXT, ident TEXT, sort TEXT, unit TEXT,
                  period TEXT, win INTEGER DEFAULT 0);
CREATE TABLE body(id INTEGER PRIMARY KEY, data TEXT, xml TEXT);
"""
PRAGMAS = ("page_size=65536", "journal_mode=OFF", "synchronous=OFF", "temp_store=FILE",
           "cache_size=-8000")  # fmt: skip


class StagedRow(NamedTuple):
    """One row of a merge input, staged: the keys the reconciling queries use (table ``rows``)
    and the bulky body (table ``body``: canonical JSON and cell XML)."""

    table: str  # bundle table (form id, form__repeat, or the tombstone table)
    kind: int  # MAIN, REPEAT or TOMB
    uuid: str | None
    parent: str | None  # the parent record's uuid (repeat rows)
    modified: str | None
    digest: bytes  # of the canonical JSON
    src: str  # the input's sha256 ("0": this installation's own data)
    ident: str | None  # JSON of the report identity (unit, period, key), main report rows
    sort: str  # order in the merged sheet
    unit: str | None
    period: str | None
    data: str  # canonical JSON of the row
    xml: str  # the row's cells rendered, with a slot for the unit name


KEY_FIELDS = StagedRow._fields.index("data")  # rows(...) holds the fields before ``data``
_staged = tuple.__new__  # builds a StagedRow from a tuple without the Python-level __new__


def open_staging(path: str) -> sqlite3.Connection:
    """A new staging database at ``path`` (scratch: no journal, no sync)."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        db.execute(f"PRAGMA {pragma}")
    db.executescript(SCHEMA)
    return db


def insert_rows(db: sqlite3.Connection, rows: list[StagedRow], first: int) -> int:
    """Insert staged rows with ids from ``first`` (inside the caller's transaction);
    returns the next free id."""
    keys = KEY_FIELDS
    for i in range(0, len(rows), BATCH):
        chunk = rows[i : i + BATCH]
        db.executemany("INSERT INTO rows VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0)",
                       [(first + n, *t[:keys]) for n, t in enumerate(chunk)])  # fmt: skip
        db.executemany("INSERT INTO body VALUES (?,?,?)",
                       [(first + n, t.data, t.xml) for n, t in enumerate(chunk)])  # fmt: skip
        first += len(chunk)
    return first


@dataclass
class Staged:
    """One input, read: either ``error``/``problems`` (refused) or its rows and facts."""

    file: str
    error: Problem | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    blobs: dict = field(default_factory=dict)
    totals: dict[str, dict[str, int]] = field(default_factory=dict)
    layouts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rows: list[StagedRow] = field(default_factory=list)
    rows_file: str | None = None  # or the rows in a staging file (read in a worker)
    count: int = 0  # rows in ``rows_file``


def sort_key(row: dict, kind: int) -> str:
    """Order of rows in the merged sheets: unit, period, created, uuid; repeats by parent."""
    if kind == MAIN:
        return "\x1f".join((row.get("_unit") or "", row.get("_period") or "",
                            row.get("_created") or "", row.get("_uuid") or ""))  # fmt: skip
    if kind == REPEAT:
        return f"{row.get('_parent_uuid') or ''}\x1f{row.get('_index') or 0:09d}"
    return row.get("_uuid") or ""


class RowMaker:
    """Builds the :class:`StagedRow` of each row of one table in one column layout."""

    def __init__(self, table: str, kind: int, columns: list[tuple[str, str]], src: str,
                 key: list[str]) -> None:  # fmt: skip
        self.table, self.kind, self.src, self.key = table, kind, src, key
        self.names = [n for n, _ in columns]
        self.int_idx = [i for i, (n, k) in enumerate(columns) if k == INT]
        self.derived_idx = [i for i, n in enumerate(self.names) if n.startswith("~")]
        self.width = len(self.names)
        self.unit_at = self.names.index("~unit_name") if "~unit_name" in self.names else None
        self.renderer = Renderer(len(columns))

    def __call__(self, row: dict, text: str, digest: bytes, cells: list | None = None,
                 display: dict | None = None) -> StagedRow:  # fmt: skip
        """The staged row of one row. ``cells``: the row as read from the bundle, rendered
        as it is (it reads back to the same values); otherwise built from ``row`` and the
        ``display`` values of the derived columns."""
        if cells is not None and _PLAIN.issuperset(map(type, cells)):
            values = cells[: self.width] if len(cells) > self.width else cells
            xml = self.renderer.template_plain(values, self.unit_at)
        else:
            values = [row.get(n) for n in self.names]
            for i in self.int_idx:
                v = values[i]
                if v is not None and needs_text(v):
                    values[i] = str(v)
            for i in self.derived_idx:
                name = self.names[i]
                if name == "~unit_name":
                    values[i] = UNIT_SLOT
                else:
                    v = (display or {}).get(name)
                    values[i] = v if v != "" else None
            xml = self.renderer.template(values)
        ident = None
        if self.kind == MAIN and row.get("_period"):
            ident = json.dumps(report_identity(self.table, row, self.key), ensure_ascii=False)
        return _staged(StagedRow, (self.table, self.kind, row.get("_uuid"), row.get("_parent_uuid"),
                row.get("_modified"), digest, self.src, ident, sort_key(row, self.kind),
                row.get("_unit"), row.get("_period"), text, xml))  # fmt: skip


_PLAIN = frozenset({str, int, float, type(None)})


def read_for_merge(path: str, rows_file: str | None = None) -> Staged:
    """Verify the bundle at ``path`` and stage its rows (nothing raised for a bad file): in
    ``Staged.rows``, or with ``rows_file`` (a worker process) written into a new staging
    database there, in batches, so neither this process nor the caller holds them all."""
    if rows_file is None:
        return _read(path, None)
    db = open_staging(rows_file)
    try:
        db.execute("BEGIN")
        out = _read(path, db)
        db.execute("COMMIT")
    finally:
        db.close()
    if out.problems or out.error is not None:
        with contextlib.suppress(OSError):
            os.unlink(rows_file)
    else:
        out.rows_file = rows_file
    return out


def _read(path: str, db: sqlite3.Connection | None) -> Staged:
    out = Staged(path)
    try:
        reader = BundleReader(Path(path))
    except BundleError as exc:
        out.error = exc.as_problem()
        return out
    m = reader.manifest
    out.manifest = m
    out.blobs = reader.check_forms()
    out.warnings = list(reader.warnings)
    src = m["sha256"]
    makers: dict[str, RowMaker] = {}
    for table, entry in m["tables"].items():
        kind = (
            TOMB if table == TOMBSTONE_TABLE else (MAIN if entry.get("repeat") is None else REPEAT)
        )
        key = (m["forms"].get(entry.get("form")) or {}).get("report_key") or []
        cols = [(c[0], c[1]) for c in entry["columns"]]
        makers[table] = RowMaker(table, kind, cols, src, key)
        out.layouts[table] = tuple(n for n, _ in cols)
    rows = out.rows

    def consume(table: str, row: dict, text: str, digest: bytes, _r: int, cells: list) -> None:
        rows.append(makers[table](row, text, digest, cells))
        if db is not None and len(rows) >= BATCH:
            out.count = insert_rows(db, rows, out.count + 1) - 1
            rows.clear()

    reader.scan(consume)
    if db is not None and rows:
        out.count = insert_rows(db, rows, out.count + 1) - 1
        rows.clear()
    if not reader.valid:
        out.problems = [p for p in reader.findings if p.severity == "error"]
        out.rows = []
        return out
    out.totals = reader.exact_totals
    return out
