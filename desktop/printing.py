"""Lay out :class:`exports.paper.Paper` documents and render them to PDF or a printer.

Each paper becomes HTML for a ``QTextDocument`` laid out on A4 (portrait for the form and the
interview, landscape for the 汇总表's breakdown, whose unit columns are split across as many
page-wide tables as needed, each repeating its header row on every page it spans). Pages are
painted with ``QPainter`` onto any ``QPagedPaintDevice`` — ``QPdfWriter`` for files,
``QPrinter`` for the print preview — with a footer (what the page is, 第 i 页 / 共 n 页).
Fonts: Noto Sans CJK when installed, else any font that covers Simplified Chinese; Qt embeds
the subset it uses in the PDF.

``kexie print`` imports this module lazily (the command sits on top of every package); with no
display it runs on Qt's offscreen platform.
"""

from __future__ import annotations

import html
import os
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from exports.paper import Paper
from i18n import tr
from i18n.errors import KexieError, UsageError

MARGIN_MM = 15.0
FOOTER_MM = 8.0
BODY_PT = 10.0
TABLE_PT = 10.0
BREAKDOWN_PT = 8.0  # the legibility floor of the breakdown
LABEL_COL_MM = 62.0  # indicator column of the breakdown
VALUE_COL_MM = 19.0  # one unit's column of the breakdown
PREFERRED = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "SimSun")
# Latin text and figures come first from a Latin font: with the CJK font alone Qt writes Latin
# runs with glyphs the PDF's text layer cannot map back (pdftotext, copy and search lose them).
LATIN = ("Noto Sans", "DejaVu Sans", "Liberation Sans", "Arial", "Segoe UI", "Helvetica")


class PrintError(KexieError):
    """A PDF could not be made (no CJK font, unwritable file)."""


