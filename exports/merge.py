"""``merge_bundles``: subordinate bundles plus this installation's data → one bundle for this unit.

Streaming with bounded memory: every bundle is verified while its rows are staged in a temporary
SQLite file (one transaction per bundle; a bundle that fails verification is taken out again
and refused), versions are reconciled there with SQL (``exports.resolve`` rules: by uuid, then
reports by unit × period × form × key, then tombstones, then repeat rows follow the winning
version of their record), and the winners are streamed into the output workbook. Only one
bundle's sheet is held in memory at a time. The output is itself a bundle: merging it again one
level up works the same way. Order-free: ties are broken by content, never by input order.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from exports.canonical import canonical_json, combine_sorted, row_digest
from exports.content import Content, UnitNames
from exports.export import collect_form, form_blob
from exports.format import TOMBSTONE_TABLE
from exports.importer import outside_problem
from exports.model import Column, MergeSummary, TableSpec
from exports.reader import BundleReader
from exports.resolve import change, report_identity
from exports.specs import Normaliser, form_specs, tombstone_spec
from i18n import get_language, normalise_language, tr
from i18n.errors import BundleError, Location, Problem, UsageError
from kexie.tasks import NULL_TASK, TaskState

MAIN, REPEAT, TOMB = 0, 1, 2
BATCH = 5000
_SCHEMA = """
CREATE TABLE rows(tbl TEXT, kind INTEGER, uuid TEXT, parent TEXT, modified TEXT, digest BLOB,
                  src TEXT, ident TEXT, sort TEXT, data TEXT, win INTEGER DEFAULT 0);
