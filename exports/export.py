"""``export_bundle``: this installation's data as one bundle for the level above."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from exports.canonical import canonical_json, combine, row_digest
from exports.content import Content, UnitNames
from exports.format import EXPORTED_STATUSES, TOMBSTONE_TABLE
from exports.model import ExportSummary
from exports.specs import Normaliser, form_specs, merge_columns, tombstone_spec
from forms import periods as P
from i18n import get_language, normalise_language
from i18n.errors import UsageError
from kexie.lifecycle import SENT_BY_EXPORT
from kexie.tasks import NULL_TASK, TaskState


def in_period(row: dict, period: str | None) -> bool:
    """Whether a record belongs to ``period``: its report period lies within it, or (surveys)
    the record was created within it."""
    if period is None:
        return True
    own = row.get("_period")
    if own:
        try:
            return P.contains(period, own)
        except Exception:  # a malformed stored period is not in any period
            return False
    created = str(row.get("_created") or "")
    if len(created) < 7:
        return False
    kind = P.period_type(period)
    if kind == "year":
        return created[:4] == period
    if kind == "month":
        return created[:7] == period
    return P.contains(period, created[:7])


def form_blob(form) -> bytes | None:
    """The XLSForm workbook a form was loaded from, to embed in the bundle."""
    source = getattr(form, "source", None)
    if source and Path(source).is_file():
        return Path(source).read_bytes()
    return None


def collect_form(store, form, content: Content, *, period, include_sensitive, lang, keep):
    """Add one form's exported rows (and tombstones) to ``content``; returns (drafts left out,
    {table: carried rows}, tombstone rows)."""
    rows = [r for r in store.iter_rows(form.form_id) if in_period(r, period)]
    drafts = sum(
        1 for r in rows if not r.get("_deleted") and r.get("_status") not in EXPORTED_STATUSES
    )
    live = [r for r in rows if not r.get("_deleted") and r.get("_status") in EXPORTED_STATUSES]
    dead = [r for r in rows if r.get("_deleted")]
    if not live and not dead:
        return drafts, {}, []
    content.sent[form.form_id] += [r["_uuid"] for r in live if r["_status"] in SENT_BY_EXPORT]
    versions = sorted(
        {r.get("_form_version") or form.version for r in live + dead} - {form.version}
    )
    forms = [form] + [_version(store, form, v) for v in versions]
    forms = [f for f in forms if f is not None]
    per_version = [form_specs(f, include_sensitive=include_sensitive, lang=lang) for f in forms]
    omitted = sorted({n for _, o in per_version for n in o})
    if omitted:
        content.sensitive_omitted[form.form_id] = omitted
    for f in forms:
        content.add_form(f, form_blob(f))
    out: dict[str, list[dict]] = {}
    by_table: dict[str, list] = {}
    for specs, _ in per_version:
        for spec in specs:
            by_table.setdefault(spec.table, []).append(spec)
    kept_parents = set()
    for table, specs in by_table.items():
        spec = merge_columns(specs)
        content.add_table(spec)
        norm = Normaliser(spec)
        if spec.repeat is None:
            source = sorted(
                live,
                key=lambda r: (
                    r.get("_unit") or "",
                    r.get("_period") or "",
                    r.get("_created") or "",
                    r["_uuid"],
                ),
            )
        else:
            source = [
                r
                for r in store.iter_rows(form.form_id, spec.repeat)
                if r.get("_parent_uuid") in kept_parents
            ]
        carried_rows = []
        for r in source:
            carried = norm.carry(r)
            digest = row_digest(table, canonical_json(carried))
            content.add_row(table, carried, digest)
            carried_rows.append(carried)
            kept_parents.add(r["_uuid"])
        out[table] = carried_rows
    tomb_norm = keep
    tombs = []
    for r in dead:
        carried = tomb_norm.carry({**r, "_form": form.form_id})
        content.add_row(
            TOMBSTONE_TABLE, carried, row_digest(TOMBSTONE_TABLE, canonical_json(carried))
        )
        tombs.append(carried)
    return drafts, out, tombs


def _version(store, form, version):
    try:
        return store.form(form.form_id, version)
    except Exception:  # an unknown old version: its rows use the current columns
        return None


def export_bundle(
    store,
    out: str | Path,
    *,
    period: str | None = None,
    include_sensitive: bool = False,
    lang: str | None = None,
    task: TaskState = NULL_TASK,
    engine: str = "stream",
) -> ExportSummary:
    """Write this installation's finalised data (not drafts) as a bundle at ``out``.

    ``period`` limits reports to those within it (a year takes its months) and survey records
    to those created within it. Sensitive questions are left out unless ``include_sensitive``.
    ``lang`` chooses the language of sheet names and headers (default: the current one).
    """
    start = time.perf_counter()
    lang = normalise_language(lang or get_language())
    if period is not None:
        period = P.parse_period(period)
    unit = store.unit_code
    if not unit:
        raise UsageError("bundle.export.no_unit", fix="bundle.fix.init_unit")
    names = UnitNames(store.units, unit)
    content = Content(unit, names, lang)
    tomb = tombstone_spec(lang)
    content.add_table(tomb)
    tomb_norm = Normaliser(tomb)
    tables: dict[str, list[dict]] = {}
    tomb_rows: list[dict] = []
    drafts = 0
    forms = store.forms()
    for i, form in enumerate(forms):
        task.check()
        d, rows, tombs = collect_form(
            store,
            form,
            content,
            period=period,
            include_sensitive=include_sensitive,
            lang=lang,
            keep=tomb_norm,
        )
        drafts += d
        tables.update(rows)
        tomb_rows += tombs
        task.report(0.4 * (i + 1) / max(len(forms), 1))
    tomb_rows.sort(key=lambda r: r["_uuid"])
    tables[TOMBSTONE_TABLE] = tomb_rows
    # tombstones last among the sheets
    content.specs[TOMBSTONE_TABLE] = content.specs.pop(TOMBSTONE_TABLE)
    sha = combine(content.digests)

    def rows_for(table: str):
        norm = content.normalisers[table]
        return lambda: (norm.sheet_row(r, names.name) for r in tables[table])

    journal = Journal(store, content.sent, Path(out), sha)
    journal.remember()
    try:
        content.write(Path(out), rows_for, sha256=sha, period=period, clerk=store.clerk,
                      engine=engine, task=task, before_replace=journal.begin)  # fmt: skip
    except BaseException:
        journal.abort()  # the file is not in place: nothing stays marked
        raise
    marked = journal.finish()
    counts = {
        s.form_id: content.counts.get(t, 0)
        for t, s in content.specs.items()
        if s.repeat is None and t != TOMBSTONE_TABLE and s.form_id is not None
    }
    task.report(1.0)
    return ExportSummary(
        Path(out),
        sha,
        counts,
        content.counts.get(TOMBSTONE_TABLE, 0),
        drafts,
        content.sensitive_omitted,
        time.perf_counter() - start,
        marked,
    )


class Journal:
    """Marking what an export sent, in step with the file (``localdb.journal``): the records
    are marked with a ``pending`` journal row in one transaction just before the complete file
    is moved into place, and the row is closed after."""

    def __init__(self, store, sent: dict[str, list[str]], out: Path, sha: str) -> None:
        self.store, self.sent, self.out, self.sha = store, sent, out, sha
        self.id: int | None = None
        self.marked = 0

    def remember(self) -> None:
        """Tell the store which folder this export's scratch files go to (swept at its next
        start should this run be killed)."""
        folder = self.out.parent if str(self.out.parent) else Path(".")
        self.store.journal.remember_folder(folder)

    def begin(self, temp: Path) -> None:
        from localdb.journal import file_sha256

        self.id, self.marked = self.store.journal.begin_export(
            self.out, self.sent, file_digest=file_sha256(temp), bundle_sha256=self.sha
        )

    def abort(self) -> None:
        if self.id is not None:
            with contextlib.suppress(Exception):  # never mask the original error
                self.store.journal.undo_export(self.id)
            self.id = None

    def finish(self) -> int:
        if self.id is None:  # begin() runs before every replace: never reached
            return 0
        # The file is in place and the records are marked; should closing the journal row fail
        # (disk full now), the next open settles it from the file.
        with contextlib.suppress(Exception):
            self.store.journal.end_export(self.id)
        return self.marked
