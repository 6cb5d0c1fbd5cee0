"""Nothing lost: a writer killed with SIGKILL at random points never corrupts or loses a commit.

The writer saves survey responses in a loop (new records, autosave edits, tombstones) and prints
each uuid only after ``save`` returned, i.e. after the commit. After every kill the database
must pass ``PRAGMA integrity_check`` and hold every reported record, each edit counter must be
the reported one (or the one in flight, if its commit landed before the kill), and the audit
trail must match the rows exactly (row and audit are one transaction).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO

WRITER = r"""
import random, sys
import localdb
from forms.builtin.samples import sample_answers

folder, seed = sys.argv[1], int(sys.argv[2])
rng = random.Random(seed)
store = localdb.open_store(folder, wait=10)
if store.unit_code is None:
    store.set_unit("330106")
store.form("kexie_survey")
print("ready", flush=True)
mine = []
while True:
    roll = rng.random()
    if mine and roll < 0.4:
        uuid, n = rng.choice(mine)
        answers = store.get("kexie_survey", uuid)
        answers["interviewer_id"] = f"edit {n + 1}"
        store.save("kexie_survey", answers, uuid=uuid)
        mine[mine.index((uuid, n))] = (uuid, n + 1)
        print("U", uuid, n + 1, flush=True)
    elif mine and roll < 0.45:
        uuid, n = mine.pop(rng.randrange(len(mine)))
        store.delete("kexie_survey", uuid, reason="kill test")
        print("D", uuid, flush=True)
    else:
        answers, explanations = sample_answers("kexie_survey", rng, unit_code="330106000000", period=None)
        answers["interviewer_id"] = "edit 0"
        uuid = store.save("kexie_survey", answers, explanations=explanations)
        mine.append((uuid, 0))
        print("C", uuid, flush=True)
"""

ROUNDS = 30


@pytest.mark.slow
def test_sigkill_at_random_points_loses_no_committed_record(tmp_path):
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("SIGKILL is POSIX only")
    rng = random.Random(20261121)
    folder = tmp_path / "data"
    committed: dict[str, int] = {}  # uuid -> last reported edit number
    deleted: set[str] = set()
    started = time.monotonic()
    saves = 0
    for round_no in range(ROUNDS):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder), str(round_no)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        # let a random number of saves commit (whatever the machine's speed), then kill at a
        # random moment of the next ones
        seen = [proc.stdout.readline() for _ in range(rng.randint(1, 8))]
        time.sleep(rng.uniform(0.0, 0.02))
        proc.send_signal(signal.SIGKILL)
        # read the rest through the same buffered wrapper: communicate() would read the raw pipe
        # and lose lines that readline() had already buffered
        out = proc.stdout.read()
        proc.stderr.read()
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        for line in "".join(seen).splitlines() + out.splitlines():
            parts = line.split()
            if (
                len(parts) < 2
                or (parts[0] == "C" and len(parts) != 2)
                or (parts[0] == "U" and len(parts) != 3)
            ):
                continue  # a line cut in half by the kill
            if parts[0] == "C":
                committed[parts[1]] = 0
                saves += 1
            elif parts[0] == "U":
                committed[parts[1]] = max(committed.get(parts[1], 0), int(parts[2]))
                saves += 1
            elif parts[0] == "D":
                deleted.add(parts[1])
        _check(folder, committed, deleted)
    assert saves >= ROUNDS * 3, "the writer hardly wrote anything; the test proves little"
    assert time.monotonic() - started < 40


def _check(folder, committed: dict[str, int], deleted: set[str]) -> None:
    conn = sqlite3.connect(folder / "kexie.sqlite")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = {
            uuid: (interviewer_id, flag)
            for uuid, interviewer_id, flag in conn.execute(
                "SELECT _uuid, interviewer_id, _deleted FROM form_kexie_survey"
            )
        }
        creates = {
            r[0] for r in conn.execute("SELECT record_uuid FROM _audit WHERE action = 'create'")
        }
        updates: dict[str, int] = {}
        for (uuid,) in conn.execute(
            "SELECT record_uuid FROM _audit WHERE action = 'update' AND field = 'interviewer_id'"
        ):
            updates[uuid] = updates.get(uuid, 0) + 1
        tombstones = {
            r[0] for r in conn.execute("SELECT record_uuid FROM _audit WHERE action = 'delete'")
        }
    finally:
        conn.close()
    for uuid, edits in committed.items():
        assert uuid in rows, f"committed record {uuid} is missing"
        stored = int(rows[uuid][0].split()[1])
        assert stored in (edits, edits + 1), (uuid, stored, edits)
        assert uuid in creates
        assert updates.get(uuid, 0) == stored  # every committed edit has exactly its audit row
    for uuid in deleted:
        assert rows[uuid][1] == 1
    assert {u for u, (_, flag) in rows.items() if flag} == tombstones
    assert set(rows) == creates  # no row without its audit row, no audit row without its row


DEMO_WRITER = r"""
import sys
import localdb
from localdb.demo import run_demo

store = localdb.open_store(sys.argv[1], wait=10)
print("ready", flush=True)
run_demo(store, unit="330106", records=int(sys.argv[2]), seed=1)
print("done", flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_a_bulk_demo_is_all_or_nothing(tmp_path):
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("SIGKILL is POSIX only")
    rng = random.Random(7)
    records = 300
    for round_no in range(6):
        folder = tmp_path / f"d{round_no}"
        proc = subprocess.Popen(
            [sys.executable, "-c", DEMO_WRITER, str(folder), str(records)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 1.2))
        proc.send_signal(signal.SIGKILL)
        # read the rest through the same buffered wrapper: communicate() would read the raw pipe
        # and lose lines that readline() had already buffered
        out = proc.stdout.read()
        proc.wait()
        finished = "done" in out
        conn = sqlite3.connect(folder / "kexie.sqlite")
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            surveys = (
                conn.execute("SELECT count(*) FROM form_kexie_survey").fetchone()[0]
                if "form_kexie_survey" in tables
                else 0
            )
            audits = conn.execute(
                "SELECT count(*) FROM _audit WHERE form_id = 'kexie_survey'"
            ).fetchone()[0]
        finally:
            conn.close()
        assert surveys in (0, records), surveys  # one transaction: all or nothing
        assert audits >= surveys
        if finished:
            assert surveys == records
