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


def test_first_start_asks_for_the_unit_then_opens_home(qtbot, store, monkeypatch):
    import i18n
    from desktop import app
    from desktop.firstrun import FirstRunDialog

    def pick(dialog):
        dialog.search.setText("110108")
        dialog.clerk.setText("王小明")
        dialog.accept()
        return FirstRunDialog.DialogCode.Accepted

    monkeypatch.setattr(FirstRunDialog, "exec", pick)
    window = app.start(store)
    assert store.unit_code == "110108000000"
    assert window.stack.currentWidget() is window.home
    assert store.get_setting("language") == i18n.get_language()
    window.close()
    import shiboken6

    shiboken6.delete(window)


def test_the_saved_language_is_used_at_the_next_start(qtbot, county_store):
    import shiboken6

    import i18n
    from desktop import app

    county_store.set_setting("language", "en")
    window = app.start(county_store)
    assert i18n.get_language() == "en"
    assert window.nav.item(0).text() == "Home"
    shiboken6.delete(window)


def test_dashboard_says_so_when_no_chinese_font_is_installed(monkeypatch):
    from desktop import charts

    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    notice = charts.font_notice()
    assert notice and "Noto Sans CJK" in notice
