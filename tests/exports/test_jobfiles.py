"""Scratch files of jobs (kexie.jobfiles): a running job's files are never swept, a killed
job's are; backups are never counted while half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from kexie.jobfiles import JobFiles, sweep
from tests.conftest import REPO

SWEEP = "import sys; from kexie.jobfiles import sweep; print(len(sweep(sys.argv[1])))"
KILLED = (
    "import os, signal, sys; from kexie.jobfiles import JobFiles\n"
    "job = JobFiles(sys.argv[1], 'merge'); job.path('staging.sqlite').write_bytes(b'x')\n"
    "os.kill(os.getpid(), signal.SIGKILL)"
)


def _py(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip


def test_running_job_keeps_its_files(tmp_path):
    job = JobFiles(tmp_path, "export")
    scratch = job.path("xlsx.tmp")
    scratch.write_bytes(b"half")
    assert _py(SWEEP, str(tmp_path)).stdout.strip() == "0"  # another process: locked, kept
    assert sweep(tmp_path) == []  # this process, other job object: kept too (flock per file)
    assert scratch.exists()
    job.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX")
def test_killed_job_is_swept_by_the_next(tmp_path):
    out = _py(KILLED, str(tmp_path))
    assert out.returncode == -signal.SIGKILL
    assert len(list(tmp_path.iterdir())) == 2  # the lock and the staging file
    with JobFiles(tmp_path, "merge"):  # the next run sweeps first
        names = [p.name for p in tmp_path.iterdir()]
        assert len(names) == 1 and names[0].endswith(".lock")
    assert list(tmp_path.iterdir()) == []


def test_stray_scratch_without_lock_is_swept(tmp_path):
    (tmp_path / ".kexie-write-0123456789ab.1.xlsx.tmp").write_bytes(b"x")
    (tmp_path / "mine.xlsx").write_bytes(b"keep")
    assert [p.name for p in sweep(tmp_path)] == [".kexie-write-0123456789ab.1.xlsx.tmp"]
    assert [p.name for p in tmp_path.iterdir()] == ["mine.xlsx"]


def test_half_written_backup_is_not_a_backup(tmp_path, monkeypatch):
    import localdb
    from localdb import store as store_module
    from localdb.store import list_backups

    with localdb.open_store(tmp_path) as store:
        store.set_unit("330106")
        first = store.backup("ok")

        def boom(*a, **k):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(store_module.os, "replace", boom)
        from i18n.errors import StorageError

        with pytest.raises(StorageError) as err:
            store.backup("full")
        assert err.value.code == "db.disk_full" and str(tmp_path / "backups") in err.value.message()
        monkeypatch.undo()
        assert list_backups(tmp_path) == [first]
        assert [p.name for p in (tmp_path / "backups").iterdir()] == [first.name]
    # a partial left by a kill is swept at the next open
    partial = tmp_path / "backups" / ".20260101-000000-000-x.sqlite.tmp"
    partial.write_bytes(b"half")
    with localdb.open_store(tmp_path) as store:
        assert partial in store.swept
    assert list_backups(tmp_path) == [first] and not partial.exists()
