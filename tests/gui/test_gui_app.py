"""The entry point: a second instance on the same data folder is told so and exits; a normal
start reaches a usable main window."""

from __future__ import annotations

import sys

from desktop.app import READY_PROBE, run_app


def test_second_instance_gets_a_clear_dialog_and_exits(qtbot, county_store, answers, tmp_path):
    assert run_app(str(tmp_path / "data")) == 1  # the fixture's store holds the folder
    title, text = answers.kinds("warn")[-1]
    assert title == "无法打开数据"
    assert "Traceback" not in text and str(tmp_path / "data") in text


def test_kexie_without_subcommand_reaches_a_usable_window(tmp_path):
    """The real entry point, in its own process (``kexie --data DIR``)."""
    import os
    import subprocess

    from localdb import open_store

    with open_store(tmp_path / "data") as store:
        store.set_unit("110108000000")
        store.set_clerk("王小明")
    env = {**os.environ, READY_PROBE: "1", "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "kexie", "--data", str(tmp_path / "data")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "KEXIE-READY" in done.stdout
    assert "Traceback" not in done.stderr
