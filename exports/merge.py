"""``merge_bundles``: subordinate bundles plus this installation's data → one bundle for this unit.

Streaming with bounded memory: every input is verified and its rows turned into staged rows
(``exports.stage.StagedRow``; in worker processes if ``KEXIE_MERGE_WORKERS`` asks for them), which
go into a temporary SQLite file (one transaction per input; a refused input leaves nothing),
versions are reconciled there with SQL (``exports.resolve`` rules: by uuid, then reports by
unit × period × form × key, then tombstones, then repeat rows follow the winning version of
their record), and the winners are streamed into the output workbook — as the cell XML
rendered when they were read, when the merged sheet has the input's column layout. Memory holds
one input (per worker) at a time plus SQLite's cache. The output is itself a bundle and merges
again one level up. Order-free: ties are broken by content, never by input order.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import sqlite3
import sys
import threading
import time
from collections import defaultdict, deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from exports.canonical import canonical_json, combine_sorted, row_digest
from exports.content import Content, UnitNames
from exports.export import collect_form, form_blob
from exports.faults import os_fault, sqlite_fault
from exports.format import TOMBSTONE_TABLE
from exports.importer import log_attempt, outside_problem
from exports.model import Column, MergeSummary, TableSpec
from exports.ownership import inside
from exports.reader import _Totals
from exports.resolve import (
    OLDER,
    REASONS,
    REPORT_REASONS,
    SAME,
    Version,
    change,
    reconcile,
)
from exports.rollup import SurveyCount
from exports.safety import check_zip_bytes
from exports.specs import (
    Normaliser,
    display_value,
    form_specs,
    merge_columns,
    source_of,
    tombstone_spec,
)
from exports.stage import (
    MAIN,
    REPEAT,
    TOMB,
    RowMaker,
    Staged,
    StagedRow,
    insert_rows,
    open_staging,
    read_for_merge,
)
from exports.writer import SHEET_WRITERS
from exports.xlsx_stream import UNIT_SLOT_MARK, Renderer
from i18n import get_language, normalise_language, tr
from i18n.errors import BundleError, KexieError, Location, Problem, UsageError
from kexie.jobfiles import JobFiles
from kexie.lifecycle import NIL
from kexie.tasks import NULL_TASK, TaskState


class Staging:
    """The temporary SQLite file rows are staged in, beside the output, with the workers'
    files: all are a :class:`kexie.jobfiles.JobFiles` job, so a killed merge's leftovers are
    swept by the next merge in that folder. Removed on close."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            self.job = JobFiles(folder, "merge")
        except OSError as exc:
            raise os_fault(exc, folder) from None
        self.path = self.job.path("staging.sqlite")
        try:
            self.db = open_staging(str(self.path))
        except sqlite3.Error as exc:
            self.job.close()
            raise sqlite_fault(exc, folder) from None
        self.next_id = 1
        self.scratch: list[str] = []

    def insert(self, rows: list[StagedRow]) -> None:
        """Insert one input's staged rows in one transaction."""
        self.db.execute("BEGIN")
        try:
            self.next_id = insert_rows(self.db, rows, self.next_id)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def insert_file(self, path: str, count: int) -> None:
        """Copy the rows a worker staged in ``path`` (ids shifted after ours), then remove it."""
        offset = self.next_id - 1
        try:
            self.db.execute("ATTACH DATABASE ? AS inp", (path,))
            try:
                self.db.execute("BEGIN")
                self.db.execute("INSERT INTO rows SELECT id + ?, tbl, kind, uuid, parent, modified,"
                                " digest, src, ident, sort, unit, period, 0 FROM inp.rows", (offset,))  # fmt: skip
                self.db.execute(
                    "INSERT INTO body SELECT id + ?, data, xml FROM inp.body", (offset,)
                )
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            finally:
                self.db.execute("DETACH DATABASE inp")
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
        self.next_id = offset + count + 1

    def scratch_file(self) -> str:
        """A name for a worker's staging file next to ours (removed by :meth:`close` at the
        latest)."""
        name = str(self.job.path("in.sqlite"))
        self.scratch.append(name)
        return name

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()
        self.job.close()


