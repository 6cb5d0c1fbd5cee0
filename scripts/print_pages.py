"""Regenerate docs/printing/*.png: printed pages of the real app with demo data.

    QT_QPA_PLATFORM=offscreen python scripts/print_pages.py [OUT_DIR]

A fresh data folder for a county (西湖区) is filled by ``kexie demo`` with a fixed seed; the
report, the 汇总表, a venue report, the annual report and an interview are printed with
``kexie print`` and turned into PNG pages with pdftoppm (poppler-utils); the print preview of
the report screen is grabbed from the window.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

COUNTY = "330106000000"  # 浙江省杭州市西湖区
TODAY = date(2026, 11, 20)
MONTH = "2026-10"


def _pages(pdf: Path, out: Path, name: str, *, first_only: bool = False) -> None:
    for old in out.glob(f"{name}-*.png"):
        old.unlink()
    args = ["pdftoppm", "-r", "80", "-png"]
    if first_only:
        args += ["-f", "1", "-l", "1"]
    subprocess.run([*args, str(pdf), str(out / name)], check=True)


def main(out: Path) -> None:
    from kexie.cli import main as kexie
    from localdb import open_store
    from localdb.demo import run_demo

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        with open_store(data) as store:
            store.set_unit(COUNTY)
            store.set_clerk("王小明")
            run_demo(store, records=20, seed=2026, today=TODAY)
            survey = store.records("kexie_survey", status="finalised", limit=1)[0]["_uuid"]
        jobs = [
            ("report", ["kexie_volunteer_monthly", "--period", MONTH], False),
            ("summary", ["kexie_volunteer_monthly", "--period", MONTH, "--summary"], False),
            ("venue", ["kexie_venue_monthly", "--period", MONTH], True),
            ("annual", ["kexie_org_annual", "--period", "2025"], False),
            ("interview", ["kexie_survey", "--uuid", survey], True),
        ]
        for name, args, first in jobs:
            pdf = Path(tmp) / f"{name}.pdf"
            assert kexie(["--data", str(data), "print", *args, "--out", str(pdf)]) == 0
            _pages(pdf, out, name, first_only=first)
        _preview(data, out / "preview.png")


def _preview(data: Path, path: Path) -> None:
    """The print preview of the report screen, as the clerk sees it."""
    from PySide6.QtPrintSupport import QPrintPreviewWidget

    from desktop import printing
    from desktop.app import application
    from desktop.mainwindow import MainWindow
    from localdb import open_store

    app = application()
    with open_store(data) as store:
        window = MainWindow(store)
        window.resize(1280, 800)
        window.show()
        page = window.open_entry("kexie_volunteer_monthly", period=MONTH)

        def grab(dialog):
            dialog.resize(900, 800)
            dialog.show()
            widget = dialog.findChild(QPrintPreviewWidget)
            widget.updatePreview()
            widget.fitInView()
            for _ in range(5):
                app.processEvents()
            dialog.grab().save(str(path))
            dialog.close()
            return 0

        printing._exec = grab
        page.btn_print.click()
        window.close()
        import shiboken6

        shiboken6.delete(window)
    print(path)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "printing")
