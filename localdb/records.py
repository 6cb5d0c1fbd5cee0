"""Records and reports: save with validation, lifecycle, tombstones, queries, imports.

Lifecycle (``_status``): ``draft`` → ``finalised`` → ``exported``; a finalised or exported
record can be ``returned`` for correction (reason required) and then edited and finalised
again; ``nil`` is a report declared empty (空表上报). Editing a finalised or exported record
needs a reason. Deleting is a tombstone (``_deleted = 1``) that exports still carry.

Every write runs in one transaction with its audit rows (``_audit``: one ``create`` row per
new record, one ``update`` row per changed field, one row per status change, delete, undelete
or import).
"""

from __future__ import annotations

import json
import uuid as uuidlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, cast

from forms.model import Form
from forms.periods import parse_period, previous_period
from i18n.errors import Location, Problem, StorageError, UsageError, ValidationError
from kexie import lifecycle
from kexie.lifecycle import DRAFT, FINALISED, NIL, STATUSES
from localdb.formsreg import now_iso
from localdb.schema import quote, report_key, table_name
from localdb.units import resolve_unit

if TYPE_CHECKING:
    from sqlite_utils import Database

    from forms.engine import Evaluation
    from localdb.localunits import LocalUnits

_REPEAT_NS = uuidlib.UUID("6f1c2f0e-5b1a-4c55-9d6e-2b8f0a3c7e11")


def canonical_uuid(text: str) -> str:
    """A record uuid as stored: canonical lowercase text. Case, braces, ``urn:uuid:`` and
    surrounding blanks are variants of one uuid, never a second record; other text is refused."""
    try:
        return str(uuidlib.UUID(str(text).strip()))
    except ValueError:
        raise UsageError("db.bad_uuid", uuid=str(text)[:50]) from None


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        t = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def later_than(previous: str | None) -> str:
    """The ``_modified`` of a change: now, but never earlier than (or equal to) the record's
    previous ``_modified`` — with the clock set back, one millisecond after it — so the edit
    still supersedes the copy the level above already holds."""
    now = now_iso()
    before, current = _instant(previous), _instant(now)
    if before is None or current is None or current > before:
        return now
    bumped = before.astimezone(UTC) + timedelta(milliseconds=1)
    return bumped.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class UpsertResult:
    """What :meth:`Records.upsert_rows` did, by record uuid."""

    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "inserted": len(self.inserted),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
        }