class _Tables:
    """Column union of every table across inputs (kinds from the manifests)."""

    def __init__(self) -> None:
        self.columns: dict[str, dict[str, str]] = defaultdict(dict)
        self.meta: dict[str, tuple[str | None, str | None]] = {}

    def add(self, table: str, form_id, repeat, columns) -> None:
        self.meta.setdefault(table, (form_id, repeat))
        for name, kind in columns:
            self.columns[table].setdefault(name, kind)


def _workers(paths: list) -> int:
    """Worker processes for reading inputs. ``KEXIE_MERGE_WORKERS`` decides when set; otherwise
    two workers for 8 or more inputs of 8 MB or more when about two cores are idle right now (reading is ~3/4
    of the work, so two readers and the staging process fit two cores). Measured on the 2-core
    machine, 10 inputs of 2,000 × 100: idle, 0.25 s per input with workers against 0.38 s in
    process; with other jobs running, workers were no faster (0.40-0.48 s), hence the check."""
    wanted = os.environ.get("KEXIE_MERGE_WORKERS", "").strip()
    if wanted.isdigit():
        return int(wanted) if len(paths) > 1 else 0
    cpus = os.cpu_count() or 1
    if len(paths) < 8 or cpus < 2 or _total_size(paths) < WORKERS_MIN_BYTES:
        return 0
    return 2 if _idle_cores(cpus) >= 1.5 else 0


# Starting two worker processes costs ~0.4 s; reading saves ~0.1 s per MB of input with them.
# Small inputs (a typical province: tens of records per county) are read faster in process.
WORKERS_MIN_BYTES = 8 << 20


def _total_size(paths: list) -> int:
    total = 0
    for p in paths:
        with contextlib.suppress(OSError):
            total += os.path.getsize(p)
    return total


def _idle_cores(cpus: int, sample: float = 0.1) -> float:
    """Cores idle over a short sample (/proc/stat), else estimated from the load average (which
    lags and counts this process's own recent work)."""

    def times() -> tuple[int, int]:
        with open("/proc/stat", "rb") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
        return fields[3] + (fields[4] if len(fields) > 4 else 0), sum(fields)

    try:
        idle0, total0 = times()
        time.sleep(sample)
        idle1, total1 = times()
        if total1 > total0:
            return cpus * (idle1 - idle0) / (total1 - total0)
    except (OSError, ValueError, IndexError):
        pass
    try:
        return cpus - os.getloadavg()[0]
    except OSError:  # not available on this platform
        return 0.0


def _read_all(paths: list[str], task: TaskState, scratch):
    """Yield the inputs read, in order, at most one per worker ahead (bounded memory). Workers
    stage their rows in a file named by ``scratch()``; nothing bulky crosses the pipe."""
    workers = _workers(paths)
    done = 0
    if workers:
        ctx = multiprocessing.get_context("spawn")  # never fork a process that may run Qt threads
        # Workers must not outlive us: each gets the reading end of a pipe whose only writing
        # end we hold; when we die (even by SIGKILL) it reads end-of-file and exits.
        lifeline, keep = ctx.Pipe(duplex=False)
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                     initializer=worker_init, initargs=(lifeline, os.getpid())) as pool:  # fmt: skip
                pending: deque = deque()
                todo = iter(paths)
                for p in todo:  # one input per worker in flight: bounded memory
                    pending.append(pool.submit(read_for_merge, p, scratch()))
                    if len(pending) >= workers:
                        break
                try:
                    while pending:
                        task.check()
                        result = pending.popleft().result()
                        nxt = next(todo, None)
                        if nxt is not None:
                            pending.append(pool.submit(read_for_merge, nxt, scratch()))
                        done += 1
                        yield result
                finally:
                    for f in pending:
                        f.cancel()
        except BrokenProcessPool:
            pass  # e.g. a calling script without a __main__ guard: read the rest here
        finally:
            keep.close()
            lifeline.close()
    for p in paths[done:]:
        task.check()
        yield read_for_merge(p)


