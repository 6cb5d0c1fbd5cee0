"""Desktop benchmarks: ``kexie`` start → usable window, the longest UI-thread stall while an
export or merge runs in the window, and the records table with 100,000 records.

``run(quick)`` follows the scenario contract in docs/internals.md. The start time is measured
from spawning ``kexie --data DIR`` to the app reporting its first event-loop turn with the main
window shown (``KEXIE_EXIT_WHEN_READY``). Stalls are measured with a 5 ms QTimer heartbeat on the
UI thread: the longest gap between two beats while the job runs on the worker thread.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib
from pathlib import Path
from typing import Any

from bench.target import target_row

COUNTY = "110108000000"
HEARTBEAT_MS = 5


def _prepare(folder: Path, demo: bool = True) -> None:
    """A data folder with the unit set (and demo data when ``kexie demo`` exists)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if demo:
        done = subprocess.run(
            [sys.executable, "-m", "kexie", "--data", str(folder), "demo", "--unit", COUNTY],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode == 0:
            return
    from localdb import open_store

    with open_store(folder) as store:
        store.set_unit(COUNTY)
        store.set_clerk("bench")


def start_times(folder: Path, runs: int) -> list[float]:
    """Seconds from spawning ``kexie`` to a usable main window, ``runs`` times."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "KEXIE_EXIT_WHEN_READY": "1",
    }
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "kexie", "--data", str(folder)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if "KEXIE-READY" in line:
                times.append(time.perf_counter() - start)
                break
        proc.wait(timeout=60)
        if len(times) < _ + 1:
            raise RuntimeError("the app did not report a usable window")
    return times


class Heartbeat:
    """Longest gap between UI-thread timer beats while it runs."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._beat)
        self.last = 0.0
        self.max_gap = 0.0
        self.beats = 0

    def _beat(self) -> None:
        now = time.perf_counter()
        if self.last:
            self.max_gap = max(self.max_gap, now - self.last)
        self.last = now
        self.beats += 1

    def start(self) -> None:
        self.last, self.max_gap, self.beats = 0.0, 0.0, 0
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.max_gap


def _wait(op: Any, timeout: float = 600) -> Any:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    box: list[Any] = []
    op.done.connect(lambda result: (box.append(result), loop.quit()))
    QTimer.singleShot(int(timeout * 1000), loop.quit)
    loop.exec()
    if not box:
        raise RuntimeError("job did not finish")
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


def _silence_dialogs() -> None:
    from desktop import dialogs

    dialogs.inform = lambda *a, **k: None  # type: ignore[assignment]
    dialogs.warn = lambda *a, **k: None  # type: ignore[assignment]


def township_bundles(work: Path, count: int, records: int) -> list[Path]:
    """Bundles exported by ``count`` townships of the county (inputs of a realistic merge)."""
    from exports import export_bundle
    from localdb import open_store
    from localdb.demo import run_demo

    bundles = []
    for i in range(count):
        with open_store(work / f"township-{i}") as store:
            code = store.units.children(COUNTY)[i].code
            store.set_unit(code)
            store.set_clerk("bench")
            run_demo(store, records=records, seed=i)
            out = work / f"township-{i}.xlsx"
            export_bundle(store, out)
            bundles.append(out)
    return bundles


def stalls(folder: Path, work: Path, runs: int, extra: int, townships: int) -> dict[str, list]:
    """Max UI stall (s) during export and during merge, each run from the real window.

    The county exports its demo data plus ``extra`` survey records; the merge takes
    ``townships`` township bundles (and the county's own data)."""
    from desktop.app import application
    from desktop.mainwindow import MainWindow
    from desktop.transfer import ExportDialog, MergeDialog
    from localdb import open_store

    application()
    _silence_dialogs()
    bundles = township_bundles(work, townships, 200)
    out: dict[str, list] = {"export": [], "merge": [], "export_s": [], "merge_s": []}
    with open_store(folder) as store:
        fill_records(store, "kexie_survey", extra)
        window = MainWindow(store)
        window.show()
        beat = Heartbeat()
        for kind in ("export", "merge") * runs:
            if kind == "export":
                dialog = ExportDialog(window)
                dialog.file.edit.setText(str(work / "export.xlsx"))
            else:
                dialog = MergeDialog(window)
                dialog.add_paths([str(p) for p in bundles])
                dialog.out.edit.setText(str(work / "merged.xlsx"))
            beat.start()
            start = time.perf_counter()
            _wait(dialog.start())
            out[f"{kind}_s"].append(time.perf_counter() - start)
            out[kind].append(beat.stop())
        window.close()
    return out


def fill_records(store: Any, form_id: str, count: int) -> None:
    """Insert ``count`` finalised records straight into the form table (benchmark set-up)."""
    form = store.form(form_id)
    fields = [q for q in form.fields() if q.type in ("text", "integer", "select_one")][:20]
    table = f"form_{form_id}"
    columns = [
        "_uuid",
        "_unit",
        "_form_version",
        "_status",
        "_deleted",
        "_created",
        "_modified",
        "_author",
        "_source",
    ] + [q.name for q in fields]
    rows = []
    for i in range(count):
        stamp = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T08:{i % 60:02d}:00Z"
        row = [
            str(uuidlib.uuid4()),
            COUNTY,
            form.version,
            "finalised",
            0,
            stamp,
            stamp,
            f"interviewer{i % 40}",
            "local",
        ]
        for q in fields:
            if q.type == "integer":
                row.append(i % 97)
            elif q.type == "select_one" and q.list_name in form.choice_lists:
                choices = form.choice_lists[q.list_name].choices
                row.append(choices[i % len(choices)].name if choices else None)
            else:
                row.append(f"{q.name}-{i}")
        rows.append(row)
    marks = ", ".join("?" for _ in columns)
    names = ", ".join(f"[{c}]" for c in columns)
    with store.db.atomic():
        store.db.conn.executemany(f"insert into [{table}] ({names}) values ({marks})", rows)


def records_scroll(folder: Path, count: int) -> dict[str, float]:
    """Open the records page on ``count`` survey records; time to show, to scroll to the end,
    and the slowest page-down step while paging through the last screens."""
    from PySide6.QtWidgets import QApplication

    from desktop.app import application
    from desktop.mainwindow import MainWindow
    from localdb import open_store

    application()
    with open_store(folder) as store:
        fill_records(store, "kexie_survey", count)
        window = MainWindow(store)
        window.show()
        QApplication.processEvents()
        start = time.perf_counter()
        window.open_records("kexie_survey")
        page = window.records_page()
        QApplication.processEvents()
        view = page.view
        view.viewport().repaint()
        load = time.perf_counter() - start
        total = page.model.rowCount()
        start = time.perf_counter()
        view.scrollToBottom()
        view.viewport().repaint()
        QApplication.processEvents()
        to_end = time.perf_counter() - start
        bar = view.verticalScrollBar()
        worst = 0.0
        for _ in range(40):
            t = time.perf_counter()
            bar.setValue(bar.value() - bar.pageStep() * 7)  # jumps into unread pages
            view.viewport().repaint()
            QApplication.processEvents()
            worst = max(worst, time.perf_counter() - t)
        window.close()
    return {"rows": total, "load": load, "to_end": to_end, "worst_step": worst}


def run(quick: bool = False) -> dict:
    """The desktop scenarios (quick: fewer runs, 20,000 instead of 100,000 records)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        _prepare(folder)
        times = start_times(folder, 3 if quick else 7)
        results.append(target_row("desktop: kexie → usable window", times, 2.0, "< 2 s"))
        work = Path(tmp) / "out"
        work.mkdir()
        extra = 2_000 if quick else 20_000
        gaps = stalls(folder, work, 2 if quick else 3, extra, 3 if quick else 10)
        for kind, what in (("export", f"county export with {extra:,} extra survey records"),
                           ("merge", "merge of township bundles + local data")):  # fmt: skip
            took = statistics.median(gaps[f"{kind}_s"])
            results.append(target_row(f"desktop: max UI stall during {kind}", gaps[kind], 0.1,
                                "< 100 ms", note=f"{what}; job {took:.1f} s; heartbeat "
                                f"{HEARTBEAT_MS} ms"))  # fmt: skip
        count = 20_000 if quick else 100_000
        records_folder = Path(tmp) / "records"
        _prepare(records_folder, demo=False)
        scroll = records_scroll(records_folder, count)
        note = f"{scroll['rows']:,} records"
        results.append(
            target_row("desktop: records table opens", [scroll["load"]], 0.5, "< 0.5 s", note)
        )
        results.append(
            target_row(
                "desktop: records table scroll to end", [scroll["to_end"]], 0.1, "< 100 ms", note
            )
        )
        results.append(
            target_row(
                "desktop: records table slowest page jump",
                [scroll["worst_step"]],
                0.05,
                "< 50 ms",
                note,
            )
        )
    return {"results": results}


if __name__ == "__main__":
    import json

    print(json.dumps(run("--quick" in sys.argv), indent=2, ensure_ascii=False))