def ensure_app():
    """The Qt application for layout and fonts (a QApplication, so a window or a test that
    comes later in the same process can still make widgets); offscreen with no display."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        return app
    if (
        not os.environ.get("QT_QPA_PLATFORM")
        and sys.platform.startswith("linux")
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return QApplication(["kexie-print"])


def font_families() -> list[str]:
    """The font families to print with: a Latin one (if any), then one with Simplified
    Chinese; :class:`PrintError` when no font covers Chinese."""
    from PySide6.QtGui import QFontDatabase

    families = QFontDatabase.families()
    chinese = next((n for n in PREFERRED if n in families), None)
    if chinese is None:
        found = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
        if not found:
            raise PrintError("paper.no_font", fix="paper.fix.no_font")
        chinese = found[0]
    latin = next((n for n in LATIN if n in families), None)
    return [latin, chinese] if latin else [chinese]


def _font(families: list[str], size: float):
    from PySide6.QtGui import QFont

    font = QFont()
    font.setFamilies(families)
    font.setPointSizeF(size)
    return font


# -- HTML ----------------------------------------------------------------------------------
def _e(text: object) -> str:
    return html.escape(str(text or ""))


def _table_attrs(size: float, pad: int = 3) -> str:
    """A ruled table: one style attribute (Qt reads only one), cell padding in pixels."""
    return (
        f'border="1" cellspacing="0" cellpadding="{pad}" width="100%" '
        f'style="border-collapse: collapse; border-color: #000; font-size: {size}pt;"'
    )


def _heading(paper: Paper) -> str:
    lang = paper.lang
    right = []
    if paper.table_no:
        right.append(_e(tr("paper.table_no", lang, no=paper.table_no)))
    if paper.issued_by:
        right.append(_e(tr("paper.issued_by", lang, by=paper.issued_by)))
    out = ""
    if right:
        out += f'<p align="right" style="font-size: 9pt;">{"<br>".join(right)}</p>'
    out += (
        f'<p align="center" style="font-size: 16pt; font-weight: bold; margin-top: 4px;'
        f' margin-bottom: 8px;">{_e(paper.title)}</p>'
    )
    items = [f"{_e(k)}：{_e(v)}" for k, v in paper.meta if v]
    if paper.kind == "interview":
        rows = "".join(f"<tr><td>{item}</td></tr>" for item in items)
        out += f'<table cellpadding="1" style="font-size: 9pt; margin-bottom: 6px;">{rows}</table>'
    elif items:
        out += f'<p style="font-size: {BODY_PT}pt; margin-bottom: 6px;">{"&nbsp;&nbsp;&nbsp;&nbsp;".join(items)}</p>'
    return out


def _form_table(paper: Paper, size: float = TABLE_PT, pad: int = 3) -> str:
    lang = paper.lang
    heads = [
        tr("paper.col.label", lang),
        tr("paper.col.unit", lang),
        tr("paper.col.code", lang),
        paper.value_header or tr("paper.col.value", lang),
    ]
    marks = tr("paper.col.marks", lang).split("|")
    rows = [
        "<thead><tr>"
        + "".join(f'<th align="center" bgcolor="#eeeeee">{_e(h)}</th>' for h in heads)
        + "</tr><tr>"
        + "".join(f'<td align="center">{_e(m)}</td>' for m in marks)
        + "</tr></thead>"
    ]
    for ln in paper.lines:
        if ln.heading:
            rows.append(f'<tr><td colspan="4"><b>{_e(ln.label)}</b></td></tr>')
            continue
        indent = "&nbsp;" * (ln.indent * 4)
        rows.append(
            f"<tr><td>{indent}{_e(ln.label)}</td><td align='center'>{_e(ln.unit)}</td>"
            f"<td align='center'>{_e(ln.code)}</td><td align='right'>{_e(ln.value)}</td></tr>"
        )
    widths = '<col width="58%"><col width="13%"><col width="9%"><col width="20%">'
    return f"<table {_table_attrs(size, pad)}>{widths}{''.join(rows)}</table>"


def _notes(paper: Paper) -> str:
    lang = paper.lang
    out = ""
    if paper.notes:
        items = "".join(f"<li>{_e(k)}：{_e(v)}</li>" for k, v in paper.notes)
        out += f'<p style="margin-top: 8px;"><b>{_e(tr("paper.notes", lang))}</b></p><ol style="margin-top: 0px;">{items}</ol>'
    if paper.remarks:
        out += f'<p style="margin-top: 6px;"><b>{_e(tr("paper.remarks", lang))}：</b>{_e(paper.remarks)}</p>'
    return out


def _signatures(paper: Paper) -> str:
    if not paper.signatures:
        return ""
    lang = paper.lang
    sign = _e(tr("paper.signature", lang))
    line = "_" * 14
    cells = []
    for label, value in paper.signatures:
        shown = _e(value) if value else "_" * 12
        cells.append(f"{_e(label)}：{shown}")
    # 单位负责人 / 填表人 sign; 联系电话 / 填报日期 are written in
    rows = [
        f"<tr><td width='50%'>{cells[0]}　{sign}：{line}</td>"
        f"<td width='50%'>{cells[1]}　{sign}：{line}</td></tr>",
        f"<tr><td>{cells[2]}</td><td>{cells[3]}</td></tr>",
    ]
    seal = ""
    if paper.seal:
        seal = (
            f'<tr><td></td><td align="right" height="70" valign="bottom">'
            f"{_e(tr('paper.seal', lang))}</td></tr>"
        )
    return (
        f'<table width="100%" cellpadding="5" style="margin-top: 14px; font-size: {BODY_PT}pt;">'
        f"{''.join(rows)}{seal}</table>"
    )


def _sections(paper: Paper) -> str:
    out = []
    for title, items in paper.sections:
        out.append(f'<p style="margin-top: 10px; font-size: 11pt;"><b>{_e(title)}</b></p>')
        rows = "".join(f"<tr><td width='45%'>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in items)
        out.append(f"<table {_table_attrs(9)}>{rows}</table>")
    return "".join(out)


# A form's table tightens step by step (font size, cell padding) until the form with its
# signatures and seal fits one page; never below 8.5 pt.
FIT_STEPS = ((TABLE_PT, 3), (TABLE_PT, 2), (9.5, 2), (TABLE_PT, 1), (9.5, 1), (9.0, 1), (8.5, 1))


def main_html(paper: Paper, size: float = TABLE_PT, pad: int = 3) -> str:
    """The first part of a paper (the form, or the interview) as HTML."""
    body = _heading(paper)
    if paper.kind == "interview":
        body += _sections(paper) + _notes(paper)
    else:
        body += _form_table(paper, size, pad) + _notes(paper) + _signatures(paper)
    return body


def breakdown_chunks(paper: Paper, per_page: int) -> list[str]:
    """The breakdown as HTML tables of at most ``per_page`` unit columns each."""
    b = paper.breakdown
    if b is None or not b.indicators:
        return []
    lang = paper.lang
    per_page = max(1, per_page)
    n = len(b.units)
    parts = [(i, min(n, i + per_page)) for i in range(0, n, per_page)]
    out = []
    meta = dict(paper.meta)
    unit = meta.get(tr("paper.summary.unit", lang), "")
    period = meta.get(tr("paper.period", lang), "")
    for k, (lo, hi) in enumerate(parts, start=1):
        title = tr("paper.summary.breakdown", lang, title=paper.title, unit=unit, period=period)
        if len(parts) > 1:
            title += tr("paper.summary.part", lang, n=k, total=len(parts))
        head = (
            f'<th bgcolor="#eeeeee">{_e(tr("paper.col.code", lang))}</th>'
            f'<th bgcolor="#eeeeee">{_e(tr("paper.col.label", lang))}</th>'
            f'<th bgcolor="#eeeeee">{_e(tr("paper.col.unit", lang))}</th>'
        ) + "".join(f'<th bgcolor="#eeeeee">{_e(name)}</th>' for _, name in b.units[lo:hi])
        rows = []
        for ln, values in zip(b.indicators, b.values, strict=True):
            pad = "&nbsp;" * (ln.indent * 4)
            rows.append(
                f"<tr><td align='center'>{_e(ln.code)}</td><td>{pad}{_e(ln.label)}</td>"
                f"<td align='center'>{_e(ln.unit)}</td>"
                + "".join(f"<td align='right'>{_e(v)}</td>" for v in values[lo:hi])
                + "</tr>"
            )
        out.append(
            f'<p align="center" style="font-size: 12pt; font-weight: bold;">{_e(title)}</p>'
            f"<table {_table_attrs(BREAKDOWN_PT, 2)}><thead><tr>{head}</tr></thead>"
            f"{''.join(rows)}</table>"
        )
    return out


# -- layout and painting -------------------------------------------------------------------
@dataclass
class _Part:
    html: str
    landscape: bool
    footer: str
    tighter: list[str] = field(default_factory=list)  # tried in turn when html overflows a page


def _parts(paper: Paper) -> list[_Part]:
    tighter = [] if paper.kind == "interview" else [main_html(paper, *f) for f in FIT_STEPS[1:]]
    parts = [_Part(main_html(paper), False, paper.footer, tighter)]
    if paper.breakdown is not None:
        width = 297.0 - 2 * MARGIN_MM
        per_page = int((width - LABEL_COL_MM - 2 * 12.0) // VALUE_COL_MM)
        parts += [_Part(h, True, paper.footer) for h in breakdown_chunks(paper, per_page)]
    return parts


def _layout(landscape: bool):
    from PySide6.QtCore import QMarginsF
    from PySide6.QtGui import QPageLayout, QPageSize

    return QPageLayout(
        QPageSize(QPageSize.PageSizeId.A4),
        QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait,
        QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
        QPageLayout.Unit.Millimeter,
    )


def _document(part: _Part, device, families: list[str], turn: bool):
    """The laid-out document of one part, its page layout, its body rect (in the part's own
    orientation) and the footer height; ``turn``: the device cannot change orientation between
    pages (a printer), so the part takes the device's layout and a landscape part is laid out
    across it, to be painted turned by 90°."""
    from PySide6.QtCore import QRectF, QSizeF
    from PySide6.QtGui import QPageLayout, QTextDocument

    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(device)
    doc.setDefaultFont(_font(families, BODY_PT))
    doc.setDocumentMargin(0)
    dpi = device.logicalDpiY()
    if turn:
        layout = device.pageLayout()
        rect = QRectF(layout.paintRectPixels(dpi))
        portrait = layout.orientation() == QPageLayout.Orientation.Portrait
        rotated = part.landscape == portrait
        if rotated:
            rect = QRectF(0, 0, rect.height(), rect.width())
    else:
        layout = _layout(part.landscape)
        rect = QRectF(layout.paintRectPixels(dpi))
        rotated = False
    footer = FOOTER_MM / 25.4 * dpi
    doc.setPageSize(QSizeF(rect.width(), rect.height() - footer))
    for html_text in [part.html, *part.tighter]:
        doc.setHtml(html_text)
        if doc.pageCount() <= 1:
            break
    return doc, layout, rect, footer, rotated


def paint(papers: list[Paper], device) -> int:
    """Paint ``papers`` onto ``device`` (QPdfWriter or QPrinter); returns the page count.

    A PDF writer gets each part in its own orientation (the breakdown landscape); a printer
    keeps the page layout chosen for it, and a part of the other orientation is painted
    turned by 90° (as a landscape page comes out of a printer anyway)."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QPainter, QPdfWriter

    families = font_families()
    turn = not isinstance(device, QPdfWriter)
    docs = []
    for paper in papers:
        for part in _parts(paper):
            docs.append((part, paper.lang, *_document(part, device, families, turn)))
    total = sum(max(1, d[2].pageCount()) for d in docs)
    if docs and not turn:
        device.setPageLayout(docs[0][3])
    painter = QPainter()
    if not painter.begin(device):
        raise PrintError(
            "paper.write_failed", path="", error="QPainter", fix="paper.fix.write_failed"
        )
    printed = datetime.now().strftime("%Y-%m-%d %H:%M")
    page = 0
    try:
        for part, lang, doc, layout, rect, footer, rotated in docs:
            for i in range(max(1, doc.pageCount())):
                if page > 0:
                    if not turn:
                        device.setPageLayout(layout)
                    device.newPage()
                page += 1
                painter.save()
                if rotated:  # the part's width runs down the page
                    painter.translate(rect.height(), 0)
                    painter.rotate(90)
                height = doc.pageSize().height()
                painter.save()
                painter.translate(0, -i * height)
                doc.drawContents(painter, QRectF(0, i * height, rect.width(), height))
                painter.restore()
                painter.setFont(_font(families, 8))
                band = QRectF(0, rect.height() - footer, rect.width(), footer)
                painter.drawText(
                    band,
                    int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom),
                    f"{part.footer}　{tr('paper.printed', lang, at=printed)}",
                )
                painter.drawText(
                    band,
                    int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
                    tr("paper.page", lang, page=page, pages=total),
                )
                painter.restore()
    finally:
        painter.end()
    return page