"""


class Staging:
    """The temporary SQLite file rows are staged in (removed on close)."""

    def __init__(self, folder: Path) -> None:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".kexie-merge-", suffix=".sqlite")
        os.close(fd)
        self.path = Path(name)
        self.db = sqlite3.connect(name, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=FILE",
                       "cache_size=-32000"):  # fmt: skip
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript(_SCHEMA)
        self.batch: list[tuple] = []

    def add(self, row: tuple) -> None:
        self.batch.append(row)
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            self.db.executemany("INSERT INTO rows VALUES (?,?,?,?,?,?,?,?,?,?,0)", self.batch)
            self.batch.clear()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.unlink(f"{self.path}{suffix}")


def _sort_key(row: dict, kind: int) -> str:
    if kind == MAIN:
        return "\x1f".join((row.get("_unit") or "", row.get("_period") or "",
                            row.get("_created") or "", row.get("_uuid") or ""))  # fmt: skip
    if kind == REPEAT:
        return f"{row.get('_parent_uuid') or ''}\x1f{row.get('_index') or 0:09d}"
    return row.get("_uuid") or ""


class _Tables:
    """Column union of every table across inputs (kinds from the manifests)."""

    def __init__(self) -> None:
        self.columns: dict[str, dict[str, str]] = defaultdict(dict)
        self.meta: dict[str, tuple[str | None, str | None]] = {}

    def add(self, table: str, form_id, repeat, columns) -> None:
        self.meta.setdefault(table, (form_id, repeat))
        for name, kind in columns:
            self.columns[table].setdefault(name, kind)


def merge_bundles(
    store,
    paths: list[str | Path],
    out: str | Path,
    *,
    allow_outside: bool = False,
    task: TaskState = NULL_TASK,
    lang: str | None = None,
    include_local: bool = True,
    engine: str = "stream",
) -> MergeSummary:
    """Merge the bundles at ``paths`` and (``include_local``) this installation's finalised
    data into one bundle at ``out`` for this unit. Bundles that are broken, tampered with or
    (unless ``allow_outside``) from outside this unit's subtree are refused and listed in
    ``summary.refused``; the others are merged. See the module docstring."""
    start = time.perf_counter()
    lang = normalise_language(lang or get_language())
    out = Path(out)
    own = store.unit_code
    if not own:
        raise UsageError("bundle.export.no_unit", fix="bundle.fix.init_unit")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise BundleError("bundle.write.no_folder", location=Location(file=str(out)),
                          folder=str(folder))  # fmt: skip
    names = UnitNames(store.units, own)
    summary = MergeSummary(out)
    staging = Staging(folder)
    try:
        tables = _Tables()
        content = Content(own, names, lang)
        blobs: dict[tuple[str, str], bytes] = {}
        forms_meta: dict[str, dict] = {}
        omitted: dict[str, set[str]] = defaultdict(set)
        units_from: dict[str, str] = {}
        seen_sha: set[str] = set()
        total = max(len(paths), 1)
        for i, p in enumerate(paths):
            task.check()
            _stage_bundle(Path(p), staging, summary, tables, blobs, forms_meta, omitted,
                          units_from, seen_sha, own, names, allow_outside, content)  # fmt: skip
            task.report(0.6 * (i + 1) / total, tr("bundle.progress.merging", lang))
        local_forms = []
        if include_local:
            local_forms = _stage_local(store, staging, tables, blobs, omitted, content, lang)
        staging.flush()
        summary.inputs = len(paths)
        task.check()
        _resolve(staging, summary, store)
        task.report(0.7, tr("bundle.progress.merging", lang))
        specs = _specs(store, tables, local_forms, blobs, lang)
        for spec in specs:
            content.add_table(spec)
        for (form_id, version), blob in sorted(blobs.items()):
            content.form_blobs[(form_id, version)] = blob
        for form_id, meta in forms_meta.items():
            entry = content.forms.setdefault(form_id, {**meta, "versions": [], "sha256": {}})
            for v in meta.get("versions", []):
                if v not in entry["versions"]:
                    entry["versions"].append(v)
            entry["versions"].sort()
            entry["sha256"].update(meta.get("sha256", {}))
        content.sensitive_omitted = {f: sorted(v) for f, v in sorted(omitted.items()) if v}
        db = staging.db
        for table, data in db.execute("SELECT tbl, data FROM rows WHERE win=1 ORDER BY tbl, sort"):
            content.account(table, json.loads(data))
        sha = combine_sorted(
            d for (d,) in db.execute("SELECT digest FROM rows WHERE win=1 ORDER BY digest")
        )
        task.report(0.8, tr("bundle.progress.writing", lang))

        def rows_for(table: str):
            norm = content.normalisers[table]
            loads, name = json.loads, names.name

            def gen():
                cur = staging.db.execute(
                    "SELECT data FROM rows WHERE win=1 AND tbl=? ORDER BY sort", (table,)
                )
                for (data,) in cur:
                    yield norm.sheet_row(loads(data), name)

            return gen

        manifest = content.write(out, rows_for, sha256=sha, period=None, clerk=store.clerk,
                                 engine=engine, task=task)  # fmt: skip
        summary.sha256 = sha
        summary.counts = dict(manifest["counts"])
        summary.contains = list(manifest["contains"])
    finally:
        staging.close()
    summary.seconds = time.perf_counter() - start
    task.report(1.0)
    return summary


def _stage_bundle(path, staging, summary, tables, blobs, forms_meta, omitted, units_from,
                  seen_sha, own, names, allow_outside, content) -> None:  # fmt: skip
    file = str(path)
    try:
        reader = BundleReader(path)
    except BundleError as exc:
        summary.refused.append(exc.as_problem())
        return
    m = reader.manifest
    if m["sha256"] in seen_sha:
        summary.skipped_same.append(file)
        return
    if not allow_outside:
        for unit in [m["unit"], *m["contains"]]:
            if not names.within(unit, own):
                summary.refused.append(outside_problem(file, unit, own))
                return
    bundle_blobs = reader.check_forms()
    src = m["sha256"]
    kinds = {t: (MAIN if e.get("repeat") is None else REPEAT) for t, e in m["tables"].items()}
    kinds[TOMBSTONE_TABLE] = TOMB
    keys = {f: meta.get("report_key") or [] for f, meta in m["forms"].items()}
    add = staging.add

    def consume(table: str, row: dict, text: str, digest: bytes, _r: int) -> None:
        kind = kinds.get(table, MAIN)
        ident = None
        if kind == MAIN and row.get("_period"):
            ident = json.dumps(report_identity(table, row, keys.get(table, [])), ensure_ascii=False)
        add((table, kind, row.get("_uuid"), row.get("_parent_uuid"), row.get("_modified"),
             digest, src, ident, _sort_key(row, kind), text))  # fmt: skip

    staging.db.execute("BEGIN")
    try:
        reader.scan(consume)
        staging.flush()
    except BaseException:
        staging.batch.clear()
        staging.db.execute("ROLLBACK")
        raise
    if not reader.valid:
        staging.db.execute("ROLLBACK")
        summary.refused += [p for p in reader.findings if p.severity == "error"]
        return
    staging.db.execute("COMMIT")
    seen_sha.add(src)
    for unit in m["contains"]:
        first = units_from.get(unit)
        if first is not None and first != file:
            summary.warnings.append(Problem("bundle.merge.unit_twice", {"unit": unit,
                                    "first": Path(first).name}, Location(file=file), "warning"))  # fmt: skip
        else:
            units_from[unit] = file
    for table, entry in m["tables"].items():
        tables.add(table, entry.get("form"), entry.get("repeat"), entry["columns"])
    blobs.update(bundle_blobs)
    for form_id, meta in m["forms"].items():
        fm = forms_meta.setdefault(form_id, {k: meta.get(k) for k in ("title", "kind", "period_type", "report_key")}
                                   | {"versions": [], "sha256": {}})  # fmt: skip
        for v in meta.get("versions") or []:
            if v not in fm["versions"]:
                fm["versions"].append(v)
        fm["sha256"].update(meta.get("sha256") or {})
    for form_id, names_left in (m.get("sensitive_omitted") or {}).items():
        omitted[form_id].update(names_left)
    content.sources.append({"sha256": src, "unit": m["unit"], "contains": sorted(m["contains"])})


def _stage_local(store, staging, tables, blobs, omitted, content, lang) -> list:
    """This installation's own exportable data, staged like one more bundle (source "0")."""
    scratch = Content(store.unit_code, content.names, lang)
    tomb = tombstone_spec(lang)
    scratch.add_table(tomb)
    tomb_norm = Normaliser(tomb)
    forms = []
    staging.db.execute("BEGIN")
    for form in store.forms():
        _, rows, tombs = collect_form(store, form, scratch, period=None, include_sensitive=False,
                                      lang=lang, keep=tomb_norm)  # fmt: skip
        if not rows and not tombs:
            continue
        forms.append(form)
        key = list(form.report_key or [])
        for table, items in [*list(rows.items()), (TOMBSTONE_TABLE, tombs)]:
            spec = scratch.specs[table]
            tables.add(table, spec.form_id, spec.repeat, [[c.name, c.kind] for c in spec.columns])
            kind = TOMB if table == TOMBSTONE_TABLE else (MAIN if spec.repeat is None else REPEAT)
            for row in items:
                text = canonical_json(row)
                ident = None
                if kind == MAIN and row.get("_period"):
                    ident = json.dumps(report_identity(table, row, key), ensure_ascii=False)
                staging.add((table, kind, row.get("_uuid"), row.get("_parent_uuid"),
                             row.get("_modified"), row_digest(table, text), "0", ident,
                             _sort_key(row, kind), text))  # fmt: skip
    staging.flush()
    staging.db.execute("COMMIT")
    for (form_id, version), blob in scratch.form_blobs.items():
        blobs[(form_id, version)] = blob
    for form_id, left in scratch.sensitive_omitted.items():
        omitted[form_id].update(left)
    for form in forms:
        content.add_form(form, form_blob(form))
    content.units |= scratch.units
    return forms