def worker_init(lifeline, parent: int) -> None:
    """In a merge worker: exit as soon as the parent is gone. On Linux the kernel sends SIGKILL
    when the parent dies (``PR_SET_PDEATHSIG``); everywhere a thread waits on ``lifeline``,
    whose writing end only the parent holds, and exits at end-of-file."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent died before we got here
                os._exit(1)

    def watch() -> None:
        try:
            while True:
                lifeline.recv_bytes()
        except (EOFError, OSError):
            os._exit(1)

    threading.Thread(target=watch, name="kexie-parent-watch", daemon=True).start()


def _drop(staged: Staged) -> None:
    """Remove the staging file of an input that is not taken."""
    if staged.rows_file is not None:
        with contextlib.suppress(OSError):
            os.unlink(staged.rows_file)


class _Merge:
    """State of one merge run."""

    def __init__(self, store, out: Path, lang: str, allow_outside: bool) -> None:
        self.store = store
        self.own = store.unit_code
        self.names = UnitNames(store.units, self.own)
        self.lang = lang
        self.allow_outside = allow_outside
        self.summary = MergeSummary(out)
        self.staging = Staging(out.parent if str(out.parent) else Path("."))
        self.tables = _Tables()
        self.content = Content(self.own, self.names, lang)
        self.blobs: dict[tuple[str, str], bytes] = {}
        self.forms_meta: dict[str, dict] = {}
        self.omitted: dict[str, set[str]] = defaultdict(set)
        self.units_from: dict[str, str] = {}
        self.seen_sha: set[str] = set()
        self.totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.layouts: dict[tuple[str, str], tuple[str, ...]] = {}

    def take(self, staged: Staged) -> None:
        """Check one input read by ``read_for_merge`` and stage its rows."""
        summary, file = self.summary, staged.file
        if staged.error is not None:
            summary.refused.append(staged.error)
            return
        if staged.problems:
            summary.refused += staged.problems
            return
        m = staged.manifest
        if m["sha256"] in self.seen_sha:
            summary.skipped_same.append(file)
            return _drop(staged)
        if not self.allow_outside:
            for unit in [m["unit"], *m["contains"]]:
                if not self.names.within(unit, self.own):
                    summary.refused.append(outside_problem(file, unit, self.own))
                    return _drop(staged)
        src = m["sha256"]
        summary.warnings += staged.warnings
        if staged.rows_file is not None:
            self.staging.insert_file(staged.rows_file, staged.count)
        else:
            self.staging.insert(staged.rows)
        self.seen_sha.add(src)
        for unit in m["contains"]:
            first = self.units_from.get(unit)
            if first is not None and first != file:
                summary.warnings.append(Problem("bundle.merge.unit_twice", {"unit": unit,
                                        "first": Path(first).name}, Location(file=file), "warning"))  # fmt: skip
            else:
                self.units_from[unit] = file
        for table, entry in m["tables"].items():
            self.tables.add(table, entry.get("form"), entry.get("repeat"), entry["columns"])
            self.layouts[(src, table)] = staged.layouts[table]
        for table, sums in staged.totals.items():
            for col, v in sums.items():
                self.totals[table][col] += v
        self.blobs.update(staged.blobs)
        for form_id, meta in m["forms"].items():
            fm = self.forms_meta.setdefault(
                form_id, {k: meta.get(k) for k in ("title", "kind", "period_type", "report_key")}
                | {"versions": [], "sha256": {}})  # fmt: skip
            for v in meta.get("versions") or []:
                if v not in fm["versions"]:
                    fm["versions"].append(v)
            fm["sha256"].update(meta.get("sha256") or {})
        for form_id, left in (m.get("sensitive_omitted") or {}).items():
            self.omitted[form_id].update(left)
        self.content.sources.append(
            {"sha256": src, "unit": m["unit"], "contains": sorted(m["contains"])}
        )

    def take_local(self) -> list:
        """This installation's own exportable data, staged like one more input (source "0")."""
        store, lang = self.store, self.lang
        scratch = Content(self.own, self.names, lang)
        tomb = tombstone_spec(lang)
        scratch.add_table(tomb)
        tomb_norm = Normaliser(tomb)
        forms, rows_out = [], []
        for form in store.forms():
            _, rows, tombs = collect_form(store, form, scratch, period=None,
                                          include_sensitive=False, lang=lang, keep=tomb_norm)  # fmt: skip
            if not rows and not tombs:
                continue
            forms.append(form)
            key = list(form.report_key or [])
            for table, items in [*rows.items(), (TOMBSTONE_TABLE, tombs)]:
                spec = scratch.specs[table]
                cols = [(c.name, c.kind) for c in spec.columns]
                self.tables.add(table, spec.form_id, spec.repeat, [list(c) for c in cols])
                kind = (
                    TOMB if table == TOMBSTONE_TABLE else (MAIN if spec.repeat is None else REPEAT)
                )
                maker = RowMaker(table, kind, cols, "0", key)
                self.layouts[("0", table)] = tuple(n for n, _ in cols)
                shown = [c for c in spec.columns if c.choices is not None]
                for row in items:
                    text = canonical_json(row)
                    display = {c.name: display_value(c, row.get(source_of(c))) for c in shown}
                    rows_out.append(maker(row, text, row_digest(table, text), display=display))
            for table, t in scratch.totals.items():
                for col, v in t.sums.items():
                    self.totals[table][col] += v
                t.sums = dict.fromkeys(t.sums, 0)
        self.staging.insert(rows_out)
        for (form_id, version), blob in scratch.form_blobs.items():
            self.blobs[(form_id, version)] = blob
        for form_id, left in scratch.sensitive_omitted.items():
            self.omitted[form_id].update(left)
        for form in forms:
            self.content.add_form(form, form_blob(form))
        return forms

    def finish_content(self, local_forms: list) -> None:
        """Specs, forms, counts, totals, units, periods, roll-ups of the winners."""
        content, db = self.content, self.staging.db
        for spec in _specs(self.store, self.tables, local_forms, self.blobs, self.lang):
            content.add_table(spec)
        for (form_id, version), blob in sorted(self.blobs.items()):
            content.form_blobs[(form_id, version)] = blob
        for form_id, meta in self.forms_meta.items():
            entry = content.forms.setdefault(form_id, {**meta, "versions": [], "sha256": {}})
            for v in meta.get("versions", []):
                if v not in entry["versions"]:
                    entry["versions"].append(v)
            entry["versions"].sort()
            entry["sha256"].update(meta.get("sha256", {}))
            content.set_key(form_id)
        content.sensitive_omitted = {f: sorted(v) for f, v in sorted(self.omitted.items()) if v}
        for table, n in db.execute("SELECT tbl, COUNT(*) FROM rows WHERE win=1 GROUP BY tbl"):
            content.counts[table] = n
        # Totals of the winners: every input's exact totals minus those of the rows that lost.
        losers: dict[str, _Totals] = {}
        for table, data in db.execute(
            "SELECT r.tbl, b.data FROM rows r JOIN body b ON b.id=r.id WHERE r.win=0"
        ):
            if table not in losers:
                spec = content.specs[table]
                losers[table] = _Totals([(c.name, c.kind) for c in spec.columns if not c.derived])
            losers[table].add(json.loads(data))
        for table, acc in content.totals.items():
            have = self.totals.get(table, {})
            lost = losers[table].sums if table in losers else {}
            acc.sums = {c: have.get(c, 0) - lost.get(c, 0) for c in acc.sums}
        for (unit,) in db.execute(
            "SELECT DISTINCT unit FROM rows WHERE win=1 AND unit IS NOT NULL"
        ):
            content.units.add(unit)
        for (period,) in db.execute(
            "SELECT DISTINCT period FROM rows WHERE win=1 AND kind IN (?, ?) AND period IS NOT NULL",
            (MAIN, TOMB),
        ):
            content.periods.add(period)
        mains = [t for t, s in content.specs.items() if s.repeat is None and t != TOMBSTONE_TABLE]
        for table in mains:
            spec = content.specs[table]
            fid = spec.form_id
            if fid is None:  # the tombstone table rolls up nothing
                continue
            if spec.kind != "report":  # surveys: respondents per unit, counted in SQL
                for unit, n in db.execute(
                    "SELECT unit, COUNT(*) FROM rows WHERE win=1 AND tbl=? GROUP BY unit", (table,)
                ):
                    counts = content.rollups[fid]
                    assert isinstance(counts, SurveyCount)  # a survey's roll-up counts
                    counts.add_count(unit, n)
                continue
            kind = content.period_type(fid)
            for (data,) in db.execute(
                "SELECT b.data FROM rows r JOIN body b ON b.id=r.id "
                "WHERE r.win=1 AND r.tbl=? AND r.period IS NOT NULL",
                (table,),
            ):
                row = json.loads(data)
                if row.get("_status") != NIL:
                    content.rollups[fid].add(row)
                content.completeness.add(fid, spec.title, row, kind)

    def rows_for(self, table: str, engine: str = "stream"):
        """Factory of the winners of ``table`` in sheet order, as templates where possible."""
        spec = self.content.specs[table]
        names = tuple(c.name for c in spec.columns)
        good = {src for (src, t), lay in self.layouts.items() if t == table and lay == names}
        if not SHEET_WRITERS[engine].takes_templates:
            good = set()
        norm = self.content.normalisers[table]
        unit_at = names.index("~unit_name") if "~unit_name" in names else None
        renderer = Renderer(len(names))
        unit_cells: dict[str | None, str] = {}
        name_of = self.names.name

        def gen():
            db = self.staging.db
            cur = db.execute(
                "SELECT r.src, r.unit, b.xml, r.id FROM rows r JOIN body b ON b.id=r.id "
                "WHERE r.win=1 AND r.tbl=? ORDER BY r.sort",
                (table,),
            )
            for src, unit, xml, rid in cur:
                if src in good:
                    if unit_at is not None:
                        cell = unit_cells.get(unit)
                        if cell is None:
                            cell = unit_cells[unit] = renderer.unit_cell(unit_at, name_of(unit))
                        xml = xml.replace(UNIT_SLOT_MARK, cell)
                    yield xml
                else:
                    (data,) = db.execute("SELECT data FROM body WHERE id=?", (rid,)).fetchone()
                    yield norm.sheet_row(json.loads(data), name_of)

        return gen


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
    if not store.unit_code:
        raise UsageError("bundle.export.no_unit", fix="bundle.fix.init_unit")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise BundleError("bundle.write.no_folder", location=Location(file=str(out)),
                          folder=str(folder))  # fmt: skip
    store.journal.remember_folder(folder)  # a killed merge's staging files: swept at next start
    try:
        run = _Merge(store, out, lang, allow_outside)
    except KexieError as exc:  # the output folder is full or cannot be written
        _log_inputs(store, paths, [], MergeSummary(out), exc)
        raise
    summary = run.summary
    taken: list[tuple[str, dict]] = []  # (file, manifest) per input, for the import log
    try:
        total = max(len(paths), 1)
        staged_inputs = _read_all([str(p) for p in paths], task, run.staging.scratch_file)
        for i, staged in enumerate(staged_inputs):
            run.take(staged)
            taken.append((staged.file, staged.manifest))
            task.report(0.6 * (i + 1) / total, tr("bundle.progress.merging", lang))
        local_forms = run.take_local() if include_local else []
        summary.inputs = len(paths)
        task.check()
        _resolve(run.staging, summary, store)
        run.finish_content(local_forms)
        db = run.staging.db
        sha = combine_sorted(
            d for (d,) in db.execute("SELECT digest FROM rows WHERE win=1 ORDER BY digest")
        )
        task.report(0.8, tr("bundle.progress.writing", lang))
        manifest = run.content.write(out, lambda t: run.rows_for(t, engine), sha256=sha, period=None,
                                     clerk=store.clerk, engine=engine, task=task)  # fmt: skip
        summary.sha256 = sha
        summary.counts = dict(manifest["counts"])
        summary.contains = list(manifest["contains"])
        outside = [u for u in summary.contains if not inside(u, run.own)]
        if outside:  # taken with allow_outside: the level above will refuse this bundle
            summary.warnings.append(Problem("bundle.merge.outside_kept", {"units": ", ".join(
                outside[:10]), "own": run.own}, Location(file=str(out)), "warning"))  # fmt: skip
    except sqlite3.Error as exc:  # the staging file: disk full, read-only ...
        if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
            raise
        failure = sqlite_fault(exc, folder)
        _log_inputs(store, paths, taken, summary, failure)
        raise failure from None
    except OSError as exc:
        failure = os_fault(exc, folder)
        _log_inputs(store, paths, taken, summary, failure)
        raise failure from None
    except KexieError as exc:
        _log_inputs(store, paths, taken, summary, exc)
        raise
    finally:
        run.staging.close()
    _log_inputs(store, paths, taken, summary, None)
    summary.seconds = time.perf_counter() - start
    task.report(1.0)
    return summary


