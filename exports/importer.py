"""``import_bundle``: take a subordinate unit's bundle into local data, all or nothing.

Order of work: verify the whole file (nothing is written unless it is a valid, untampered
bundle from within this unit's subtree), decide per record what to do (``exports.resolve``),
back up the database, then write everything in one transaction. Conflicts are reported and
leave the local version in place.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import date
from pathlib import Path

from exports.canonical import canonical_json, row_digest
from exports.content import UnitNames
from exports.format import TOMBSTONE_TABLE
from exports.model import Column, ImportSummary, TableSpec
from exports.reader import BundleReader
from exports.resolve import (
    CONFLICT,
    FOREIGN,
    REASONS,
    REPORT_REASONS,
    SAME,
    Version,
    change,
    reconcile,
    report_identity,
)
from exports.safety import check_zip_bytes
from exports.specs import Normaliser
from i18n.errors import BundleError, KexieError, Location, Problem
from kexie.tasks import NULL_TASK, TaskState


def spec_from_manifest(table: str, entry: dict) -> TableSpec:
    """A table spec rebuilt from a manifest entry (names and kinds only)."""
    cols = [Column(n, k) for n, k in entry["columns"]]
    return TableSpec(table, entry.get("form"), entry.get("repeat"), table, cols)


def read_all(path: Path, *, today: date | None, task: TaskState):
    """Verify a bundle and return (reader, {table: [(row, digest)]}); BundleError if unusable."""
    reader = BundleReader(path, today=today)
    blobs = reader.check_forms()
    rows: dict[str, list[tuple[dict, bytes]]] = defaultdict(list)
    reader.scan(lambda t, row, _text, digest, _r, _d: rows[t].append((row, digest)), task=task)
    return reader, rows, blobs


def outside_problem(file: str, unit: str, own: str) -> Problem:
    return Problem(
        "bundle.import.outside",
        {"unit": unit, "own": own},
        Location(file=file),
        "error",
        "bundle.fix.allow_outside",
    )


def ensure_forms(store, manifest: dict, blobs: dict, file: str) -> tuple[list, list[Problem]]:
    """Every form version of the bundle, from the store or from the embedded definitions.
    Returns (forms to register, problems)."""
    register, problems = [], []
    for form_id, spec in manifest["forms"].items():
        for version in spec.get("versions") or []:
            try:
                store.form(form_id, version)
                continue
            except Exception:  # unknown to this installation: try the bundle's
                pass
            blob = blobs.get((form_id, version))
            form = None
            if blob is not None:
                try:
                    from forms import load_form

                    # An embedded definition is as untrusted as the bundle: same gate first.
                    check_zip_bytes(blob, Path(file) / f"{form_id}-{version}.xlsx")
                    form = load_form(blob, name=f"{form_id}.xlsx")
                except Exception:  # a broken definition is refused below
                    form = None
            if form is None or form.form_id != form_id or form.version != version:
                problems.append(
                    Problem(
                        "bundle.import.unknown_form",
                        {"form": form_id, "version": version},
                        Location(file=file),
                        "error",
                        "bundle.fix.install_form",
                    )
                )
            else:
                register.append(form)
    return register, problems


@contextlib.contextmanager
def transaction(store):
    """One transaction over the whole import (nested ``atomic`` blocks become savepoints)."""
    with store.transaction():
        yield


def import_bundle(
    store,
    path: str | Path,
    *,
    allow_outside: bool = False,
    task: TaskState = NULL_TASK,
    today: date | None = None,
) -> ImportSummary:
    """Import the bundle at ``path``. A file that is not acceptable changes nothing: the
    reasons are in ``summary.refused``. See the module docstring for the order of work. Every
    attempt, accepted, refused or failed, is logged in the store's import log (导入记录)."""
    try:
        summary = _import_bundle(store, path, allow_outside=allow_outside, task=task, today=today)
    except KexieError as exc:  # disk full, read-only, cancelled ...: logged, then shown
        log_attempt(store, "import", Path(path), "failed", [exc.as_problem()])
        raise
    outcome = "refused" if summary.refused else "accepted"
    details = {"added": summary.added, "superseded": len(summary.superseded),
               "unchanged": summary.unchanged, "kept_newer": summary.kept_newer,
               "deleted": summary.deleted, "conflicts": len(summary.conflicts)}  # fmt: skip
    log_attempt(store, "import", summary.path, outcome, summary.refused + summary.warnings,
                bundle_sha256=summary.sha256, unit=summary.unit, details=details)  # fmt: skip
    return summary


