"""Nothing lost: single instance, read-only and full disks, damaged files, backups and restore."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

import localdb
from i18n.errors import StorageError, UsageError
from localdb import open_store
from localdb.store import list_backups
from tests.conftest import REPO
from tests.localdb.conftest import survey_form


def test_second_instance_in_another_process_is_refused(tmp_path):
    code = (
        "import sys, localdb\n"
        "from i18n.errors import StorageError\n"
        "try:\n    localdb.open_store(sys.argv[1])\n"
        "except StorageError as e:\n    print(e.code, e.params['pid']); sys.exit(3)\n"
    )
    with open_store(tmp_path):
        proc = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=REPO
        )
        assert proc.returncode == 3, proc.stderr
        assert proc.stdout.split() == ["db.locked", str(os.getpid())]
    # once closed, another process may open it
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=REPO
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_second_instance_in_the_same_process_is_refused_with_a_clear_message(tmp_path):
    with open_store(tmp_path):
        with pytest.raises(StorageError) as err:
            open_store(tmp_path)
        assert err.value.code == "db.locked"
        assert "另一个" in err.value.message() and str(tmp_path) in err.value.message()


def test_a_waiting_instance_gets_the_folder_when_it_is_free(tmp_path):
    first = open_store(tmp_path)
    threading.Timer(0.2, first.close).start()
    start = time.monotonic()
    with open_store(tmp_path, wait=5):
        assert time.monotonic() - start >= 0.15


def test_a_killed_instance_leaves_no_stale_lock(tmp_path):
    code = "import sys, time, localdb\nlocaldb.open_store(sys.argv[1])\nprint('ready', flush=True)\ntime.sleep(60)\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        with pytest.raises(StorageError):
            open_store(tmp_path)
    finally:
        proc.kill()
        proc.wait()
    with open_store(tmp_path) as s:
        assert s.recovered  # the killed instance did not close cleanly: a quick check ran


def test_read_only_folder_gives_a_clear_message(tmp_path, monkeypatch):
    real_open = os.open

    def refuse(path, *args, **kwargs):
        if str(path).endswith("kexie.lock"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(StorageError) as err:
        open_store(tmp_path)
    assert err.value.code == "db.readonly"
    assert "只读" in err.value.message()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
def test_really_read_only_folder(tmp_path):
    with open_store(tmp_path / "d") as s:
        s.set_setting("x", 1)
    os.chmod(tmp_path / "d", 0o555)
    try:
        with pytest.raises(StorageError) as err:
            open_store(tmp_path / "d")
        assert err.value.code == "db.readonly"
    finally:
        os.chmod(tmp_path / "d", 0o755)


def test_full_disk_loses_nothing(store):
    kept = store.save("t_survey", {"resp_name": "甲", "age": 1})
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    big = "很长的文字" * 20000
    with pytest.raises(StorageError) as err:
        store.save("t_survey", {"resp_name": "乙", "field": big})
    assert err.value.code == "db.disk_full"
    assert "磁盘空间不足" in err.value.message()
    store.db.execute("PRAGMA max_page_count = 1073741823")
    assert store.count("t_survey") == 1 and store.get("t_survey", kept)["age"] == 1
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.save("t_survey", {"resp_name": "乙", "field": big})
    assert store.count("t_survey") == 2


def test_not_a_database(tmp_path):
    (tmp_path / "kexie.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError) as err:
        open_store(tmp_path)
    assert err.value.code == "db.corrupt"
    assert (tmp_path / "kexie.sqlite").read_bytes().startswith(b"this is not")


def test_missing_folder_without_create(tmp_path):
    with pytest.raises(StorageError) as err:
        open_store(tmp_path / "nope", create=False)
    assert err.value.code == "db.no_data"


def test_backup_and_restore(tmp_path):
    data = tmp_path / "data"
    with open_store(data) as s:
        s.set_unit("330106")
        s.register_form(survey_form())
        first = s.save("t_survey", {"resp_name": "甲"})
        backup = s.backup("manual")
        second = s.save("t_survey", {"resp_name": "乙"})
        with pytest.raises(StorageError):
            localdb.restore(data, backup)  # the folder is open here
    assert backup.parent == data / "backups" and backup.name.endswith("-manual.sqlite")
    safety = localdb.restore(data, backup)
    assert safety.name.endswith("-before-restore.sqlite")
    with open_store(data) as s:
        s.register_form(survey_form())
        assert s.get("t_survey", first) is not None
        assert s.get("t_survey", second) is None
    localdb.restore(data, safety)  # and back again
    with open_store(data) as s:
        s.register_form(survey_form())
        assert s.get("t_survey", second) is not None


def test_restore_refuses_files_that_are_not_backups(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"nonsense" * 100)
    with pytest.raises(StorageError) as err:
        localdb.restore(tmp_path / "data", bad)
    assert err.value.code == "db.bad_backup"
    with pytest.raises(UsageError):
        localdb.restore(tmp_path / "data", tmp_path / "missing.sqlite")


def test_backups_keep_the_newest(tmp_path):
    with open_store(tmp_path) as s:
        made = [s.backup(f"n{i}", keep=3) for i in range(5)]
    assert list_backups(tmp_path) == made[-3:]


def test_failed_backup_leaves_no_partial_file(tmp_path, monkeypatch):
    import sqlite3 as sqlite

    class FullDisk:
        """Stands in for the connection: the backup fails half-way, as on a full disk."""

        def backup(self, dest, *args, **kwargs):
            dest.execute("CREATE TABLE half (x)")
            raise sqlite.OperationalError("database or disk is full")

    with open_store(tmp_path) as s:
        conn = s.db.conn
        monkeypatch.setattr(s.db, "conn", FullDisk())
        with pytest.raises(StorageError) as err:
            s.backup("full")
        monkeypatch.setattr(s.db, "conn", conn)
    assert err.value.code == "db.disk_full"
    assert list_backups(tmp_path) == []


MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
server:/export /mnt/share nfs4 rw,relatime 0 0
//nas/科协 /mnt/我的\\040nas cifs rw 0 0
/dev/sdb1 /mnt/share/local ext4 rw 0 0
"""


def test_network_shares_are_recognised():
    from pathlib import Path

    from localdb.fsinfo import network_in_mounts

    assert network_in_mounts(MOUNTS, Path("/mnt/share/data"))
    assert network_in_mounts(MOUNTS, Path("/mnt/我的 nas/kexie"))
    assert not network_in_mounts(MOUNTS, Path("/mnt/share/local/data"))  # a local disk inside
    assert not network_in_mounts(MOUNTS, Path("/mnt/shared"))
    assert not network_in_mounts(MOUNTS, Path("/home/user"))


def test_data_folder_on_a_network_share_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("localdb.store.is_network_path", lambda path: True)
    with pytest.raises(StorageError) as err:
        open_store(tmp_path)
    assert err.value.code == "db.network"
    assert "网络共享盘" in err.value.message()
    assert not (tmp_path / "kexie.sqlite").exists()
