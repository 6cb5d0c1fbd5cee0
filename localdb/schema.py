"""The database schema: versioned system migrations and one table per form.

System tables (created by :data:`MIGRATIONS`, recorded by sqlite-utils in ``_sqlite_migrations``
and summarised as an integer in ``_schema``): ``_schema``, ``_settings``, ``_audit``, ``_forms``
(every form version this installation has seen) and ``_units_local`` (local unit additions and
renames). A database whose ``_schema.version`` is higher than :data:`SCHEMA_VERSION` was written
by a newer app and is refused.

Form tables follow the form definition: ``form_<form_id>`` with the system columns of
:data:`SYSTEM_COLUMNS` and one column per stored question; ``form_<form_id>__<repeat>`` per
repeat. New questions in a new form version add columns; removed questions keep theirs.
"""

from __future__ import annotations

import hashlib

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from forms.model import Form
from i18n.errors import Location, StorageError

MIGRATIONS = Migrations("kexie")


@MIGRATIONS()
def m001_system_tables(db: Database) -> None:
    """Settings, audit trail, forms registry, local units."""
    db.table("_settings").create({"key": str, "value": str}, pk="key")
    db.execute(
        "CREATE TABLE _audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT, form_id TEXT,"
        " record_uuid TEXT, field TEXT, old, new, reason TEXT, action TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX _audit_record ON _audit(form_id, record_uuid)")
    db.table("_forms").create(
        {"form_id": str, "version": str, "path": str, "builtin": int, "sha256": str, "added": str},
        pk=("form_id", "version"),
    )
    db.table("_units_local").create(
        {
            "code": str,
            "name": str,
            "parent": str,
            "level": str,
            "action": str,
            "at": str,
            "who": str,
        },
        pk="code",
    )


@MIGRATIONS()
def m002_form_definitions(db: Database) -> None:
    """Forms that arrive without a file (from a bundle) keep their definition as JSON."""
    db.execute("ALTER TABLE _forms ADD COLUMN definition TEXT")


@MIGRATIONS()
def m003_return_history(db: Database) -> None:
    """Every form table gets ``_returns``: the history of returns for correction (退回)."""
    for name in db.table_names():
        fresh = "_returns" not in {c.name for c in db[name].columns}
        if name.startswith("form_") and "__" not in name and fresh:
            db.execute(f"ALTER TABLE {quote(name)} ADD COLUMN _returns TEXT")


@MIGRATIONS()
def m004_transfer_journal(db: Database) -> None:
    """The import log (every import and merge attempt) and the export journal
    (``localdb.journal``)."""
    db.execute(
        "CREATE TABLE _transfers (id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL,"
        " name TEXT, file TEXT, file_sha256 TEXT, bundle_sha256 TEXT, unit TEXT,"
        " outcome TEXT NOT NULL, reasons TEXT, details TEXT, who TEXT)"
    )
    db.execute(
        "CREATE TABLE _exports (id INTEGER PRIMARY KEY, at TEXT NOT NULL, file TEXT NOT NULL,"
        " file_sha256 TEXT, bundle_sha256 TEXT, marked TEXT NOT NULL, state TEXT NOT NULL)"
    )


SCHEMA_VERSION = len(MIGRATIONS._migrations)

SYSTEM_COLUMNS: dict[str, str] = {
    "_uuid": "TEXT",
    "_unit": "TEXT",
    "_period": "TEXT",
    "_form_version": "TEXT",
    "_status": "TEXT",
    "_deleted": "INTEGER",
    "_created": "TEXT",
    "_modified": "TEXT",
    "_author": "TEXT",
    "_explanations": "TEXT",
    "_returns": "TEXT",  # JSON list of returns for correction (exports/returns.py)
    "_source": "TEXT",
}
REPEAT_SYSTEM_COLUMNS: dict[str, str] = {
    "_uuid": "TEXT",
    "_parent_uuid": "TEXT",
    "_index": "INTEGER",
}