def log_attempt(store, kind: str, path: Path, outcome: str, reasons: list, **info) -> None:
    """One row of the import log. Logging never hides the result: a store that cannot write
    (read-only, disk full) has already said so."""
    record = store.journal.record_transfer
    from localdb.journal import file_sha256

    with contextlib.suppress(KexieError):
        record(kind, path, outcome=outcome, reasons=reasons, file_digest=file_sha256(path), **info)


def _import_bundle(
    store,
    path: str | Path,
    *,
    allow_outside: bool = False,
    task: TaskState = NULL_TASK,
    today: date | None = None,
) -> ImportSummary:
    path = Path(path)
    summary = ImportSummary(path)
    try:
        reader, rows, blobs = read_all(path, today=today, task=task)
    except BundleError as exc:
        summary.refused.append(exc.as_problem())
        return summary
    summary.sha256 = reader.sha256
    summary.unit = reader.manifest.get("unit")
    summary.warnings = reader.warnings + [p for p in reader.findings if p.severity == "warning"]
    if not reader.valid:
        summary.refused = [p for p in reader.findings if p.severity == "error"]
        return summary
    m = reader.manifest
    own = store.unit_code
    names = UnitNames(store.units, own) if own else None
    if names is not None and own and not allow_outside:
        for unit in [m["unit"], *m["contains"]]:
            if not names.within(unit, own):
                summary.refused.append(outside_problem(str(path), unit, own))
                break
    register, problems = ensure_forms(store, m, blobs, str(path))
    summary.refused += problems
    if summary.refused:
        return summary
    task.check()
    plan = plan_import(store, m, rows, register, summary)
    task.check()
    summary.backup = store.backup("import")
    with transaction(store):
        for form in register:
            store.register_form(form)
            summary.forms_added.append(f"{form.form_id} {form.version}")
        for form_id, (main, repeats) in plan.items():
            if main:
                store.upsert_rows(form_id, main, repeats, source=reader.sha256)
            task.check()
    task.report(1.0)
    return summary