def _log_inputs(store, paths, taken, summary: MergeSummary, failure) -> None:
    """One import-log row per input: accepted, refused (its own reasons), skipped (the same data
    given twice) or failed (the merge itself failed: disk full ...)."""
    manifests = {str(Path(f)): m for f, m in taken}
    skipped = {str(Path(f)) for f in summary.skipped_same}
    for p in paths:
        key = str(Path(p))
        m = manifests.get(key) or {}
        mine = [x for x in summary.refused if x.location.file and str(Path(x.location.file)) == key]
        warned = [
            x for x in summary.warnings if x.location.file and str(Path(x.location.file)) == key
        ]
        if failure is not None:
            outcome, reasons = "failed", [failure.as_problem(), *mine]
        elif mine:
            outcome, reasons = "refused", mine
        elif key in skipped:
            outcome, reasons = "skipped", []
        elif key in manifests:
            outcome, reasons = "accepted", warned
        else:
            outcome, reasons = "failed", []  # never read: the merge stopped before it
        log_attempt(store, "merge", Path(p), outcome, reasons, bundle_sha256=m.get("sha256"),
                    unit=m.get("unit"), details={"out": str(summary.path)})  # fmt: skip


def _resolve(staging: Staging, summary: MergeSummary, store) -> None:
    """Mark the winning version of every record: ``exports.resolve.reconcile``, the rule import
    applies too. SQL only finds the records with more than one version in play."""
    db = staging.db
    db.execute("BEGIN")
    db.execute("CREATE INDEX rows_uuid ON rows(uuid, src)")
    db.execute("CREATE INDEX rows_tbl ON rows(tbl, win, sort)")
    db.execute("CREATE INDEX rows_ident ON rows(ident, win)")
    # 1. by uuid (records and tombstones together). Identical copies: any one (the smallest
    # source, so the choice is order-free); records with different versions: the rule.
    db.execute(
        """UPDATE rows SET win=1 WHERE rowid IN (
             SELECT rid FROM (SELECT rowid AS rid, ROW_NUMBER() OVER (
               PARTITION BY uuid ORDER BY digest, kind, src) AS rn
               FROM rows WHERE kind IN (?, ?)) WHERE rn=1)""",
        (MAIN, TOMB),
    )
    contested = db.execute(
        """SELECT uuid FROM rows WHERE kind IN (?, ?) GROUP BY uuid
           HAVING COUNT(DISTINCT digest) > 1 OR COUNT(DISTINCT kind) > 1 ORDER BY uuid""",
        (MAIN, TOMB),
    ).fetchall()
    for (uuid,) in contested:
        versions = _versions(db, "r.uuid=? AND r.kind IN (?, ?)", (uuid, MAIN, TOMB))
        _apply(db, summary, versions, REASONS)
    # 2. reports (among records still alive): one per unit × period × form × key, same rule.
    groups = db.execute(
        """SELECT ident FROM rows WHERE win=1 AND kind=? AND ident IS NOT NULL
           GROUP BY ident HAVING COUNT(*) > 1 ORDER BY ident""",
        (MAIN,),
    ).fetchall()
    for (ident,) in groups:
        versions = _versions(db, "r.win=1 AND r.kind=? AND r.ident=?", (MAIN, ident))
        _apply(db, summary, versions, REPORT_REASONS)
    # 3. repeat rows follow the winning version (same source) of their parent, level by level.
    while True:
        cur = db.execute(
            """UPDATE rows SET win=1 WHERE kind=? AND win=0 AND EXISTS (SELECT 1 FROM rows p
               WHERE p.uuid=rows.parent AND p.src=rows.src AND p.win=1 AND p.kind IN (?, ?))""",
            (REPEAT, MAIN, REPEAT),
        )
        if cur.rowcount == 0:
            break
    db.execute("COMMIT")


