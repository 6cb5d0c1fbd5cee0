"""Export, import and merge run off the UI thread with progress and Cancel, and end with a
clear summary; the progress dialog appears only for slow jobs."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from desktop import ops
from i18n.errors import Cancelled

TOWNSHIP = "110108001000"  # 万寿路街道, under the county of the window fixture


@pytest.fixture
def demo_window(window):
    from localdb.demo import run_demo

    window.db.write(lambda s: run_demo(s, records=6, seed=7))
    window.notify_changed("")
    return window


def _township_bundle(tmp_path):
    """A bundle exported by a township below the county (for import and merge)."""
    from exports import export_bundle
    from localdb import open_store
    from localdb.demo import run_demo

    out = tmp_path / "township.xlsx"
    with open_store(tmp_path / "township") as store:
        store.set_unit(TOWNSHIP)
        store.set_clerk("李华")
        run_demo(store, records=4, seed=3)
        export_bundle(store, out)
    return out


def test_export_with_progress_and_summary(qtbot, demo_window, answers, tmp_path):
    from desktop.transfer import ExportDialog

    dialog = ExportDialog(demo_window)
    out = tmp_path / "海淀区.xlsx"
    dialog.file.edit.setText(str(out))
    seen: list[float] = []
    op = dialog.start()
    op.progress.connect(lambda fraction, _label: seen.append(fraction))
    with qtbot.waitSignal(op.done, timeout=60_000):
        pass
    assert out.exists()
    assert seen and seen[-1] == pytest.approx(1.0)
    title, text = answers.kinds("inform")[-1]
    assert title == "导出完成"
    assert str(out) in text and "科技志愿服务月报" in text
    assert dialog.result.counts


def test_import_then_merge_a_township_bundle(qtbot, demo_window, answers, tmp_path):
    from desktop.transfer import MergeDialog, start_import

    bundle = _township_bundle(tmp_path)
    op = start_import(demo_window, str(bundle))
    with qtbot.waitSignal(op.done, timeout=60_000) as blocker:
        pass
    assert not isinstance(blocker.args[0], BaseException)
    title, text = answers.kinds("inform")[-1]
    assert title == "导入完成" and "新增" in text

    dialog = MergeDialog(demo_window)
    dialog.add_paths([str(bundle)])
    out = tmp_path / "merged.xlsx"
    dialog.out.edit.setText(str(out))
    op = dialog.start()
    with qtbot.waitSignal(op.done, timeout=60_000):
        pass
    assert out.exists()
    title, text = answers.kinds("inform")[-1]
    assert title == "合并完成" and "合并了 1 个文件" in text


def test_a_refused_file_is_explained_not_crashed(qtbot, demo_window, answers, tmp_path):
    from desktop.transfer import start_import

    bad = tmp_path / "not-a-bundle.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not a workbook")
    op = start_import(demo_window, str(bad))
    with qtbot.waitSignal(op.done, timeout=60_000):
        pass
    title, text = answers.kinds("warn")[-1]
    assert title == "文件被拒收"
    assert "not-a-bundle.xlsx" in text and "没有任何更改" in text
    assert "Traceback" not in text


def test_slow_job_shows_progress_dialog_and_cancel_stops_it(qtbot, window, monkeypatch):
    monkeypatch.setattr(ops, "SHOW_DELAY_MS", 0)
    started = threading.Event()

    def job(task):
        started.set()
        task.report(0.25, "第一步")
        while True:
            task.check()
            threading.Event().wait(0.005)

    failures: list[BaseException] = []
    op = ops.run_op(window, job, title="测试", failure=failures.append)
    qtbot.waitUntil(lambda: op.dialog is not None and op.dialog.value() == 250, timeout=5000)
    assert op.dialog.labelText() == "第一步"
    with qtbot.waitSignal(op.done, timeout=5000):
        qtbot.mouseClick(op.dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)
    assert len(failures) == 1 and isinstance(failures[0], Cancelled)


def test_quick_job_never_flashes_a_dialog(qtbot, window):
    results = []
    op = ops.run_op(window, lambda task: 42, success=results.append)
    with qtbot.waitSignal(op.done, timeout=5000):
        pass
    assert results == [42]
    assert op.dialog is None


def test_unexpected_error_becomes_a_dialog_with_a_log(qtbot, window, answers, tmp_path):
    from desktop import errors

    errors.LOG_FILE = tmp_path / "kexie-error.log"

    def job(task):
        raise ZeroDivisionError("boom")

    op = ops.run_op(window, job)
    with qtbot.waitSignal(op.done, timeout=5000):
        pass
    _title, text = answers.kinds("warn")[-1]
    assert "ZeroDivisionError" in text and str(errors.LOG_FILE) in text
    assert "boom" in errors.LOG_FILE.read_text(encoding="utf-8")
    errors.LOG_FILE = None


def test_no_full_garbage_collection_pauses_while_a_job_runs(qtbot, window):
    import gc

    seen = []
    op = ops.run_op(window, lambda task: seen.append(gc.isenabled()))
    with qtbot.waitSignal(op.done, timeout=5000):
        pass
    assert seen == [False]
    assert gc.isenabled()