def _sql_value(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


_PLAIN = frozenset({str, int, float, type(None), bytes})


def _sql_row(raw: dict) -> dict:
    """A row with every value as SQLite stores it (see :func:`_sql_value`)."""
    if _PLAIN.issuperset(map(type, raw.values())):
        return dict(raw)
    return {k: _sql_value(v) for k, v in raw.items()}


class _ReportKeys:
    """Report uniqueness (unit × period × key among live rows) checked in memory for a batch,
    as :meth:`Records._check_unique` does row by row against the table."""

    def __init__(self, store, form: Form) -> None:
        self.store, self.form = store, form
        self.key = report_key(form)
        cols = ", ".join(["_uuid", "_unit", "_period"] + [quote(k) for k in self.key])
        self.live: dict[tuple, str] = {}
        for r in store.db.execute(
            f"SELECT {cols} FROM {quote(table_name(form.form_id))} WHERE _deleted = 0"
        ):
            self.live[self._ident(r[1], r[2], r[3:])] = r[0]

    @staticmethod
    def _ident(unit, period, values) -> tuple:
        return (unit, period, *("" if v is None else v for v in values))

    def _of(self, row: dict) -> tuple:
        return self._ident(row.get("_unit"), row.get("_period"), [row.get(k) for k in self.key])

    def check(self, row: dict, old: dict | None) -> None:
        """Raise like ``_check_unique`` if ``row`` clashes; then record it as written."""
        if old is not None and not old.get("_deleted"):
            ident = self._of(old)
            if self.live.get(ident) == old["_uuid"]:
                del self.live[ident]
        if row.get("_deleted"):
            return
        ident = self._of(row)
        other = self.live.get(ident)
        if other is not None and other != row["_uuid"]:
            raise self.store._report_clash(self.form, row)
        self.live[ident] = row["_uuid"]


def _evaluate(form: Form, values: dict, previous=None) -> Evaluation:
    from forms.engine import evaluate

    return evaluate(form, values, previous=previous)


def _evaluates(evaluation: Evaluation | None, form: Form, values: dict) -> bool:
    """Whether ``evaluation`` is of ``form`` (this version) and ``values`` (cleaned values, as
    a caller passes ``evaluation.values`` itself), so the store need not evaluate again."""
    if evaluation is None:
        return False
    same_form = (evaluation.form_id, evaluation.form_version) == (form.form_id, form.version)
    return same_form and (evaluation.values is values or evaluation.values == values)


class RecordsHost(Protocol):
    """What :class:`Records` needs from the store that owns it (:class:`localdb.store.Store`)."""

    @property
    def db(self) -> Database: ...
    @property
    def clerk(self) -> str | None: ...
    @property
    def unit_code(self) -> str | None: ...
    @property
    def units(self) -> LocalUnits: ...
    def form(self, form_id: str, version: str | None = None) -> Form: ...
    def sqlite_errors(self) -> AbstractContextManager[None]: ...


class Records:
    """The records and reports of one store: ``store.records`` (composed, as Anki composes its
    collection of managers). Everything it needs from the store is :class:`RecordsHost`.

    ``store.records(form_id, ...)`` lists records (the manager is callable, so the store's API
    reads as before); ``store.records.save(...)`` etc. are the operations, which the store also
    offers as ``store.save(...)``.
    """

    def __init__(self, store: RecordsHost) -> None:
        self.store = store

    # -- what the store provides -----------------------------------------------------------
    @property
    def db(self) -> Database:
        """The store's connection for the calling thread (writer or read-only reader)."""
        return self.store.db

    @property
    def clerk(self) -> str | None:
        return self.store.clerk

    @property
    def unit_code(self) -> str | None:
        return self.store.unit_code

    @property
    def units(self) -> LocalUnits:
        return self.store.units

    def form(self, form_id: str, version: str | None = None) -> Form:
        return self.store.form(form_id, version)

    def sqlite_errors(self) -> AbstractContextManager[None]:
        return self.store.sqlite_errors()

    # -- saving ----------------------------------------------------------------------------
    def save(
        self,
        form_id: str,
        values: dict,
        *,
        uuid: str | None = None,
        unit: str | None = None,
        period: str | None = None,
        status: str = "draft",
        author: str | None = None,
        reason: str | None = None,
        explanations: dict[str, str] | None = None,
        version: str | None = None,
        evaluation: Evaluation | None = None,
    ) -> str:
        """Validate and store one record (new, or the one with ``uuid``); returns its uuid.
        ``version`` chooses the form version (default: the current one; see
        ``exports.packages.form_for_period`` for the version that applies to a period).
        ``evaluation``: the caller's own evaluation of ``values`` (e.g. the desktop's engine),
        used instead of evaluating the form again when it is of this form version and these
        values; otherwise the store evaluates.

        Drafts may hold errors. ``status="finalised"`` needs no errors and an explanation for
        every warning (``explanations`` {field: text}, merged with those already stored).
        Editing a finalised or exported record needs a ``reason``. Reports need ``period`` and
        are unique per unit × period (× the form's key questions).
        """
        form = self.form(form_id, version)
        if status not in lifecycle.SAVE_STATUSES:
            raise UsageError("db.bad_status", status=status)
        table = table_name(form_id)
        if uuid is not None:
            uuid = canonical_uuid(uuid)
        old = self._row(table, uuid) if uuid else None
        if old is not None:
            if old["_deleted"]:
                raise ValidationError("db.record_deleted", fix="db.record_deleted.fix", uuid=uuid)
            if lifecycle.edit_needs_reason(old["_status"]) and not (reason or "").strip():
                raise ValidationError("db.reason_required", uuid=uuid, status=old["_status"])
            unit = unit or old["_unit"]
            period = period or old["_period"]
            merged = json.loads(old["_explanations"] or "{}")
        else:
            merged = {}
        merged.update({k: v for k, v in (explanations or {}).items() if v and str(v).strip()})
        unit = self._check_unit(unit)
        period = self._check_period(form, period)
        if evaluation is None or not _evaluates(evaluation, form, values):
            evaluation = _evaluate(form, values, self._previous_for(form, unit, period))
        # an explanation answers a warning: once the value is corrected and the warning no
        # longer applies, it goes (it would otherwise travel upward with the corrected value)
        warned = {p.location.field for p in evaluation.problems if p.severity == "warning"}
        fields = {q.name for q in form.fields()}
        merged = {k: v for k, v in merged.items() if k not in fields or k in warned}
        if status == FINALISED:
            self._check_finalisable(form, evaluation.problems, merged)
        clean = evaluation.values
        now = later_than(old["_modified"] if old else None)
        record_uuid = uuid or str(uuidlib.uuid4())
        row = {
            "_uuid": record_uuid,
            "_unit": unit,
            "_period": period,
            "_form_version": form.version,
            "_status": status,
            "_deleted": 0,
            "_created": old["_created"] if old else now,
            "_modified": now,
            # who filled it in: kept once finalised; a draft takes the author named now (an
            # interviewer ID typed after the first answers)
            "_author": (author if old and old["_status"] == DRAFT and author else None)
            or (old["_author"] if old and old["_author"] else None)
            or author
            or self.clerk,
            "_explanations": json.dumps(merged, ensure_ascii=False, sort_keys=True)
            if merged
            else None,
            "_source": "local",
        }
        for q in form.fields():
            row[q.name] = _sql_value(clean.get(q.name))
        repeats = self._repeat_rows(form, record_uuid, clean)
        who = author or self.clerk
        with self.sqlite_errors(), self.db.atomic():
            self._check_unique(form, row)
            if old is None:
                self._insert(table, row)
                self._audit(
                    who,
                    form_id,
                    record_uuid,
                    None,
                    None,
                    _json(_nonempty(form, clean)),
                    reason,
                    "create",
                )
            else:
                changes = [
                    (k, old.get(k), v)
                    for k, v in row.items()
                    if k not in ("_modified", "_created") and old.get(k) != v
                ]
                old_repeats = self._stored_repeats(form, record_uuid)
                repeat_changes = [
                    (r, _json(old_repeats.get(r, [])), _json(rows))
                    for r, rows in repeats.items()
                    if old_repeats.get(r, []) != rows
                ]
                if not changes and not repeat_changes:
                    return record_uuid
                self._update(table, record_uuid, row)
                for name, before, after in changes + repeat_changes:
                    action = "status" if name == "_status" else "update"
                    self._audit(who, form_id, record_uuid, name, before, after, reason, action)
            self._write_repeats(form, record_uuid, repeats)
        return record_uuid

    def nil_report(
        self, form_id: str, *, unit: str | None = None, period: str, author: str | None = None
    ) -> str:
        """Declare a report empty for unit × period (空表上报); returns the record's uuid.

        An existing draft of the same report becomes the nil report (its values are cleared).
        """
        form = self.form(form_id)
        if form.kind != "report":
            raise UsageError("db.not_a_report", form_id=form_id)
        unit = self._check_unit(unit)
        period = cast(str, self._check_period(form, period))  # a report's: never None
        existing = self.find_report(form_id, unit=unit, period=period)
        who = author or self.clerk
        table = table_name(form_id)
        now = now_iso()
        with self.sqlite_errors(), self.db.atomic():
            if existing:
                old = self._row(table, existing)
                assert old is not None  # find_report has just found it
                if old["_status"] == NIL:
                    return existing
                if old["_status"] not in lifecycle.OPEN:
                    raise StorageError(
                        "db.report_exists",
                        fix="db.report_exists.fix",
                        form=form.title(),
                        unit=unit,
                        period=period,
                    )
                cleared = {q.name: None for q in form.fields()}
                self._update(table, existing, {**cleared, "_status": NIL,
                                               "_modified": later_than(old["_modified"])})  # fmt: skip
                self._write_repeats(form, existing, {r.name: [] for r in form.repeats()})
                self._audit(who, form_id, existing, "_status", old["_status"], NIL, None, "status")
                return existing
            record_uuid = str(uuidlib.uuid4())
            row = {
                "_uuid": record_uuid,
                "_unit": unit,
                "_period": period,
                "_form_version": form.version,
                "_status": NIL,
                "_deleted": 0,
                "_created": now,
                "_modified": now,
                "_author": who,
                "_explanations": None,
                "_source": "local",
            }
            self._check_unique(form, row)
            self._insert(table, row)
            self._audit(who, form_id, record_uuid, "_status", None, NIL, None, "nil")
        return record_uuid

    # -- lifecycle -------------------------------------------------------------------------
    def set_status(
        self,
        form_id: str,
        uuid: str,
        status: str,
        *,
        reason: str | None = None,
        author: str | None = None,
    ) -> None:
        """Move a record along its lifecycle (see the module docstring for what is allowed).

        Finalising checks the stored values like :meth:`save`; returning needs a reason, and so
        does reopening a finalised or exported record. Marking a nil report exported keeps it
        ``nil`` (the export is still audited).
        """
        form = self.form(form_id)
        if not lifecycle.is_status(status):
            raise UsageError("db.bad_status", status=status)
        table = table_name(form_id)
        old = self._row(table, uuid)
        if old is None:
            raise UsageError("db.no_record", uuid=uuid, form_id=form_id)
        current = old["_status"]
        if not lifecycle.can_move(current, status):
            raise ValidationError("db.bad_transition", old=current, new=status)
        if lifecycle.needs_reason(current, status) and not (reason or "").strip():
            raise ValidationError("db.reason_required", uuid=uuid, status=current)
        if status == FINALISED and current != NIL:
            record = self.get(form_id, uuid) or {}
            evaluation = _evaluate(
                form, record, self._previous_for(form, old["_unit"], old["_period"])
            )
            self._check_finalisable(form, evaluation.problems, record.get("_explanations") or {})
        new = NIL if current == NIL and status == lifecycle.EXPORTED else status
        with self.sqlite_errors(), self.db.atomic():
            if new != current:
                self._update(
                    table, uuid, {"_status": new, "_modified": later_than(old["_modified"])}
                )
            self._audit(
                author or self.clerk, form_id, uuid, "_status", current, status, reason, "status"
            )

    def mark_exported(
        self,
        form_id: str,
        uuids: Iterable[str],
        *,
        reason: str | None = None,
        author: str | None = None,
    ) -> int:
        """After an export: finalised records become ``exported`` (nil reports stay ``nil``),
        in one transaction with one audit row each (``reason``: e.g. the bundle's file name).
        Returns how many records changed status.

        ``_modified`` is left alone: it dates the last change of the data, and ``exported`` is
        a local note ("has been sent") that bundles carry as ``finalised``, so exporting again
        gives the same data hash and the level above sees nothing new."""
        table = table_name(form_id)
        self.form(form_id)
        who = author or self.clerk
        wanted = list(dict.fromkeys(uuids))
        now = now_iso()
        sent = sorted(lifecycle.SENT_BY_EXPORT)
        sent_marks = ", ".join("?" * len(sent))
        with self.sqlite_errors(), self.db.atomic():
            found: list[tuple[str, str]] = []
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                found += self.db.execute(
                    f"SELECT _uuid, _status FROM {quote(table)} WHERE _status IN "
                    f"({sent_marks}) AND _uuid IN ({', '.join('?' * len(chunk))})",
                    [*sent, *chunk],
                ).fetchall()
            order = {u: i for i, u in enumerate(wanted)}
            found.sort(key=lambda r: order[r[0]])
            done = [
                (lifecycle.after_export(s), u) for u, s in found if lifecycle.after_export(s) != s
            ]
            self.db.conn.executemany(f"UPDATE {quote(table)} SET _status = ? WHERE _uuid = ?", done)
            self.db.conn.executemany(
                "INSERT INTO _audit (at, who, form_id, record_uuid, field, old, new, reason, "
                "action) VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (now, who, form_id, u, "_status", status, lifecycle.EXPORTED, reason, "status")
                    for u, status in found
                ],
            )
        return len(done)

    def delete(self, form_id: str, uuid: str, *, reason: str, author: str | None = None) -> None:
        """Tombstone a record (``_deleted = 1``); it stays in the table and in exports."""
        self._set_deleted(form_id, uuid, 1, reason, author)

    def undelete(
        self, form_id: str, uuid: str, *, reason: str | None = None, author: str | None = None
    ) -> None:
        """Bring a tombstoned record back (fails if its report slot was filled meanwhile)."""
        self._set_deleted(form_id, uuid, 0, reason, author)

    def _set_deleted(
        self, form_id: str, uuid: str, flag: int, reason: str | None, author: str | None
    ) -> None:
        form = self.form(form_id)
        table = table_name(form_id)
        old = self._row(table, uuid)
        if old is None:
            raise UsageError("db.no_record", uuid=uuid, form_id=form_id)
        if flag and not (reason or "").strip():
            raise ValidationError("db.reason_required", uuid=uuid, status=old["_status"])
        if old["_deleted"] == flag:
            return
        with self.sqlite_errors(), self.db.atomic():
            if not flag:
                self._check_unique(form, {**old, "_deleted": 0})
            self._update(table, uuid, {"_deleted": flag, "_modified": later_than(old["_modified"])})
            self._audit(
                author or self.clerk,
                form_id,
                uuid,
                "_deleted",
                old["_deleted"],
                flag,
                reason,
                "delete" if flag else "undelete",
            )

    # -- reading ---------------------------------------------------------------------------
    def get(self, form_id: str, uuid: str) -> dict | None:
        """One record with its repeats (lists of dicts under the repeat names) and decoded
        ``_explanations``; tombstoned records too (check ``_deleted``)."""
        form = self.form(form_id)
        row = self._row(table_name(form_id), uuid)
        if row is None:
            return None
        row["_explanations"] = json.loads(row["_explanations"] or "{}")
        for repeat in form.repeats():
            if form.repeat_of(repeat.name) is None:
                row[repeat.name] = self._read_repeat(form, repeat.name, uuid)
        return row

    def find_report(
        self, form_id: str, *, unit: str, period: str, key: dict | None = None
    ) -> str | None:
        """The uuid of the live report for unit × period (× key values), if there is one."""
        form = self.form(form_id)
        where = ["_unit = ?", "_period = ?", "_deleted = 0"]
        params: list[object] = [self._norm_unit(unit), period]
        for name in report_key(form):
            where.append(f"coalesce({quote(name)}, '') = ?")
            value = (key or {}).get(name)
            params.append("" if value is None else _sql_value(value))
        row = self.db.execute(
            f"SELECT _uuid FROM {quote(table_name(form_id))} WHERE {' AND '.join(where)}", params
        ).fetchone()
        return row[0] if row else None

    def previous_values(
        self, form_id: str, *, unit: str, period: str, key: dict | None = None
    ) -> dict | None:
        """The answers of the same unit's report for the period before ``period`` (and the
        same ``kexie::key`` values): {question: value}; {} for a nil report; None when there
        is no such report. Drafts count: they are the unit's own latest figures."""
        form = self.form(form_id)
        if form.kind != "report" or not period:
            return None
        try:
            before = previous_period(period)
        except UsageError:
            return None
        uuid = self.find_report(form_id, unit=unit, period=before, key=key)
        record = self.get(form_id, uuid) if uuid else None
        if record is None:
            return None
        if record.get("_status") == NIL:
            return {}
        return {q.name: record.get(q.name) for q in form.fields()}

    def previous_lookup(
        self, form_id: str, *, unit: str, period: str
    ) -> Callable[[dict], dict | None]:
        """What the form engine asks for the previous period (``FormEngine(previous=...)``):
        given the current key values, :meth:`previous_values` for this unit and period."""
        return lambda key: self.previous_values(form_id, unit=unit, period=period, key=key)

    def _previous_for(self, form: Form, unit: str | None, period: str | None):
        if form.kind != "report" or not unit or not period:
            return None
        return self.previous_lookup(form.form_id, unit=unit, period=period)

    def records(
        self,
        form_id: str,
        *,
        unit: str | list[str] | None = None,
        within: str | None = None,
        period: str | list[str] | None = None,
        status: str | list[str] | None = None,
        search: str | None = None,
        include_deleted: bool = False,
        order_by: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[dict]:
        """Top-level rows (no repeats) matching the filters, newest change first by default.

        ``unit``: exact code(s); ``within``: a unit and everything below it; ``search``: text in
        any text column; ``order_by``: a column name, ``-name`` for descending.
        """
        form = self.form(form_id)
        where, params = self._filters(form, unit, within, period, status, search, include_deleted)
        sql = f"SELECT * FROM {quote(table_name(form_id))} WHERE {where}"
        sql += f" ORDER BY {self._order(form, order_by)}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
            if offset:
                sql += f" OFFSET {int(offset)}"
        return list(self.db.query(sql, params))

    def count(self, form_id: str, **filters: object) -> int:
        """How many records :meth:`records` would return (``order_by``/``limit`` ignored)."""
        form = self.form(form_id)
        for ignored in ("order_by", "limit", "offset"):
            filters.pop(ignored, None)
        where, params = self._filters(form, **filters)  # type: ignore[arg-type]
        return self.db.execute(
            f"SELECT count(*) FROM {quote(table_name(form_id))} WHERE {where}", params
        ).fetchone()[0]

    def audit_rows(self, form_id: str | None = None, uuid: str | None = None) -> list[dict]:
        """Audit rows, oldest first, optionally of one form and/or one record (or unit code)."""
        where, params = [], []
        if form_id is not None:
            where.append("form_id = ?")
            params.append(form_id)
        if uuid is not None:
            where.append("record_uuid = ?")
            params.append(uuid)
        sql = (
            "SELECT * FROM _audit"
            + (f" WHERE {' AND '.join(where)}" if where else "")
            + " ORDER BY id"
        )
        return list(self.db.query(sql, params))

    def iter_rows(self, form_id: str, repeat: str | None = None) -> Iterator[dict]:
        """Raw rows of a form table (or one repeat table) with system columns, tombstones too."""
        self.form(form_id)
        name = table_name(form_id, repeat)
        if not self.db[name].exists():
            return
        order = "_parent_uuid, _index" if repeat else "_created, _uuid"
        yield from self.db.query(f"SELECT * FROM {quote(name)} ORDER BY {order}")

    # -- importing -------------------------------------------------------------------------
    def upsert_rows(
        self,
        form_id: str,
        rows: Iterable[dict],
        repeat_rows: dict[str, list[dict]] | None = None,
        *,
        source: str,
    ) -> UpsertResult:
        """Write raw rows (as :meth:`iter_rows` yields them) from a bundle, in one transaction.

        New uuids are inserted, changed ones overwritten (the caller decides conflicts first),
        identical ones left alone. ``_source`` becomes ``source`` (the bundle's sha256) for
        written rows. The repeat rows of every written record replace its old ones. Columns a
        newer form version added are created. Report uniqueness is enforced (StorageError).

        Batched: existing rows are read in chunks, new rows and audit rows go in with
        ``executemany``; the outcome (rows, audit, errors) is that of writing row by row.
        """
        form = self.form(form_id)
        table = table_name(form_id)
        result = UpsertResult()
        repeat_rows = repeat_rows or {}
        with self.sqlite_errors(), self.db.atomic():
            rows = [_sql_row(raw) for raw in rows]
            self._add_missing_columns(table, rows)
            for repeat, items in repeat_rows.items():
                self._add_missing_columns(table_name(form_id, repeat), items)
            existing = self._rows_by_uuid(table, [r["_uuid"] for r in rows])
            unique = _ReportKeys(self, form) if form.kind == "report" else None
            written: set[str] = set()
            pending: list[dict] = []  # new rows not yet inserted
            audit: list[tuple] = []
            now = now_iso()
            for row in rows:
                record_uuid = row["_uuid"]
                old = existing.get(record_uuid)
                row["_source"] = source
                if old is None:
                    if unique is not None:
                        unique.check(row, None)
                    pending.append(row)
                    existing[record_uuid] = row
                    audit.append((now, row.get("_author"), form_id, record_uuid, None, None,
                                  None, source, "import"))  # fmt: skip
                    result.inserted.append(record_uuid)
                    written.add(record_uuid)
                    continue
                changes = [
                    (k, old.get(k), v) for k, v in row.items() if k != "_source" and old.get(k) != v
                ]
                if not changes:
                    result.unchanged.append(record_uuid)
                    continue
                merged = {**old, **row}
                if unique is not None:
                    unique.check(merged, old)
                self._insert_many(table, pending)  # keep the order of writes
                pending = []
                self._update(table, record_uuid, row)
                existing[record_uuid] = merged
                who = row.get("_author")
                audit += [
                    (now, who, form_id, record_uuid, name, before, after, source, "import")
                    for name, before, after in changes
                ]
                result.updated.append(record_uuid)
                written.add(record_uuid)
            self._insert_many(table, pending)
            self.db.conn.executemany(
                "INSERT INTO _audit (at, who, form_id, record_uuid, field, old, new, reason, "
                "action) VALUES (?,?,?,?,?,?,?,?,?)",
                audit,
            )
            self._delete_repeats_of(form, written)  # nested repeat rows too
            for repeat, items in self._repeats_of_written(form, repeat_rows, written):
                self._insert_many(
                    table_name(form_id, repeat), [_sql_row(i) for i in items], replace=True
                )
        return result

    def _rows_by_uuid(self, table: str, uuids: list[str]) -> dict[str, dict]:
        """Stored rows of ``table`` for these uuids, read in chunks."""
        out: dict[str, dict] = {}
        for i in range(0, len(uuids), 500):
            chunk = uuids[i : i + 500]
            cursor = self.db.execute(
                f"SELECT * FROM {quote(table)} WHERE _uuid IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            names = [d[0] for d in cursor.description]
            for r in cursor:
                row = dict(zip(names, r, strict=True))
                out[row["_uuid"]] = row
        return out

    def _insert_many(self, table: str, rows: list[dict], *, replace: bool = False) -> None:
        """Insert rows with one statement over the union of their columns (a column a row
        lacks gets the column's default, as when it is left out of an INSERT)."""
        if not rows:
            return
        cols = list(dict.fromkeys(k for row in rows for k in row))
        defaults = self._defaults(table)
        missing = [defaults.get(c) for c in cols]
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        sql = (
            f"{verb} INTO {quote(table)} ({', '.join(map(quote, cols))}) "
            f"VALUES ({', '.join('?' * len(cols))})"
        )
        if any(d is not None for d in missing):
            args = ([row.get(c, d) for c, d in zip(cols, missing, strict=True)] for row in rows)
        else:
            args = (list(map(row.get, cols)) for row in rows)
        self.db.conn.executemany(sql, args)

    def _defaults(self, table: str) -> dict[str, object]:
        out = {}
        for _, name, _, _, default, _ in self.db.execute(f"PRAGMA table_info({quote(table)})"):
            if default is not None:
                out[name] = self.db.execute(f"SELECT {default}").fetchone()[0]
        return out

    def _delete_repeats_of(self, form: Form, parents: set[str], outer: str | None = None) -> None:
        """Delete the repeat rows (nested ones too) of these parent uuids."""
        if not parents:
            return
        for repeat in form.repeats():
            enclosing = form.repeat_of(repeat.name)
            if (enclosing.name if enclosing else None) != outer:
                continue
            rtable = table_name(form.form_id, repeat.name)
            ids = list(parents)
            children: set[str] = set()
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                marks = ", ".join("?" * len(chunk))
                children.update(
                    r[0]
                    for r in self.db.execute(
                        f"SELECT _uuid FROM {quote(rtable)} WHERE _parent_uuid IN ({marks})", chunk
                    )
                )
            self._delete_repeats_of(form, children, repeat.name)
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                marks = ", ".join("?" * len(chunk))
                self.db.execute(
                    f"DELETE FROM {quote(rtable)} WHERE _parent_uuid IN ({marks})", chunk
                )

    @staticmethod
    def _repeats_of_written(form: Form, repeat_rows: dict, written: set[str]):
        """(repeat, items) of the repeat rows that belong to a written record, directly or
        through their parent repeat row; outer repeats before the ones nested in them."""
        depth: dict[str, int] = {}

        def level(name: str) -> int:
            if name not in depth:
                outer = form.repeat_of(name) if name in form else None
                depth[name] = 0 if outer is None else level(outer.name) + 1
            return depth[name]

        kept: dict[str, set[str]] = {}
        out = []
        for repeat in sorted(repeat_rows, key=level):
            outer = form.repeat_of(repeat) if repeat in form else None
            owners = written if outer is None else written | kept.get(outer.name, set())
            items = [i for i in repeat_rows[repeat] if i["_parent_uuid"] in owners]
            kept[repeat] = {i["_uuid"] for i in items}
            out.append((repeat, items))
        return out

    # -- internals -------------------------------------------------------------------------
    def _add_missing_columns(self, table: str, rows: list[dict]) -> None:
        have = {c.name for c in self.db[table].columns}
        keys = {k for row in rows for k in row} - have
        for key in sorted(keys):
            value = next((r[key] for r in rows if r.get(key) is not None), None)
            sql_type = (
                "INTEGER"
                if isinstance(value, int)
                else "REAL"
                if isinstance(value, float)
                else "TEXT"
            )
            self.db.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(key)} {sql_type}")

    def _row(self, table: str, uuid: str | None) -> dict | None:
        if uuid is None:
            return None
        # hand-written: every save reads its row (db.query costs ~5 µs more per call)
        cursor = self.db.execute(f"SELECT * FROM {quote(table)} WHERE _uuid = ?", [uuid])
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cursor.description], row, strict=True))

    def _insert(self, table: str, row: dict, *, replace: bool = False) -> None:
        cols = list(row)
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        sql = f"{verb} INTO {quote(table)} ({', '.join(map(quote, cols))}) VALUES ({', '.join('?' * len(cols))})"
        self.db.execute(sql, [row[c] for c in cols])

    def _update(self, table: str, uuid: str, values: dict) -> None:
        cols = [c for c in values if c != "_uuid"]
        sql = f"UPDATE {quote(table)} SET {', '.join(f'{quote(c)} = ?' for c in cols)} WHERE _uuid = ?"
        self.db.execute(sql, [values[c] for c in cols] + [uuid])

    def _audit(self, who, form_id, uuid, field_name, old, new, reason, action) -> None:
        self.db.execute(
            "INSERT INTO _audit (at, who, form_id, record_uuid, field, old, new, reason, action) VALUES (?,?,?,?,?,?,?,?,?)",
            [now_iso(), who, form_id, uuid, field_name, old, new, reason, action],
        )

    def _repeat_rows(self, form: Form, record_uuid: str, values: dict) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {r.name: [] for r in form.repeats()}

        def visit(parent_uuid: str, outer: str | None, data: dict) -> None:
            for repeat in form.repeats():
                if (
                    outer_repeat.name if (outer_repeat := form.repeat_of(repeat.name)) else None
                ) != outer:
                    continue
                for index, item in enumerate(data.get(repeat.name) or [], start=1):
                    row_uuid = str(
                        uuidlib.uuid5(_REPEAT_NS, f"{parent_uuid}/{repeat.name}/{index}")
                    )
                    row = {"_uuid": row_uuid, "_parent_uuid": parent_uuid, "_index": index}
                    for q in form.fields(repeat.name):
                        row[q.name] = _sql_value(item.get(q.name))
                    out[repeat.name].append(row)
                    visit(row_uuid, repeat.name, item)

        visit(record_uuid, None, values)
        return out

    def _write_repeats(self, form: Form, record_uuid: str, repeats: dict[str, list[dict]]) -> None:
        if not repeats:
            return
        self._delete_repeats(form, record_uuid)
        for repeat, rows in repeats.items():
            for row in rows:
                self._insert(table_name(form.form_id, repeat), row)

    def _delete_repeats(self, form: Form, parent_uuid: str, outer: str | None = None) -> None:
        for repeat in form.repeats():
            enclosing = form.repeat_of(repeat.name)
            if (enclosing.name if enclosing else None) != outer:
                continue
            rtable = table_name(form.form_id, repeat.name)
            children = [
                r[0]
                for r in self.db.execute(
                    f"SELECT _uuid FROM {quote(rtable)} WHERE _parent_uuid = ?", [parent_uuid]
                )
            ]
            for child in children:
                self._delete_repeats(form, child, repeat.name)
            self.db.execute(f"DELETE FROM {quote(rtable)} WHERE _parent_uuid = ?", [parent_uuid])

    def _read_repeat(self, form: Form, repeat: str, parent_uuid: str) -> list[dict]:
        rtable = table_name(form.form_id, repeat)
        items = list(
            self.db.query(
                f"SELECT * FROM {quote(rtable)} WHERE _parent_uuid = ? ORDER BY _index",
                [parent_uuid],
            )
        )
        for item in items:
            for inner in form.repeats():
                enclosing = form.repeat_of(inner.name)
                if enclosing is not None and enclosing.name == repeat:
                    item[inner.name] = self._read_repeat(form, inner.name, item["_uuid"])
        return items

    def _stored_repeats(self, form: Form, record_uuid: str) -> dict[str, list[dict]]:
        """Stored repeat rows of a record (nested ones too), as :meth:`_repeat_rows` builds them."""
        out: dict[str, list[dict]] = {r.name: [] for r in form.repeats()}

        def visit(parent_uuid: str, outer: str | None) -> None:
            for repeat in form.repeats():
                enclosing = form.repeat_of(repeat.name)
                if (enclosing.name if enclosing else None) != outer:
                    continue
                rtable = table_name(form.form_id, repeat.name)
                for row in list(
                    self.db.query(
                        f"SELECT * FROM {quote(rtable)} WHERE _parent_uuid = ? ORDER BY _index",
                        [parent_uuid],
                    )
                ):
                    out[repeat.name].append(
                        {
                            k: row.get(k)
                            for k in [
                                "_uuid",
                                "_parent_uuid",
                                "_index",
                                *(q.name for q in form.fields(repeat.name)),
                            ]
                        }
                    )
                    visit(row["_uuid"], repeat.name)

        visit(record_uuid, None)
        return out

    def _check_unit(self, unit: str | None) -> str:
        unit = unit or self.unit_code
        if not unit:
            raise UsageError("db.no_unit", fix="db.no_unit.fix")
        code = self._norm_unit(unit)
        if self.units.get(code) is None:
            resolve_unit(self.units, unit)
        return code

    @staticmethod
    def _norm_unit(unit: str) -> str:
        from localdb.units import normalise_code

        return normalise_code(unit) or unit

    @staticmethod
    def _check_period(form: Form, period: str | None) -> str | None:
        if form.kind != "report":
            return parse_period(period) if period else None
        if not period:
            raise UsageError("db.no_period", form=form.title())
        return parse_period(period, form.period_type)

    def _check_finalisable(self, form: Form, problems: list[Problem], explanations: dict) -> None:
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise ValidationError(
                "db.has_errors", problems=errors, count=len(errors), first=errors[0].message()
            )
        unexplained = [
            p
            for p in problems
            if p.severity == "warning"
            and not str(explanations.get(p.location.field or "", "")).strip()
        ]
        if unexplained:
            raise ValidationError(
                "db.unexplained_warnings",
                problems=unexplained,
                location=unexplained[0].location,
                count=len(unexplained),
                first=unexplained[0].message(),
            )

    def _check_unique(self, form: Form, row: dict) -> None:
        if form.kind != "report" or row.get("_deleted"):
            return
        key = {k: row.get(k) for k in report_key(form)}
        other = self.find_report(form.form_id, unit=row["_unit"], period=row["_period"], key=key)
        if other and other != row["_uuid"]:
            raise self._report_clash(form, row)

    def _report_clash(self, form: Form, row: dict) -> StorageError:
        """The error for a second live report of the same unit × period (× key)."""
        unit = self.units.get(row["_unit"])
        return StorageError(
            "db.report_exists",
            fix="db.report_exists.fix",
            location=Location(field=",".join(report_key(form)) or None),
            form=form.title(),
            unit=unit.name if unit else row["_unit"],
            period=row["_period"],
        )

    def _filters(
        self,
        form,
        unit=None,
        within=None,
        period=None,
        status=None,
        search=None,
        include_deleted=False,
    ):
        where: list[str] = []
        params: list[object] = []

        def any_of(column: str, value) -> None:
            items = [value] if isinstance(value, str) else list(value)
            where.append(f"{column} IN ({', '.join('?' * len(items))})")
            params.extend(items)

        if unit is not None:
            any_of(
                "_unit", [self._norm_unit(u) for u in ([unit] if isinstance(unit, str) else unit)]
            )
        if within is not None:
            base = self.units.get(within)
            where.append("_unit LIKE ?")
            params.append((base.prefix if base else self._norm_unit(within)) + "%")
        if period is not None:
            any_of("_period", period)
        if status is not None:
            any_of("_status", status)
        if not include_deleted:
            where.append("_deleted = 0")
        if search:
            text_cols = ["_uuid"] + [q.name for q in form.fields() if q.sql_type == "TEXT"]
            where.append("(" + " OR ".join(f"{quote(c)} LIKE ?" for c in text_cols) + ")")
            params.extend([f"%{search}%"] * len(text_cols))
        return (" AND ".join(where) or "1"), params

    def _order(self, form: Form, order_by: str | None) -> str:
        if not order_by:
            return "_modified DESC, _uuid"
        desc = order_by.startswith("-")
        name = order_by.lstrip("-")
        columns = {c.name for c in self.db[table_name(form.form_id)].columns}
        if name not in columns:
            raise UsageError("db.bad_order", column=name)
        return f"{quote(name)} {'DESC' if desc else 'ASC'}, _uuid"

    __call__ = records  # ``store.records(form_id, ...)``


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _nonempty(form: Form, values: dict) -> dict:
    return {k: v for k, v in values.items() if v not in (None, "", [])}


__all__ = ["STATUSES", "Records", "RecordsHost", "UpsertResult"]
