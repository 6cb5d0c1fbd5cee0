"""Benchmark data, made the way a user makes it: ``kexie demo`` then ``kexie export``.

Everything lives in ``bench/.data/`` (git-ignored) and is reused while the code that produces it
(forms/, localdb/, exports/) is unchanged; a fingerprint of that code is stored next to the data.

Counties are the 183 county-level units of Sichuan (510000), the province whose size the
targets are set for, so that merging them at province level is a real merge, not one that needs
``allow_outside``.

- Typical bundles: for each county, a fresh data folder, ``kexie init --unit COUNTY``,
  ``kexie demo --records 50`` (survey records plus 12 months of reports for the county and its
  townships), ``kexie export``. One real demo + export per county, in parallel processes.
- Stress bundles (2,000 survey records each): the same with ``--records 2000``. This is the
  honest way and it is fast enough (about 5 s per county, two at a time): no copying or
  re-keying of one county's data.
- ``kexie demo`` leaves some records as drafts, which ``kexie export`` leaves out, so a
  "2,000-record" bundle holds about 1,800 survey records.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
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


@functools.cache
def fingerprint() -> str:
    """Hash of the code that shapes the data (forms, localdb, exports, built-in forms)."""
    h = hashlib.sha256()
    for folder in ("forms", "localdb", "exports"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".xlsx", ".json", ".gz", ".csv"}:
                h.update(str(path.relative_to(REPO)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _folder(kind: str) -> Path:
    """``bench/.data/<kind>-<fingerprint>``: data made by the code as it is now.

    Keyed by fingerprint rather than overwritten, so that two bench runs at the same time (or a
    run while someone edits exports/) never delete each other's files. With ``--reuse-data`` the
    newest complete folder of that kind is used whatever code made it.
    """
    folder = DATA / f"{kind}-{fingerprint()}"
    if REUSE and not _ready(folder):
        done = [p for p in DATA.glob(f"{kind}-*") if _ready(p)]
        if done:
            return max(done, key=lambda p: (p / "stamp.json").stat().st_mtime)
    _prune(kind, keep=folder)
    return folder


def _ready(folder: Path) -> bool:
    return (folder / "stamp.json").exists()


def _stamp(folder: Path) -> None:
    stamp = {"code": fingerprint(), "made": time.strftime("%Y-%m-%d %H:%M:%S")}
    (folder / "stamp.json").write_text(json.dumps(stamp), encoding="utf-8")


def _prune(kind: str, keep: Path, hours: float = 3.0) -> None:
    """Remove folders of ``kind`` made by older code and untouched for ``hours``."""
    limit = time.time() - hours * 3600
    for other in DATA.glob(f"{kind}-*"):
        if other != keep and other.is_dir() and other.stat().st_mtime < limit:
            shutil.rmtree(other, ignore_errors=True)


def demo_folder(folder: Path, unit: str, records: int) -> Path:
    """A data folder for ``unit`` filled by ``kexie demo --records N``."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    kexie("init", "--unit", unit, data=folder)
    # a fixed seed per unit: the same data on every machine, different data per county
    kexie("demo", "--records", str(records), "--seed", str(int(unit) % 1_000_003), data=folder)
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
    return _county_bundles(_folder(f"typical-{records}"), n, records, progress)


def stress_bundles(n: int, records: int = 2000, progress=print) -> list[Path]:
    """``n`` county bundles of ``records`` survey records each (see module docstring)."""
    return _county_bundles(_folder(f"stress-{records}"), n, records, progress)


def _county_bundles(
    folder: Path, n: int, records: int, progress: Callable[[str], object]
) -> list[Path]:
    if not _ready(folder):
        folder.mkdir(parents=True, exist_ok=True)
        _stamp(folder)
    codes = counties(n)
    bundles = [folder / f"{code}.xlsx" for code in codes]
    missing = [(c, b) for c, b in zip(codes, bundles, strict=True) if not b.exists()]
    if not missing:
        return bundles
    progress(f"{len(missing)} × {records} → {folder.name}")
    work = folder / "work"
    work.mkdir(exist_ok=True)

    def one(code: str, bundle: Path) -> None:
        data = demo_folder(work / code, code, records)
        export_folder(data, bundle.with_suffix(".tmp.xlsx")).rename(bundle)
        shutil.rmtree(data, ignore_errors=True)

    _parallel([lambda c=c, b=b: one(c, b) for c, b in missing])
    return bundles


def province_template(unit: str = PROVINCE) -> Path:
    """An initialised, empty data folder for ``unit`` (copied fresh for every merge run)."""
    folder = _folder(f"province-{unit}")
    if not _ready(folder):
        data = folder / "data"
        if data.exists():
            shutil.rmtree(data)
        folder.mkdir(parents=True, exist_ok=True)
        kexie("init", "--unit", unit, data=data)
        _stamp(folder)
    return folder / "data"


def records_folder(records: int) -> Path:
    """One county data folder with ``records`` demo survey records (export/inspect scenarios)."""
    folder = _folder(f"county-{records}")
    if not _ready(folder):
        demo_folder(folder / "data", FALLBACK_COUNTY, records)
        _stamp(folder)
    return folder / "data"