def write_pdf(papers: list[Paper], out: str | Path) -> int:
    """Render ``papers`` into the PDF file ``out`` (written whole or not at all); returns the
    number of pages."""
    from PySide6.QtGui import QPdfWriter

    ensure_app()
    out = Path(out)
    if out.is_dir():
        raise UsageError("paper.write_failed", path=out, error=tr("paper.is_folder"),
                         fix="paper.fix.write_failed")  # fmt: skip
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError("paper.write_failed", path=out, error=tr("paper.no_folder"),
                         fix="paper.fix.write_failed")  # fmt: skip
    fd, tmp = tempfile.mkstemp(prefix=".kexie-print-", suffix=".pdf", dir=folder)
    os.close(fd)
    try:
        writer = QPdfWriter(tmp)
        writer.setResolution(300)
        writer.setCreator("Kexie Collect")
        writer.setTitle(papers[0].title if papers else "")
        pages = paint(papers, writer)
        del writer  # flushes and closes the file
        if os.path.getsize(tmp) == 0:
            raise PrintError(
                "paper.write_failed", path=out, error="empty", fix="paper.fix.write_failed"
            )
        os.replace(tmp, out)
    except OSError as exc:
        raise UsageError("paper.write_failed", path=out, error=exc.strerror or str(exc),
                         fix="paper.fix.write_failed") from exc  # fmt: skip
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return pages


