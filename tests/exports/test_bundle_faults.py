"""Disk full and permission problems (issue 10, "Faults around the database"): in the target
folder, the data folder and the temporary folder, each gives a clear message naming the right
path — never "unexpected error" or a traceback — and leaves no partial file and no marking.

Real faults where possible: a tiny tmpfs (full) and a read-only mount, which need root on Linux
(root ignores permission bits, so chmod would prove nothing); otherwise skipped, with the same
faults simulated by patching (ENOSPC, EACCES) so they run everywhere."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import uuid as uuidlib
from pathlib import Path

import pytest

import localdb
from exports import export_bundle, import_bundle, merge_bundles
from i18n.errors import BundleError, KexieError
from tests.conftest import REPO

TOWN, COUNTY = "330106002", "330106"


@pytest.fixture(autouse=True)
def _in_process(monkeypatch):
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "0")


def _mount(point: Path, size: str, *, read_only: bool = False) -> None:
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a test filesystem needs root on Linux")
    point.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                       capture_output=True)  # fmt: skip
    if r.returncode != 0:
        pytest.skip(f"cannot mount tmpfs: {r.stderr!r}")
    if read_only:
        subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)


def _umount(point: Path) -> None:
    subprocess.run(["umount", "-l", str(point)], capture_output=True)


@pytest.fixture
def full_folder(tmp_path):
    """A folder on a 64 KiB filesystem, already nearly full."""
    point = tmp_path / f"full-{uuidlib.uuid4().hex[:6]}"
    _mount(point, "64k")
    try:
        with open(point / "filler", "wb") as fh, contextlib.suppress(OSError):
            fh.write(b"\0" * (60 << 10))
        yield point
    finally:
        _umount(point)


@pytest.fixture
def ro_folder(tmp_path):
    point = tmp_path / f"ro-{uuidlib.uuid4().hex[:6]}"
    _mount(point, "1m", read_only=True)
    try:
        yield point
    finally:
        _umount(point)


def _town(folder: Path, n: int = 20) -> None:
    from forms.builtin.samples import sample_answers

    rng = random.Random(3)
    with localdb.open_store(folder) as store:
        store.set_unit(TOWN)
        for _ in range(n):
            answers, expl = sample_answers("kexie_survey", rng, unit_code=store.unit_code,
                                           period=None)  # fmt: skip
            store.save("kexie_survey", answers, explanations=expl, status="finalised")


def _statuses(data: Path) -> set[str]:
    conn = sqlite3.connect(data / "kexie.sqlite")
    try:
        return {s for (s,) in conn.execute("SELECT _status FROM form_kexie_survey")}
    finally:
        conn.close()


def _clean(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".kexie-")]


def _kexie(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kexie", "--lang", "en", *args],
                          capture_output=True, text=True, cwd=REPO)  # fmt: skip


def _one_clear_line(proc: subprocess.CompletedProcess, *expected: str) -> str:
    assert proc.returncode == 1
    err = proc.stderr.strip()
    assert "Traceback" not in err and "unexpected" not in err.lower(), err
    for text in expected:
        assert text in err, err
    return err


# -- the target folder ------------------------------------------------------------------------


def test_export_to_a_full_disk(tmp_path, full_folder):
    data = tmp_path / "town"
    _town(data)
    with localdb.open_store(data) as store, pytest.raises(BundleError) as err:
        export_bundle(store, full_folder / "t.xlsx")
    assert err.value.code == "fault.disk_full"
    assert str(full_folder) in err.value.message()
    assert not (full_folder / "t.xlsx").exists() and _clean(full_folder) == []
    assert _statuses(data) == {"finalised"}  # nothing marked
    proc = _kexie("--data", str(data), "export", "--out", str(full_folder / "t.xlsx"))
    _one_clear_line(proc, "disk is full", str(full_folder))


def test_export_to_a_read_only_folder(tmp_path, ro_folder):
    data = tmp_path / "town"
    _town(data, 3)
    proc = _kexie("--data", str(data), "export", "--out", str(ro_folder / "t.xlsx"))
    _one_clear_line(proc, "read-only", str(ro_folder))
    assert _statuses(data) == {"finalised"}


def test_merge_to_a_full_disk_and_a_read_only_folder(tmp_path, full_folder, ro_folder):
    town, county = tmp_path / "town", tmp_path / "county"
    _town(town, 30)
    with localdb.open_store(town) as store:
        export_bundle(store, tmp_path / "in.xlsx")
    with localdb.open_store(county) as store:
        store.set_unit(COUNTY)
        with pytest.raises(BundleError) as err:
            merge_bundles(store, [tmp_path / "in.xlsx"], full_folder / "m.xlsx")
        assert err.value.code == "fault.disk_full" and str(full_folder) in err.value.message()
        assert _clean(full_folder) == [] and not (full_folder / "m.xlsx").exists()
        with pytest.raises(BundleError) as err:
            merge_bundles(store, [tmp_path / "in.xlsx"], ro_folder / "m.xlsx")
        assert err.value.code == "fault.read_only" and str(ro_folder) in err.value.message()
        logged = [r["outcome"] for r in store.journal.transfers()]
        assert logged == ["failed", "failed"]  # the attempts are in the import log too
    proc = _kexie("--data", str(county), "merge", str(tmp_path / "in.xlsx"), "--out",
                  str(full_folder / "m.xlsx"))  # fmt: skip
    _one_clear_line(proc, "disk is full", str(full_folder))


# -- the data folder --------------------------------------------------------------------------


def test_import_into_a_full_data_folder(tmp_path):
    town = tmp_path / "town"
    _town(town, 40)
    with localdb.open_store(town) as store:
        export_bundle(store, tmp_path / "in.xlsx")
    point = tmp_path / "data"
    _mount(point, "1m")
    try:
        with localdb.open_store(point) as store:
            store.set_unit(COUNTY)
            store.form("kexie_survey")
        free = shutil.disk_usage(point).free
        # leave less than a backup needs
        with open(point / "filler", "wb") as fh, contextlib.suppress(OSError):
            fh.write(b"\0" * max(free - (8 << 10), 0))
        proc = _kexie("--data", str(point), "import", str(tmp_path / "in.xlsx"))
        _one_clear_line(proc, "disk is full", str(point))
        (point / "filler").unlink()
        with localdb.open_store(point) as store:
            assert store.count("kexie_survey") == 0  # nothing half-imported
            backups = point / "backups"
            assert not backups.exists() or list(backups.iterdir()) == []  # no half backup
    finally:
        _umount(point)


def test_read_only_data_folder(tmp_path):
    point = tmp_path / "data"
    _mount(point, "2m")
    try:
        with localdb.open_store(point) as store:
            store.set_unit(COUNTY)
        subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)
        proc = _kexie("--data", str(point), "imports")
        _one_clear_line(proc, "read-only", str(point))
    finally:
        _umount(point)


def test_simulated_disk_full_in_the_data_folder_during_import(tmp_path, monkeypatch):
    """Everywhere (no root needed): SQLite reports a full disk inside the import."""
    town, county = tmp_path / "town", tmp_path / "county"
    _town(town, 5)
    with localdb.open_store(town) as store:
        export_bundle(store, tmp_path / "in.xlsx")
    from localdb.records import Records

    def full(*a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    with localdb.open_store(county) as store:
        store.set_unit(COUNTY)
        monkeypatch.setattr(Records, "upsert_rows", full)
        with pytest.raises(KexieError) as err:
            import_bundle(store, tmp_path / "in.xlsx")
        assert err.value.code in ("db.disk_full",), err.value.code
        assert "kexie.sqlite" in err.value.message() or str(county) in err.value.message()
        monkeypatch.undo()
        assert store.count("kexie_survey") == 0
        assert store.journal.transfers()[0]["outcome"] == "failed"


def test_simulated_disk_full_and_permission_in_the_target_folder(tmp_path, monkeypatch):
    data = tmp_path / "town"
    _town(data, 3)
    import exports.writer

    def deny(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    with localdb.open_store(data) as store:
        monkeypatch.setattr(exports.writer.xlsx_stream, "splice", deny)
        with pytest.raises(BundleError) as err:
            export_bundle(store, tmp_path / "out.xlsx")
        assert err.value.code == "fault.no_permission" and "out.xlsx" in err.value.message()
    assert _statuses(data) == {"finalised"} and _clean(tmp_path) == []


def test_unreadable_input_file_is_named(tmp_path, monkeypatch):
    bad = tmp_path / "locked.xlsx"
    bad.write_bytes(b"PK\x03\x04")
    real_open = Path.open

    def deny(self, *a, **k):
        if self == bad:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *a, **k)

    monkeypatch.setattr(Path, "open", deny)
    with localdb.open_store(tmp_path / "c") as store:
        store.set_unit(COUNTY)
        s = import_bundle(store, bad)
    assert s.refused[0].code == "fault.no_read_permission"
    assert str(bad) in s.refused[0].message()


# -- the temporary folder ---------------------------------------------------------------------


def test_a_read_only_temporary_folder_does_not_matter(tmp_path, ro_folder, monkeypatch):
    """Scratch files go beside the output (both engines), never to TEMP."""
    import tempfile

    monkeypatch.setenv("TMPDIR", str(ro_folder))
    monkeypatch.setattr(tempfile, "tempdir", str(ro_folder))
    data, county = tmp_path / "town", tmp_path / "county"
    _town(data, 3)
    with localdb.open_store(data) as store:
        export_bundle(store, tmp_path / "a.xlsx", engine="xlsxwriter")
        export_bundle(store, tmp_path / "b.xlsx")
    with localdb.open_store(county) as store:
        store.set_unit(COUNTY)
        s = merge_bundles(store, [tmp_path / "a.xlsx"], tmp_path / "m.xlsx")
        assert s.refused == []
    proc = subprocess.run([sys.executable, "-m", "kexie", "--data", str(county), "imports",
                           "--json"], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "TMPDIR": str(ro_folder)})  # fmt: skip
    assert proc.returncode == 0 and json.loads(proc.stdout)[0]["outcome"] == "accepted"
