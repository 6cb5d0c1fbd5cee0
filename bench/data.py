"""Benchmark data, made the way a user makes it: ``kexie demo`` then ``kexie export``.

Everything lives in ``bench/.data/`` (git-ignored) and is reused while the code that produces it
(forms/, localdb/, exports/) is unchanged; a fingerprint of that code is stored next to the data.

Counties are the 183 county-level units of Sichuan (510000), the province whose size the
targets are set for, so that merging them at province level is a real merge, not one that needs
``allow_outside``.

- Typical bundles: for each county, a fresh data folder, ``kexie init --unit COUNTY``,
  ``kexie demo --records 50`` (survey records plus 12 months of reports for the county and its
  townships), ``kexie export``. One real demo + export per county, in parallel processes.
- Stress bundles (2,000 survey records each): ``strategy="demo"`` does the same with
  ``--records 2000``; ``strategy="rekey"`` runs ``kexie demo --records 2000`` once, then for every
  county copies that data folder, gives each row the county's unit code (townships mapped in
  order onto the county's own townships) and fresh UUIDs through the public store API
  (``iter_rows`` / ``upsert_rows`` into a new store) and runs ``kexie export``. "rekey" is much
  faster; the records then differ between counties only in unit, UUIDs and period.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.harness import REPO, _child_env

DATA = REPO / "bench" / ".data"
PROVINCE = "510000000000"
FALLBACK_COUNTY = "510104000000"
# Set by ``--reuse-data``: keep existing data even if the code that made it has changed.
REUSE = False


class DataError(RuntimeError):
    """Benchmark data could not be made (a ``kexie`` step failed); ``detail`` says which."""


def kexie(*args: str, data: Path | None = None, timeout: float = 3600) -> str:
    """Run the ``kexie`` command as a user would; return stdout or raise :class:`DataError`."""
    cmd = [sys.executable, "-m", "kexie"]
    if data is not None:
        cmd += ["--data", str(data)]
    cmd += list(args)
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env=_child_env(),
        cwd=str(REPO),
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise DataError(f"kexie {' '.join(args)}: {(proc.stderr or proc.stdout).strip()[-600:]}")
    return proc.stdout


def counties(n: int) -> list[str]:
    """The first ``n`` county codes of Sichuan, in division-tree order."""
    from localdb.units import divisions

    tree = divisions()
    codes = [c.code for city in tree.children(PROVINCE) for c in tree.children(city.code)]
    if len(codes) < n:
        raise DataError(f"only {len(codes)} counties under {PROVINCE}, {n} wanted")
    return codes[:n]


def fingerprint() -> str:
    """Hash of the code that shapes the data (forms, localdb, exports, built-in forms)."""
    h = hashlib.sha256()
    for folder in ("forms", "localdb", "exports"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".xlsx", ".json", ".gz", ".csv"}:
                h.update(str(path.relative_to(REPO)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _fresh(folder: Path, stamp: dict) -> bool:
    marker = folder / "stamp.json"
    if REUSE and marker.exists():
        return True
    return marker.exists() and json.loads(marker.read_text(encoding="utf-8")) == stamp


def _stamp(folder: Path, stamp: dict) -> None:
    (folder / "stamp.json").write_text(json.dumps(stamp), encoding="utf-8")


def demo_folder(folder: Path, unit: str, records: int) -> Path:
    """A data folder for ``unit`` filled by ``kexie demo --records N``."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    kexie("init", "--unit", unit, data=folder)
    kexie("demo", "--records", str(records), data=folder)
    return folder


def export_folder(folder: Path, out: Path) -> Path:
    """``kexie export --out`` of a data folder."""
    kexie("export", "--out", str(out), data=folder)
    return out


def _parallel(jobs: Iterable[Callable[[], object]], workers: int | None = None) -> None:
    # Threads are enough: each job waits on a kexie subprocess.
    with ThreadPoolExecutor(max_workers=workers or max(1, os.cpu_count() or 1)) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def typical_bundles(n: int, records: int = 50, progress=print) -> list[Path]:
    """``n`` county bundles of ``records`` survey records plus 12 months of reports."""
    folder = DATA / f"typical-{records}"
    return _county_bundles(folder, n, records, "demo", progress)


def stress_bundles(
    n: int, records: int = 2000, strategy: str = "rekey", progress=print
) -> list[Path]:
    """``n`` county bundles of ``records`` survey records each (see module docstring)."""
    folder = DATA / f"stress-{records}-{strategy}"
    return _county_bundles(folder, n, records, strategy, progress)