def _resolve(staging: Staging, summary: MergeSummary, store) -> None:
    """Mark the winning version of every record (see module docstring)."""
    db = staging.db
    db.execute("BEGIN")
    db.execute("CREATE INDEX rows_uuid ON rows(uuid, src)")
    db.execute("CREATE INDEX rows_tbl ON rows(tbl, win, sort)")
    # 1. by uuid: the latest _modified; among equal ones the smallest digest (content decides).
    for kind in (MAIN, TOMB):
        db.execute(
            """UPDATE rows SET win=1 WHERE rowid IN (
                 SELECT rid FROM (SELECT rowid AS rid, ROW_NUMBER() OVER (
                   PARTITION BY tbl, uuid ORDER BY modified DESC, digest, src) AS rn
                   FROM rows WHERE kind=?) WHERE rn=1)""",
            (kind,),
        )
    # Superseded and conflicting versions of the same uuid (identical copies are not listed).
    pairs = db.execute(
        """SELECT a.tbl, a.data, b.data, a.modified = b.modified FROM rows a JOIN rows b
           ON b.uuid=a.uuid AND b.tbl=a.tbl AND b.win=0 AND b.kind=a.kind AND b.digest != a.digest
           WHERE a.win=1 AND a.kind=? GROUP BY a.rowid, b.digest ORDER BY a.uuid, b.digest""",
        (MAIN,),
    ).fetchall()
    for table, new, old, same_time in pairs:
        item = change(table, json.loads(old), json.loads(new),
                      "bundle.change.conflict" if same_time else "")  # fmt: skip
        (summary.conflicts if same_time else summary.superseded).append(item)
    # 2. reports: one per unit × period × form × key, the latest wins.
    groups = db.execute(
        """SELECT ident FROM rows WHERE win=1 AND kind=? AND ident IS NOT NULL
           GROUP BY ident HAVING COUNT(*) > 1 ORDER BY ident""",
        (MAIN,),
    ).fetchall()
    for (ident,) in groups:
        versions = db.execute(
            """SELECT rowid, tbl, modified, digest, data FROM rows WHERE win=1 AND kind=? AND ident=?
               ORDER BY modified DESC, digest""",
            (MAIN, ident),
        ).fetchall()
        keep = versions[0]
        for other in versions[1:]:
            db.execute("UPDATE rows SET win=0 WHERE rowid=?", (other[0],))
            reason = (
                "bundle.change.same_report"
                if other[2] == keep[2]
                else "bundle.change.replaced_report"
            )
            item = change(keep[1], json.loads(other[4]), json.loads(keep[4]), reason)
            (summary.conflicts if other[2] == keep[2] else summary.superseded).append(item)
    # 3. tombstones: a deletion at least as new as the record removes it; an older one is moot.
    db.execute(
        """UPDATE rows SET win=0 WHERE win=1 AND kind=? AND EXISTS (SELECT 1 FROM rows t
           WHERE t.kind=? AND t.win=1 AND t.uuid=rows.uuid AND t.modified >= rows.modified)""",
        (MAIN, TOMB),
    )
    db.execute(
        """UPDATE rows SET win=0 WHERE win=1 AND kind=? AND EXISTS (SELECT 1 FROM rows m
           WHERE m.kind=? AND m.win=1 AND m.uuid=rows.uuid)""",
        (TOMB, MAIN),
    )
    # 4. repeat rows follow the winning version (same source) of their parent, level by level.
    while True:
        cur = db.execute(
            """UPDATE rows SET win=1 WHERE kind=? AND win=0 AND EXISTS (SELECT 1 FROM rows p
               WHERE p.uuid=rows.parent AND p.src=rows.src AND p.win=1 AND p.kind IN (?, ?))""",
            (REPEAT, MAIN, REPEAT),
        )
        if cur.rowcount == 0:
            break
    db.execute("COMMIT")