def _versions(db, where: str, params: tuple) -> list[tuple[Version, str, dict]]:
    """(version, table, row) of the staged rows matching ``where``; local data is held."""
    out = []
    for rid, tbl, kind, unit, modified, digest, src, data in db.execute(
        "SELECT r.id, r.tbl, r.kind, r.unit, r.modified, r.digest, r.src, b.data FROM rows r "
        f"JOIN body b ON b.id=r.id WHERE {where}",
        params,
    ):
        row = json.loads(data)
        table = row.get("_form") or tbl if kind == TOMB else tbl
        version = Version(
            rid, unit, modified, digest, kind == TOMB, src == "0", row.get("_created")
        )
        out.append((version, table, row))
    return out


def _apply(db, summary: MergeSummary, versions: list, reasons: dict) -> None:
    """Mark the winner among ``versions`` and list what the others were."""
    outcome = reconcile([v for v, _, _ in versions])
    by_ref = {v.ref: (t, row) for v, t, row in versions}
    db.executemany("UPDATE rows SET win=0 WHERE id=?", [(v.ref,) for v, _, _ in versions])
    db.execute("UPDATE rows SET win=1 WHERE id=?", (outcome.winner.ref,))
    table, kept = by_ref[outcome.winner.ref]
    listed: set[bytes] = set()
    for v, verdict in sorted(outcome.others, key=lambda o: o[0].digest):
        if verdict == SAME or v.digest in listed:
            continue
        listed.add(v.digest)
        if (outcome.winner.deleted or v.deleted) and verdict == OLDER:
            continue  # a deletion that won or lost by time: the tombstones say so
        _table, row = by_ref[v.ref]
        item = change(table, row, kept, reasons.get(verdict, ""))
        (summary.superseded if verdict == OLDER else summary.conflicts).append(item)


