"""Print preview and "save as PDF" on the report, dashboard (汇总表) and interview screens."""

from __future__ import annotations

import re
import subprocess
import unicodedata

import pytest

from localdb.demo import run_demo

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "pdftotext"], capture_output=True).returncode != 0,
    reason="pdftotext (poppler-utils) not installed",
)


def _layout_text(path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True
    ).stdout
    return unicodedata.normalize("NFKC", out).replace("⻚", "页")


def _text(path) -> str:
    return re.sub(r"\s+", "", _layout_text(path))


@pytest.fixture
def previews(monkeypatch):
    """Print previews are built, laid out on a printer, and not run modally."""
    from desktop import printing

    shown = []

    def run(dialog):
        from PySide6.QtPrintSupport import QPrintPreviewWidget

        dialog.show()
        widget = dialog.findChild(QPrintPreviewWidget)
        widget.updatePreview()  # paints the papers onto the preview's printer
        shown.append((dialog, widget.pageCount()))
        dialog.close()
        return 0

    monkeypatch.setattr(printing, "_exec", run)
    return shown


def test_report_screen_previews_and_saves_its_paper_form(
    qtbot, window, answers, previews, tmp_path
):
    window.db.write(lambda s: run_demo(s, records=2, seed=3))
    window.db.wait_idle()
    rows = window.store.records("kexie_volunteer_monthly", unit=window.store.unit_code)
    period = sorted(r["_period"] for r in rows if r["_status"] != "nil")[-2]
    page = window.open_entry("kexie_volunteer_monthly", period=period)
    assert page.btn_print.text() == "打印预览…" and page.btn_pdf.text() == "另存为 PDF…"
    page.btn_print.click()
    assert len(previews) == 1 and previews[0][0].objectName() == "print_preview"
    assert previews[0][1] == 1  # the preview shows the one A4 page of the form
    out = tmp_path / "report.pdf"
    answers.save_file = str(out)
    page.btn_pdf.click()
    text = _text(out)
    assert "科技志愿服务月报" in text and "科协月1表" in text and "(单位盖章)" in text
    record = window.store.get("kexie_volunteer_monthly", page.uuid)
    assert re.search(rf"\b01\s+{record['vol_registered']}\b", _layout_text(out))
    assert answers.kinds("inform")  # told where it went


def test_dashboard_prints_the_summary_table(qtbot, window, answers, previews, tmp_path):
    window.db.write(lambda s: run_demo(s, records=2, seed=3))
    window.db.wait_idle()
    window.nav.setCurrentRow(2)
    page = window.dashboard_page()
    page.refresh()
    out = tmp_path / "summary.pdf"
    answers.save_file = str(out)
    page.btn_pdf.click()
    text = _text(out)
    assert "(汇总表)" in text and "分单位明细" in text
    done = re.search(r"已报(\d+)/(\d+)", text)
    assert done and int(done.group(1)) > 0  # a period that has been reported, not this month
    page.btn_print.click()
    assert len(previews) == 1 and previews[0][1] >= 2  # the form, then the breakdown


def test_painting_on_a_printer_gives_the_same_pages(qtbot, window, tmp_path):
    """What the preview shows is painted by the same code onto a QPrinter."""
    from PySide6.QtPrintSupport import QPrinter

    from desktop import printing
    from exports.paper import summary_paper

    window.db.write(lambda s: run_demo(s, records=2, seed=3))
    window.db.wait_idle()
    rows = window.store.records("kexie_volunteer_monthly", unit=window.store.unit_code)
    period = sorted(r["_period"] for r in rows)[-2]
    papers = [summary_paper(window.store, "kexie_volunteer_monthly", period)]
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printer.pdf"))
    pages = printing.paint(papers, printer)
    assert pages == printing.write_pdf(papers, tmp_path / "writer.pdf") >= 2