def _specs(store, tables: _Tables, local_forms: list, blobs: dict, lang: str) -> list[TableSpec]:
    """Human-labelled specs for every table, columns the union over all inputs."""
    labelled: dict[str, TableSpec] = {}
    forms_by_id = {f.form_id: f for f in local_forms}
    for form_id, _ in tables.meta.values():
        if form_id is None or form_id in forms_by_id:
            continue
        form = _form_for(store, form_id, blobs)
        if form is not None:
            forms_by_id[form_id] = form
    for form in forms_by_id.values():
        for spec in form_specs(form, include_sensitive=True, lang=lang)[0]:
            labelled[spec.table] = spec
    labelled[TOMBSTONE_TABLE] = tombstone_spec(lang)
    out = []
    order = sorted(tables.meta, key=lambda t: (t == TOMBSTONE_TABLE, tables.meta[t][0] or "", t))
    for table in order:
        form_id, repeat = tables.meta[table]
        present = tables.columns[table]
        base = labelled.get(table)
        cols: list[Column] = []
        if base is not None:
            cols = [c for c in base.columns if c.name in present or c.derived]
            for c in cols:
                if not c.derived:
                    c.kind = present[c.name]
        known = {c.name for c in cols}
        extra = [Column(n, k, n) for n, k in present.items() if n not in known]
        at = next((i for i, c in enumerate(cols) if c.name == "_status"), len(cols))
        cols[at:at] = extra
        title = base.title if base is not None else table
        kind = base.kind if base is not None else "survey"
        out.append(TableSpec(table, form_id, repeat, title, cols, kind))
    return out


def _form_for(store, form_id: str, blobs: dict):
    try:
        return store.form(form_id)
    except Exception:
        pass
    for (fid, _), blob in sorted(blobs.items(), reverse=True):
        if fid == form_id:
            try:
                from forms import load_form

                return load_form(blob, name=f"{form_id}.xlsx")
            except Exception:
                continue
    return None
