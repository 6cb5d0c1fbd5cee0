"""Killed jobs (issue 10, "Faults around the database"): export, import and merge are killed
with SIGKILL at chosen points, in a subprocess; the state after must be whole.

- no temporary or staging file survives the next start (store open) or the next run;
- export marking matches the file: "file absent, nothing marked" or "file complete, all marked";
- an import is all or nothing, and a half-written backup never counts as a backup;
- a killed merge leaves no worker process running.

The subprocess patches one function to kill its own process at that point (no test hook in the
product code)."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid as uuidlib
from pathlib import Path

import pytest

import localdb
from exports import export_bundle, import_bundle, inspect_bundle, merge_bundles
from localdb.store import list_backups
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX only")

TOWNS = ("330106002", "330106004", "330106005", "330106007")
COUNTY = "330106"

DRIVER = r"""
import os, signal, sys
from pathlib import Path

data, job, point, out, *inputs = sys.argv[1:]

def die(*a, **k):
    os.kill(os.getpid(), signal.SIGKILL)

def after(fn):
    def wrapped(*a, **k):
        result = fn(*a, **k)
        die()
        return result
    return wrapped

import localdb
import localdb.journal, localdb.records, localdb.store
import exports.merge, exports.writer, exports.xlsx_stream
from exports import export_bundle, import_bundle, merge_bundles

if point == "write":  # while the workbook is being streamed
    exports.xlsx_stream.pump = die
elif point == "mark":  # inside the marking transaction, after the records were marked
    localdb.records.Records.mark_exported = after(localdb.records.Records.mark_exported)
elif point == "replace":  # marking committed, file complete but not yet in place
    exports.writer.os.replace = die
elif point == "end":  # file in place, journal row not yet closed
    localdb.journal.Journal.end_export = die
elif point == "backup":  # the import's backup written but not yet moved into place
    localdb.store.os.replace = die
elif point == "upsert":  # inside the import's transaction
    localdb.records.Records.upsert_rows = after(localdb.records.Records.upsert_rows)
elif point == "staging":  # merge: first input staged
    exports.merge.Staging.insert = after(exports.merge.Staging.insert)
elif point == "workers":  # merge: first input back from a worker, others in flight
    exports.merge._Merge.take = die

store = localdb.open_store(data)
print("ready", flush=True)
if job == "export":
    export_bundle(store, out)
elif job == "import":
    import_bundle(store, inputs[0])
else:
    merge_bundles(store, inputs, out)
