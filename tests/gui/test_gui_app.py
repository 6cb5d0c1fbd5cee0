"""The entry point: a second instance on the same data folder is told so and exits; a normal
start reaches a usable main window."""

from __future__ import annotations

import sys

import pytest

from desktop.app import READY_PROBE, run_app


@pytest.fixture
def restore_excepthook():
    hook = sys.excepthook
    yield
    sys.excepthook = hook


def test_second_instance_gets_a_clear_dialog_and_exits(qtbot, county_store, answers, tmp_path):
    assert run_app(str(tmp_path / "data")) == 1  # the fixture's store holds the folder
    title, text = answers.kinds("warn")[-1]
    assert title == "无法打开数据"
    assert "Traceback" not in text and str(tmp_path / "data") in text


def test_start_reaches_a_usable_window(qtbot, tmp_path, monkeypatch, capsys, restore_excepthook):
    from localdb import open_store

    with open_store(tmp_path / "data") as store:
        store.set_unit("110108000000")
        store.set_clerk("王小明")
    monkeypatch.setenv(READY_PROBE, "1")
    assert run_app(str(tmp_path / "data")) == 0
    assert "KEXIE-READY" in capsys.readouterr().out