def _specs(store, tables: _Tables, local_forms: list, blobs: dict, lang: str) -> list[TableSpec]:
    """Human-labelled specs for every table, columns the union over all inputs."""
    labelled: dict[str, TableSpec] = {}
    form_ids = {f.form_id for f in local_forms}
    form_ids |= {form_id for form_id, _ in tables.meta.values() if form_id is not None}
    for form_id in sorted(form_ids):
        # Every version in the inputs or installed, newest first: a question only one version
        # has keeps its label and its roll-up rule (columns are matched by question name).
        by_table: dict[str, list[TableSpec]] = defaultdict(list)
        for form in _versions_of(store, form_id, blobs):
            for spec in form_specs(form, include_sensitive=True, lang=lang)[0]:
                by_table[spec.table].append(spec)
        for table, specs in by_table.items():
            labelled[table] = merge_columns(specs)
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


def _versions_of(store, form_id: str, blobs: dict) -> list:
    """The form's versions known here or embedded in the inputs, newest first."""
    from localdb.formsreg import version_key

    versions = {v for (fid, v) in blobs if fid == form_id}
    with contextlib.suppress(Exception):
        versions |= set(store.registry.versions(form_id))
    out = []
    for version in sorted(versions, key=version_key, reverse=True):
        form = None
        with contextlib.suppress(Exception):
            form = store.form(form_id, version)
        if form is None and (form_id, version) in blobs:
            with contextlib.suppress(Exception):
                from forms import load_form

                check_zip_bytes(blobs[(form_id, version)], Path(f"{form_id}.xlsx"))
                form = load_form(blobs[(form_id, version)], name=f"{form_id}.xlsx")
        if form is not None and form.version == version:
            out.append(form)
    if not out:
        form = _form_for(store, form_id, blobs)
        if form is not None:
            out.append(form)
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

                check_zip_bytes(blob, Path(f"{form_id}.xlsx"))
                return load_form(blob, name=f"{form_id}.xlsx")
            except Exception:
                continue
    return None