print("done", flush=True)
"""


def _run(data: Path, job: str, point: str, out: Path, inputs=(), env=None) -> None:
    # output to files, not pipes: a worker outliving the killed parent would hold a pipe open
    log = data.parent / f"driver-{job}-{point}.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(data), job, point, str(out), *map(str, inputs)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        )
        proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL, (point, log.read_text())


def _town(folder: Path, unit: str, n: int, seed: int) -> None:
    from forms.builtin.samples import sample_answers

    rng = random.Random(seed)
    with localdb.open_store(folder) as store:
        store.set_unit(unit)
        for _ in range(n):
            answers, expl = sample_answers("kexie_survey", rng, unit_code=store.unit_code,
                                           period=None)  # fmt: skip
            store.save("kexie_survey", answers, explanations=expl, status="finalised")


def _statuses(data: Path) -> dict[str, str]:
    conn = sqlite3.connect(data / "kexie.sqlite")
    try:
        return dict(conn.execute("SELECT _uuid, _status FROM form_kexie_survey"))
    finally:
        conn.close()


def _leftovers(*folders: Path) -> list[str]:
    found = []
    for folder in folders:
        if folder.is_dir():
            found += [p.name for p in folder.iterdir() if p.name.startswith(".kexie-")]
        backups = folder / "backups"
        if backups.is_dir():
            found += [p.name for p in backups.iterdir() if not p.name.endswith(".sqlite")]
    return found


@pytest.mark.parametrize("point", ["write", "mark", "replace", "end"])
def test_killed_export_marks_all_or_nothing(tmp_path, point):
    data, target = tmp_path / "town", tmp_path / "out"
    target.mkdir()
    _town(data, TOWNS[0], 6, seed=1)
    out = target / "town.xlsx"
    _run(data, "export", point, out)
    with localdb.open_store(data):  # the next start reconciles and sweeps
        pass
    statuses = set(_statuses(data).values())
    assert _leftovers(target, data) == []
    if out.exists():  # file complete, all marked
        assert inspect_bundle(out).valid
        assert statuses == {"exported"}, (point, statuses)
    else:  # file absent, nothing marked
        assert statuses == {"finalised"}, (point, statuses)
    assert point != "end" or out.exists()
    assert point not in ("write", "mark", "replace") or not out.exists()
    # and the next export is whole
    with localdb.open_store(data) as store:
        s = export_bundle(store, target / "again.xlsx")
    assert s.counts == {"kexie_survey": 6} and set(_statuses(data).values()) == {"exported"}


@pytest.mark.parametrize("point", ["backup", "upsert"])
def test_killed_import_is_all_or_nothing(tmp_path, point):
    town, county = tmp_path / "town", tmp_path / "county"
    _town(town, TOWNS[0], 5, seed=2)
    with localdb.open_store(town) as store:
        export_bundle(store, tmp_path / "b.xlsx")
    with localdb.open_store(county) as store:
        store.set_unit(COUNTY)
        store.backup("before")  # one real backup to keep
    _run(county, "import", point, tmp_path / "unused.xlsx", [tmp_path / "b.xlsx"])
    with localdb.open_store(county) as store:  # next start
        assert store.count("kexie_survey") in (0, 5)
        backups = list_backups(county)
        for b in backups:  # every kept backup is a whole database
            conn = sqlite3.connect(b)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            conn.close()
        assert _leftovers(county, tmp_path) == []
        s = import_bundle(store, tmp_path / "b.xlsx")
        assert s.refused == [] and store.count("kexie_survey") == 5


@pytest.mark.parametrize("point", ["staging", "write"])
def test_killed_merge_leaves_nothing_after_next_start(tmp_path, point):
    inputs = _inputs(tmp_path, 3)
    county, target = tmp_path / "county", tmp_path / "out"
    target.mkdir()
    with localdb.open_store(county) as store:
        store.set_unit(COUNTY)
    out = target / "merged.xlsx"
    _run(county, "merge", point, out, inputs)
    assert not out.exists()
    with localdb.open_store(county):  # the next start sweeps the merge's folder
        pass
    assert _leftovers(target, county) == []
    with localdb.open_store(county) as store:
        s = merge_bundles(store, inputs, out)
    assert s.refused == [] and s.counts == {"kexie_survey": 9}


def _inputs(tmp_path: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        folder = tmp_path / f"t{i}"
        _town(folder, TOWNS[i % len(TOWNS)], 3, seed=10 + i)
        with localdb.open_store(folder) as store:
            path = tmp_path / f"in{i}.xlsx"
            export_bundle(store, path)
            paths.append(path)
    return paths


def _marked_processes(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in env:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_killed_merge_leaves_no_worker_running(tmp_path):
    inputs = _inputs(tmp_path, 4)
    county = tmp_path / "county"
    with localdb.open_store(county) as store:
        store.set_unit(COUNTY)
    marker = f"KEXIE_KILL_TEST_{uuidlib.uuid4().hex}"
    env = {"KEXIE_MERGE_WORKERS": "2", marker: "1"}
    _run(county, "merge", "workers", tmp_path / "m.xlsx", inputs, env=env)
    deadline = time.monotonic() + 10
    while _marked_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    stray = _marked_processes(marker)
    for pid in stray:  # never leave them running, even when the test fails
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert stray == [], "merge workers outlived their parent"
    with localdb.open_store(county):
        pass
    assert _leftovers(tmp_path, county) == []