def stored_version(db: Database) -> int:
    """The schema version recorded in the database (0 for a new, empty database)."""
    if not db["_schema"].exists():
        return 0
    row = db.execute("SELECT version FROM _schema WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def check_not_newer(db: Database, path: str) -> None:
    """Refuse a database written by a newer version of the app."""
    version = stored_version(db)
    if version > SCHEMA_VERSION:
        raise StorageError(
            "db.too_new",
            location=Location(file=path),
            fix="db.too_new.fix",
            version=version,
            supported=SCHEMA_VERSION,
        )


def migrate(db: Database, app_version: str) -> None:
    """Apply pending system migrations and record the resulting schema version."""
    with db.atomic():
        if not db["_schema"].exists():
            db.execute(
                "CREATE TABLE _schema (id INTEGER PRIMARY KEY, version INTEGER, app_version TEXT)"
            )
    MIGRATIONS.apply(db)
    with db.atomic():
        db.execute(
            "INSERT INTO _schema (id, version, app_version) VALUES (1, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET version = excluded.version, app_version = excluded.app_version",
            [SCHEMA_VERSION, app_version],
        )


def pending(db: Database) -> bool:
    """Whether system migrations are waiting to be applied."""
    return stored_version(db) < SCHEMA_VERSION or bool(MIGRATIONS.pending(db))


def table_name(form_id: str, repeat: str | None = None) -> str:
    """``form_<form_id>`` or ``form_<form_id>__<repeat>``."""
    return f"form_{form_id}" if repeat is None else f"form_{form_id}__{repeat}"


def quote(name: str) -> str:
    """An SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def form_columns(form: Form, repeat: str | None = None) -> dict[str, str]:
    """Question columns (name → SQL type) of one level of a form."""
    reserved = SYSTEM_COLUMNS if repeat is None else REPEAT_SYSTEM_COLUMNS
    out: dict[str, str] = {}
    for q in form.fields(repeat):
        if q.name in reserved or q.name.startswith("_"):
            raise StorageError(
                "db.reserved_name",
                location=Location(
                    file=form.source, sheet="survey", row=q.row or None, field=q.name
                ),
                name=q.name,
            )
        out[q.name] = q.sql_type
    return out


def ensure_form_tables(db: Database, form: Form) -> list[str]:
    """Create or extend the tables of ``form``; returns the columns added to existing tables.

    Must run inside a transaction (the caller backs up first when a table will change).
    """
    added: list[str] = []
    levels: list[tuple[str | None, dict[str, str]]] = [(None, SYSTEM_COLUMNS)]
    levels += [(r.name, REPEAT_SYSTEM_COLUMNS) for r in form.repeats()]
    for repeat, system in levels:
        name = table_name(form.form_id, repeat)
        wanted = {**system, **form_columns(form, repeat)}
        if not db[name].exists():
            cols = ", ".join(
                f"{quote(c)} {t}" + (" PRIMARY KEY" if c == "_uuid" else "")
                for c, t in wanted.items()
            )
            db.execute(f"CREATE TABLE {quote(name)} ({cols})")
            if repeat is None:
                db.execute(
                    f"CREATE INDEX {quote(name + '_unit_period')} ON {quote(name)} (_unit, _period)"
                )
                db.execute(f"CREATE INDEX {quote(name + '_modified')} ON {quote(name)} (_modified)")
            else:
                db.execute(
                    f"CREATE INDEX {quote(name + '_parent')} ON {quote(name)} (_parent_uuid, _index)"
                )
            continue
        have = {c.name for c in db[name].columns}
        for column, sql_type in wanted.items():
            if column not in have:
                db.execute(f"ALTER TABLE {quote(name)} ADD COLUMN {quote(column)} {sql_type}")
                added.append(f"{name}.{column}")
    if form.kind == "report":
        _ensure_report_index(db, form)
    return added


def needs_change(db: Database, form: Form) -> bool:
    """Whether :func:`ensure_form_tables` would create or alter anything for an existing table."""
    levels = [None, *(r.name for r in form.repeats())]
    for repeat in levels:
        name = table_name(form.form_id, repeat)
        if not db[name].exists():
            return True
        have = {c.name for c in db[name].columns}
        if set(form_columns(form, repeat)) - have:
            return True
    return form.kind == "report" and _report_index_name(form) not in {
        i.name for i in db.table(table_name(form.form_id)).indexes
    }


def report_key(form: Form) -> list[str]:
    """Key questions that, with unit × period, identify a report (only those the form stores)."""
    return [k for k in form.report_key if k in form and form.question(k).stores_value]


def _report_index_name(form: Form) -> str:
    key = ",".join(report_key(form))
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    return f"{table_name(form.form_id)}_report_{digest}"


def _ensure_report_index(db: Database, form: Form) -> None:
    name = table_name(form.form_id)
    wanted = _report_index_name(form)
    for index in db.table(name).indexes:
        if index.name.startswith(f"{name}_report_") and index.name != wanted:
            db.execute(f"DROP INDEX {quote(index.name)}")
    parts = ["_unit", "_period"] + [f"coalesce({quote(k)}, '')" for k in report_key(form)]
    db.execute(
        f"CREATE UNIQUE INDEX IF NOT EXISTS {quote(wanted)} ON {quote(name)} ({', '.join(parts)})"
        " WHERE _deleted = 0"
    )
