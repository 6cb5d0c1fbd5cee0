"""The application shell a distributed program relies on: a missing optional area (bench is not
in the frozen app) does not break the command; unexpected errors, logs and crash reports go to
the data folder."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from kexie import cli, logs


def _without(monkeypatch, name: str, missing: str) -> None:
    """Importing ``name`` fails as it does when the package ``missing`` is not there."""
    import importlib

    real = importlib.import_module

    def fake(module, *a, **k):
        if module == name:
            raise ModuleNotFoundError(f"No module named {missing!r}", name=missing)
        return real(module, *a, **k)

    monkeypatch.setattr(cli.importlib, "import_module", fake)


def test_command_works_without_the_bench_area(monkeypatch, capsys):
    """The frozen app ships without bench/ (``import bench.cli`` fails on ``bench``):
    ``kexie --help`` and every other command still run."""
    _without(monkeypatch, "bench.cli", "bench")
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert "bench" not in sub.choices and "merge" in sub.choices
    assert cli.main(["--lang", "en", "--help"]) == 0
    assert "merge" in capsys.readouterr().out


def test_a_broken_module_is_still_an_error_not_silently_skipped(monkeypatch):
    """Only a missing area is skipped; a module of ours whose dependency is missing is an
    error (reported as unexpected, with a log), not a command that silently disappears."""
    _without(monkeypatch, "forms.cli", "pyxform")
    with pytest.raises(ModuleNotFoundError):
        cli.build_parser()


def _explode(*_a, **_k):
    raise RuntimeError("boom in build_parser")


def test_unexpected_error_is_logged_in_the_default_data_folder(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KEXIE_DATA", str(tmp_path / "default"))
    monkeypatch.setattr(cli, "build_parser", _explode)
    assert cli.main(["--lang", "en", "units"]) == 1
    log = tmp_path / "default" / logs.ERROR_LOG
    err = capsys.readouterr().err
    assert str(log) in err and "Traceback" not in err
    text = log.read_text(encoding="utf-8")
    assert "boom in build_parser" in text and "kexie " in text


def test_unexpected_error_is_logged_in_the_data_option_folder(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KEXIE_DATA", str(tmp_path / "default"))
    monkeypatch.setattr(cli, "build_parser", _explode)
    assert cli.main(["units", "--data", str(tmp_path / "mine")]) == 1
    assert (tmp_path / "mine" / logs.ERROR_LOG).exists()
    assert not (tmp_path / "default").exists()


def test_error_log_falls_back_to_the_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(logs.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    written = logs.write_error(blocked / "data", "trace\n")
    assert written == tmp_path / "tmp" / logs.ERROR_LOG
    assert "trace" in written.read_text(encoding="utf-8")


def test_log_start_and_clean_stop(tmp_path):
    folder = tmp_path / "data"
    try:
        assert logs.start(folder) == folder / logs.LOG_NAME
        logs.logger.warning("something to see")
        session = list(folder.glob(f"{logs.CRASH_PREFIX}*.log"))
        assert len(session) == 1  # this session's crash file, header only
    finally:
        logs.stop()
    text = (folder / logs.LOG_NAME).read_text(encoding="utf-8")
    assert "start kexie" in text and "something to see" in text
    assert not list(folder.glob(f"{logs.CRASH_PREFIX}*.log"))  # clean exit: nothing left
    assert logs.crash_reports(folder) == []


def test_leftovers_of_killed_sessions_are_tidied_crash_reports_kept(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    killed = folder / f"{logs.CRASH_PREFIX}20260101-000000-{dead}.log"
    killed.write_text("--- header only\n", encoding="utf-8")
    crashed = folder / f"{logs.CRASH_PREFIX}20260101-000001-{dead}.log"
    crashed.write_text("--- header\nFatal Python error: Segmentation fault\n", encoding="utf-8")
    try:
        logs.start(folder)
    finally:
        logs.stop()
    assert not killed.exists()
    assert logs.crash_reports(folder) == [crashed]
    assert str(crashed) in (folder / logs.LOG_NAME).read_text(encoding="utf-8")


def test_a_real_crash_leaves_a_crash_report(tmp_path):
    """A fatal signal (as a crash inside Qt would be) writes where every thread was."""
    folder = tmp_path / "data"
    script = textwrap.dedent(f"""
        import faulthandler
        from kexie import logs
        logs.start({str(folder)!r})
        faulthandler._sigsegv()
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode != 0
    reports = logs.crash_reports(folder)
    assert len(reports) == 1
    text = reports[0].read_text(encoding="utf-8")
    assert "Segmentation fault" in text and "kexie" in text.splitlines()[0]


def test_window_start_is_logged_and_a_clean_exit_leaves_no_crash_report(tmp_path):
    import os

    from localdb import open_store

    data = tmp_path / "data"
    with open_store(data) as store:
        store.set_unit("110108000000")
        store.set_clerk("王小明")
    env = {**os.environ, "KEXIE_EXIT_WHEN_READY": "1", "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "kexie", "--data", str(data)], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and "KEXIE-READY" in done.stdout, done.stderr
    assert "start kexie" in (data / logs.LOG_NAME).read_text(encoding="utf-8")
    assert not list(data.glob(f"{logs.CRASH_PREFIX}*"))