def plan_import(store, m: dict, rows: dict, register: list, summary: ImportSummary) -> dict:
    """Decide, record by record, what the import writes: {form_id: (main rows, repeat rows)}."""
    registered = {(f.form_id, f.version): f for f in register}
    plan: dict[str, tuple[list, dict]] = {}
    tombs_by_form: dict[str, list] = defaultdict(list)
    for row, digest in rows.get(TOMBSTONE_TABLE, []):
        tombs_by_form[row.get("_form")].append((row, digest))
    for table, entry in m["tables"].items():
        form_id = entry.get("form")
        if entry.get("repeat") is not None or table == TOMBSTONE_TABLE:
            continue
        form = _current_form(store, form_id, registered)
        spec = spec_from_manifest(table, entry)
        norm = Normaliser(spec)
        carried_names = [c.name for c in spec.columns if not c.derived]
        incoming = rows.get(table, [])
        wanted = {r["_uuid"] for r, _ in incoming} | {r["_uuid"] for r, _ in tombs_by_form[form_id]}
        existing, reports = _existing(store, form_id, form, wanted)
        main: list[dict] = []
        written: set[str] = set()
        key = list(getattr(form, "report_key", []) or [])
        for row, digest in incoming:
            uuid = row["_uuid"]
            old = existing.get(uuid)
            new = _version("new", row, digest)
            if old is None:
                ident = report_identity(form_id, row, key)
                other = reports.get(ident) if ident else None
                if other is not None and other["_uuid"] != uuid:
                    old_carried = _carried(norm, other)
                    held = _version("old", other, _digest(table, old_carried), held=True)
                    outcome = reconcile([held, new])
                    verdict = outcome.others[0][1]
                    item = change(form_id, old_carried, row, REPORT_REASONS.get(verdict, ""))
                    if outcome.winner is held:
                        if verdict == CONFLICT:
                            summary.conflicts.append(item)
                        else:
                            summary.kept_newer += 1
                        continue
                    main.append({"_uuid": other["_uuid"], "_deleted": 1})
                    (summary.conflicts if verdict == CONFLICT else summary.superseded).append(item)
                else:
                    summary.added += 1
                # A new record: empty answers need no column (fewer columns, faster insert).
                main.append({**row, "_deleted": 0})
                written.add(uuid)
                continue
            old_carried = _carried(norm, old)
            held = _version("old", old, _digest(table, old_carried), held=True)
            outcome = reconcile([held, new])
            verdict = outcome.others[0][1]
            if verdict == FOREIGN:
                summary.conflicts.append(change(form_id, old_carried, row, REASONS[FOREIGN]))
            elif outcome.winner is held:
                if verdict == SAME:
                    summary.unchanged += 1
                elif verdict == CONFLICT:
                    summary.conflicts.append(change(form_id, old_carried, row, REASONS[CONFLICT]))
                else:
                    summary.kept_newer += 1
            else:
                main.append({n: row.get(n) for n in carried_names} | {"_deleted": 0})
                written.add(uuid)
                item = change(form_id, old_carried, row, REASONS.get(verdict, ""))
                (summary.conflicts if verdict == CONFLICT else summary.superseded).append(item)
        for row, digest in tombs_by_form[form_id]:
            old = existing.get(row["_uuid"])
            if old is not None:
                old_carried = _carried(norm, old)
                held = _version("old", old, _digest(table, old_carried), held=True)
                outcome = reconcile([held, _version("new", row, digest, deleted=True)])
                verdict = outcome.others[0][1]
                if verdict == FOREIGN:
                    summary.conflicts.append(change(form_id, old_carried, row, REASONS[FOREIGN]))
                if outcome.winner is held:
                    continue
            # A newer deletion of a record already deleted is written too: its time is what
            # a later live copy has to beat.
            main.append({k: v for k, v in row.items() if k != "_form"} | {"_deleted": 1})
            if old is None or not old.get("_deleted"):
                summary.deleted += 1
        repeats: dict[str, list[dict]] = {}
        for rtable, rentry in m["tables"].items():
            if rentry.get("form") == form_id and rentry.get("repeat") is not None:
                rnames = [n for n, _ in rentry["columns"] if not n.startswith("~")]
                repeats[rentry["repeat"]] = [
                    {n: r.get(n) for n in rnames} for r, _ in rows.get(rtable, [])
                ]
        if main:
            plan[form_id] = (main, repeats)
    return plan


def _current_form(store, form_id, registered):
    try:
        return store.form(form_id)
    except Exception:  # a form new to this installation, registered with the import
        forms = [f for (fid, _), f in registered.items() if fid == form_id]
        return forms[-1] if forms else None


def _existing(store, form_id, form, wanted: set[str]):
    existing: dict[str, dict] = {}
    reports: dict[tuple, str] = {}
    if form is None:
        return existing, reports
    key = list(getattr(form, "report_key", []) or [])
    try:
        store.form(form_id)
    except Exception:  # new to this installation (registered by this import): nothing held
        return existing, reports
    try:
        source = store.iter_rows(form_id)
    except Exception:  # a form without a table yet
        return existing, reports
    for r in source:
        if r["_uuid"] in wanted:
            existing[r["_uuid"]] = r
        if not r.get("_deleted"):
            ident = report_identity(form_id, r, key)
            if ident:
                reports[ident] = r
    return existing, reports


def _version(ref: str, row: dict, digest: bytes, *, held: bool = False, deleted: bool = False):
    """A row as the reconciliation rule sees it (``exports.resolve``)."""
    return Version(ref, row.get("_unit"), row.get("_modified"), digest,
                   deleted or bool(row.get("_deleted")), held, row.get("_created"))  # fmt: skip


def _carried(norm: Normaliser, row: dict) -> dict:
    try:
        return norm.carry(row)
    except BundleError:
        return {k: v for k, v in row.items() if v is not None}


def _digest(table: str, carried: dict) -> bytes:
    return row_digest(table, canonical_json(carried))