def _county_bundles(
    folder: Path, n: int, records: int, strategy: str, progress: Callable[[str], object]
) -> list[Path]:
    stamp = {"code": fingerprint(), "records": records, "strategy": strategy}
    if not _fresh(folder, stamp):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        _stamp(folder, stamp)
    codes = counties(n)
    bundles = [folder / f"{code}.xlsx" for code in codes]
    missing = [(c, b) for c, b in zip(codes, bundles, strict=True) if not b.exists()]
    if not missing:
        return bundles
    progress(f"{len(missing)} × {records} → {folder.name}")
    work = folder / "work"
    work.mkdir(exist_ok=True)
    if strategy == "demo":

        def one(code: str, bundle: Path) -> None:
            data = demo_folder(work / code, code, records)
            export_folder(data, bundle.with_suffix(".tmp.xlsx")).rename(bundle)
            shutil.rmtree(data, ignore_errors=True)

    elif strategy == "rekey":
        source = work / "source"
        if not (source / ".ready").exists():
            demo_folder(source, FALLBACK_COUNTY, records)
            (source / ".ready").write_text("", encoding="utf-8")

        def one(code: str, bundle: Path) -> None:
            data = work / code
            rekey(source, data, code)
            export_folder(data, bundle.with_suffix(".tmp.xlsx")).rename(bundle)
            shutil.rmtree(data, ignore_errors=True)

    else:
        raise ValueError(strategy)
    _parallel([lambda c=c, b=b: one(c, b) for c, b in missing])
    return bundles


def rekey(source: Path, target: Path, county: str) -> None:
    """Copy ``source``'s rows into a new data folder for ``county``: new units, new UUIDs.

    Runs in a subprocess (the store holds a single-instance lock and we re-key in parallel).
    """
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    kexie("init", "--unit", county, data=target)
    args = json.dumps({"source": str(source), "target": str(target), "county": county})
    proc = subprocess.run(
        [sys.executable, "-c", f"from bench.data import _rekey_main; _rekey_main({args!r})"],
        capture_output=True,
        text=True,
        env=_child_env(),
        cwd=str(REPO),
    )
    if proc.returncode != 0:
        raise DataError(f"rekey {county}: {proc.stderr.strip()[-600:]}")


def _rekey_main(args_json: str) -> None:
    from localdb import open_store
    from localdb.units import divisions

    args = json.loads(args_json)
    county = args["county"]
    tree = divisions()
    with open_store(Path(args["source"]), create=False) as src:
        old_county = src.unit_code
        old_towns = [u.code for u in tree.children(old_county)]
        new_towns = [u.code for u in tree.children(county)]
        units = {old_county: county}
        units.update(zip(old_towns, new_towns, strict=False))
        forms = [f.form_id for f in src.forms()]
        tables = {}
        for form_id in forms:
            rows = [dict(r) for r in src.iter_rows(form_id)]
            repeats = {}
            for rep in _repeat_names(src, form_id):
                repeats[rep] = [dict(r) for r in src.iter_rows(form_id, repeat=rep)]
            tables[form_id] = (rows, repeats)
    uuids: dict[str, str] = {}

    def new_uuid(old: str) -> str:
        if old not in uuids:
            uuids[old] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{county}/{old}"))
        return uuids[old]

    with open_store(Path(args["target"]), create=True) as dst:
        for form_id, (rows, repeats) in tables.items():
            kept = []
            for row in rows:
                unit = units.get(row.get("_unit"))
                if unit is None:
                    continue  # a township the new county does not have
                row["_unit"] = unit
                row["_uuid"] = new_uuid(row["_uuid"])
                kept.append(row)
            rep_rows = {}
            for rep, items in repeats.items():
                for item in items:
                    item["_parent_uuid"] = new_uuid(item["_parent_uuid"])
                    item["_uuid"] = new_uuid(item["_uuid"])
                # upsert_rows keeps only the repeat rows of records it writes
                rep_rows[rep] = items
            dst.upsert_rows(form_id, kept, rep_rows, source="local")  # as if entered here


def _repeat_names(store, form_id: str) -> list[str]:
    prefix = f"form_{form_id}__"
    return [t[len(prefix) :] for t in store.db.table_names() if t.startswith(prefix)]


def province_template(unit: str = PROVINCE) -> Path:
    """An initialised, empty data folder for the province (copied fresh for every merge run)."""
    folder = DATA / f"province-{unit}"
    stamp = {"code": fingerprint()}
    if not _fresh(folder, stamp):
        data = folder / "data"
        if data.exists():
            shutil.rmtree(data)
        folder.mkdir(parents=True, exist_ok=True)
        kexie("init", "--unit", unit, data=data)
        _stamp(folder, stamp)
    return folder / "data"


def records_folder(records: int) -> Path:
    """One county data folder with ``records`` demo survey records (export/inspect scenarios)."""
    folder = DATA / f"county-{records}"
    stamp = {"code": fingerprint(), "records": records}
    if not _fresh(folder, stamp):
        demo_folder(folder / "data", FALLBACK_COUNTY, records)
        _stamp(folder, stamp)
    return folder / "data"