# -- in the window -------------------------------------------------------------------------
def _exec(dialog) -> int:
    """Run a modal dialog (tests replace this so nothing blocks)."""
    return dialog.exec()


def preview(parent, papers: list[Paper]):
    """Print preview of ``papers`` (A4), from which the user prints; returns the dialog."""
    from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageLayout(_layout(False))
    printer.setDocName(papers[0].title if papers else "")
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setObjectName("print_preview")
    dialog.setWindowTitle(tr("ui.print.preview_title"))
    dialog.paintRequested.connect(lambda p: paint(papers, p))
    _exec(dialog)
    return dialog


def save_pdf(parent, papers: list[Paper], suggested: str) -> str | None:
    """Ask where to save and write ``papers`` as PDF; returns the path (None if cancelled)."""
    from desktop import dialogs

    path = dialogs.save_file(parent, tr("ui.print.save_title"), suggested, "PDF (*.pdf)")
    if not path:
        return None
    if not path.lower().endswith(".pdf"):
        path += ".pdf"
    pages = write_pdf(papers, path)
    dialogs.inform(parent, tr("ui.print.save_title"), tr("paper.cli.done", path=path, pages=pages))
    return path


def print_buttons(parent, papers, suggested):
    """Two buttons, 打印预览… and 另存为 PDF…; ``papers()`` and ``suggested()`` are called
    when clicked. Errors go through the window's one error path."""
    from PySide6.QtWidgets import QPushButton

    from desktop.errors import show_error

    def run(action):
        try:
            items = papers()
            if items:
                action(items)
        except KexieError as exc:
            show_error(parent, exc)

    preview_btn = QPushButton(objectName="btn_print")
    pdf_btn = QPushButton(objectName="btn_pdf")
    preview_btn.clicked.connect(lambda: run(lambda items: preview(parent, items)))
    pdf_btn.clicked.connect(lambda: run(lambda items: save_pdf(parent, items, suggested())))
    return preview_btn, pdf_btn


def retranslate_buttons(preview_btn, pdf_btn) -> None:
    preview_btn.setText(tr("ui.print.preview"))
    pdf_btn.setText(tr("ui.print.pdf"))
