"""Writing a bundle workbook: human sheets through xlsxwriter, bulk rows streamed (xlsx_stream).

The file appears only when complete: everything is written to temporary files in the target
folder, flushed to disk and moved into place with ``os.replace``; on any error (or cancel) the
temporary files are removed and an existing file at ``out`` is left untouched.
"""

from __future__ import annotations

import base64
import errno
import json
import math
import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, ClassVar, Protocol

import xlsxwriter
import xlsxwriter.exceptions

from exports import xlsx_stream
from exports.canonical import manifest_digest
from exports.faults import os_fault
from exports.format import (
    FORMS_SHEET,
    MANIFEST_CHUNK,
    MANIFEST_SHEET,
    MAX_COLS,
    MAX_ROWS,
    TOMBSTONE_TABLE,
)
from exports.model import SheetGrid, TableData
from i18n import tr
from i18n.errors import BundleError, Location
from kexie.jobfiles import JobFiles
from kexie.tasks import NULL_TASK, TaskState


class SheetWriter(Protocol):
    """How the rows of the data sheets get into the workbook (the human sheets, the manifest
    and the form definitions always go through xlsxwriter). Both engines conform
    (``tests/exports/test_sheet_writers.py``)."""

    name: str
    takes_templates: bool  # rows may come as cell XML rendered beforehand (Renderer.template)

    @property
    def options(self) -> Mapping[str, bool]:
        """xlsxwriter Workbook options this writer needs."""
        ...

    def add_rows(self, ws, table: TableData, task: TaskState) -> None:
        """Put ``table``'s rows into the data sheet ``ws`` (now, or when the file is finished)."""

    def finish(self, base: str, out: BinaryIO) -> None:
        """Write the complete workbook to ``out`` from the closed xlsxwriter file ``base``."""


class StreamSheetWriter:
    """The fast path: data rows are streamed into the finished xlsxwriter file
    (``xlsx_stream.splice``) as cell XML; the base workbook is small, so kept in memory."""

    name = "stream"
    takes_templates = True
    options: ClassVar[Mapping[str, bool]] = {"constant_memory": False, "in_memory": True}

    def __init__(self) -> None:
        self.fills: dict[str, tuple[int, int, Callable[[], Iterable[Sequence]]]] = {}

    def add_rows(self, ws, table: TableData, task: TaskState) -> None:
        ncols = len(table.spec.columns)
        self.fills[f"xl/worksheets/sheet{ws.index + 1}.xml"] = (table.count, ncols, table.rows)

    def finish(self, base: str, out: BinaryIO) -> None:
        xlsx_stream.splice(base, out, self.fills)


class CellSheetWriter:
    """The mature path: every cell through xlsxwriter (``constant_memory``) with its type."""

    name = "xlsxwriter"
    takes_templates = False
    options: ClassVar[Mapping[str, bool]] = {"constant_memory": True, "in_memory": False}

    def add_rows(self, ws, table: TableData, task: TaskState) -> None:
        _exact_numbers(ws)
        _write_rows(ws, table.rows(), task)

    def finish(self, base: str, out: BinaryIO) -> None:
        with open(base, "rb") as src:
            shutil.copyfileobj(src, out)


SHEET_WRITERS: dict[str, type[StreamSheetWriter] | type[CellSheetWriter]] = {
    w.name: w for w in (StreamSheetWriter, CellSheetWriter)
}
ENGINES = tuple(SHEET_WRITERS)


def sheet_writer(engine: str) -> SheetWriter:
    """A new writer for ``engine`` (``"stream"`` or ``"xlsxwriter"``)."""
    try:
        return SHEET_WRITERS[engine]()
    except KeyError:
        raise ValueError(f"engine {engine!r}: one of {', '.join(ENGINES)}") from None


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\']")


class SheetNames:
    """Excel-valid, unique (case-insensitively) sheet names of at most 31 characters."""

    def __init__(self, reserved: tuple[str, ...] = (MANIFEST_SHEET, FORMS_SHEET, TOMBSTONE_TABLE)):
        self.used = {r.lower() for r in reserved} | {"history"}  # Excel reserves "History"

    def take(self, wanted: str) -> str:
        base = _BAD_SHEET_CHARS.sub("_", wanted).strip() or "Sheet"
        if base.startswith("_"):  # "_" names are the machine's
            base = "-" + base[1:]
        name, n = base[:31], 2
        while name.lower() in self.used:
            suffix = f"({n})"
            name, n = base[: 31 - len(suffix)] + suffix, n + 1
        self.used.add(name.lower())
        return name


def _manifest_rows(manifest: dict) -> list[list[str]]:
    rows = []
    for key, value in manifest.items():
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        rows.append(
            [key] + [text[i : i + MANIFEST_CHUNK] for i in range(0, len(text), MANIFEST_CHUNK)]
            or [key, ""]
        )
    return rows


def write_bundle(
    out: Path,
    *,
    manifest: dict,
    cover: list[tuple[str, str]],
    form_counts: list[tuple[str, str, int]],
    tables: list[TableData],
    grids: list[SheetGrid],
    form_blobs: dict[tuple[str, str], bytes],
    lang: str | None,
    engine: str = "stream",
    task: TaskState = NULL_TASK,
    before_replace: Callable[[Path], None] | None = None,
) -> None:
    """Write the bundle at ``out`` atomically. ``manifest`` gets each table's sheet name and the
    ``manifest_sha256`` before it is written. ``before_replace(temp_path)`` runs once the
    complete file is on disk, just before it is moved into place (export records what it sent
    there, in one transaction); if it raises, nothing is moved."""
    out = Path(out)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise BundleError(
            "bundle.write.no_folder", location=Location(file=str(out)), folder=str(folder)
        )
    for t in tables:
        if t.count + 1 > MAX_ROWS or len(t.spec.columns) > MAX_COLS:
            raise BundleError(
                "bundle.write.too_large", location=Location(file=str(out), sheet=t.spec.title),
                fix="bundle.fix.split", rows=t.count, columns=len(t.spec.columns),
            )  # fmt: skip
    names = SheetNames()
    cover_name = names.take(tr("bundle.sheet.cover", lang))
    data_sheets = {}
    for t in tables:
        if t.spec.table == TOMBSTONE_TABLE:
            t.spec.sheet = TOMBSTONE_TABLE
        else:
            t.spec.sheet = names.take(t.spec.title)
        data_sheets[t.spec.table] = t.spec.sheet
        manifest["tables"][t.spec.table]["sheet"] = t.spec.sheet
    for g in grids:
        g.name = names.take(g.name)
    manifest["manifest_sha256"] = manifest_digest(manifest)

    writer = sheet_writer(engine)
    try:
        job = JobFiles(folder, "write")
    except OSError as exc:
        raise os_fault(exc, folder) from None
    try:
        base = str(job.path("base.tmp"))
        final = str(job.path("xlsx.tmp"))
        _build(
            base,
            manifest,
            cover_name,
            cover,
            form_counts,
            tables,
            grids,
            form_blobs,
            lang,
            writer,
            task,
            folder,
        )
        task.check()
        with open(final, "wb") as fh:
            writer.finish(base, fh)
            fh.flush()
            os.fsync(fh.fileno())
        task.check()
        if before_replace is not None:
            before_replace(Path(final))
        os.replace(final, out)
    except (OSError, xlsxwriter.exceptions.FileCreateError) as exc:
        if not isinstance(exc, OSError):  # xlsxwriter wraps the OSError it met
            inner = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
            exc = inner or OSError(errno.EIO, str(exc))
        raise os_fault(exc, out if exc.errno not in (errno.ENOSPC,) else folder) from None
    finally:
        job.close()


def _build(
    base,
    manifest,
    cover_name,
    cover,
    form_counts,
    tables,
    grids,
    form_blobs,
    lang,
    writer: SheetWriter,
    task,
    folder=None,
) -> None:
    options: dict[str, object] = {
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
        **writer.options,
    }
    if folder is not None:  # constant_memory's scratch files: beside the output, never in TEMP
        options["tmpdir"] = str(folder)
    wb = xlsxwriter.Workbook(base, options)
    wb.set_properties({"title": tr("bundle.title", lang), "comments": "kexie-bundle"})
    head = wb.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "border": 1, "bg_color": "#DDEBF7"}
    )
    bold = wb.add_format({"bold": True})
    title_fmt = wb.add_format({"bold": True, "font_size": 16})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})

    # The reviewer's reading order: cover, 上报情况, 汇总, then the data (and machine sheets).
    cover_ws = wb.add_worksheet(cover_name)
    grid_ws = [wb.add_worksheet(g.name) for g in grids]
    data_ws = {}
    for t in tables:
        data_ws[t.spec.table] = wb.add_worksheet(t.spec.sheet)
    man_ws = wb.add_worksheet(MANIFEST_SHEET)
    forms_ws = wb.add_worksheet(FORMS_SHEET)

    # Cover (rows in order: constant_memory writes row by row).
    cover_ws.set_column(0, 0, 22)
    cover_ws.set_column(1, 1, 50)
    cover_ws.set_column(2, 2, 12)
    cover_ws.write_string(0, 0, tr("bundle.title", lang), title_fmt)
    r = 2
    for label, value in cover:
        cover_ws.write_string(r, 0, label, bold)
        cover_ws.write_string(r, 1, str(value), wrap)
        r += 1
    r += 1
    cover_ws.write_string(r, 0, tr("bundle.cover.form", lang), head)
    cover_ws.write_string(r, 1, tr("bundle.cover.version", lang), head)
    cover_ws.write_string(r, 2, tr("bundle.cover.records", lang), head)
    for title, version, count in form_counts:
        r += 1
        cover_ws.write_string(r, 0, title)
        cover_ws.write_string(r, 1, version)
        cover_ws.write_number(r, 2, count)
    cover_ws.set_paper(9)
    cover_ws.set_landscape()
    cover_ws.activate()

    for i, t in enumerate(tables):
        ws = data_ws[t.spec.table]
        cols = t.spec.columns
        ncols = len(cols)
        for c, col in enumerate(cols):
            ws.set_column(c, c, col.width, None, {"hidden": col.hidden})
            ws.write_string(0, c, col.label or col.name, head)
        ws.set_row(0, 32)
        ws.freeze_panes(1, 0)
        if ncols:
            ws.autofilter(0, 0, max(t.count, 1), ncols - 1)
        ws.set_paper(9)
        ws.set_landscape()
        ws.repeat_rows(0)
        _fit_print_width(ws, sum(1 for col in cols if not col.hidden))
        ws.set_header(f'&C&"Bold"{t.spec.title.replace("&", "&&")}')
        ws.set_footer("&C&P / &N")
        if t.spec.table == TOMBSTONE_TABLE:
            ws.hide()
        writer.add_rows(ws, t, task)
        task.report(0.5 * (i + 1) / max(len(tables), 1), tr("bundle.progress.writing", lang))

    for g, ws in zip(grids, grid_ws, strict=True):
        _write_grid(wb, ws, g, head, bold, title_fmt)

    for r, row in enumerate(_manifest_rows(manifest)):
        for c, text in enumerate(row):
            ws_write = man_ws.write_string
            ws_write(r, c, text)
    man_ws.hide()
    r = 0
    forms_ws.write_row(0, 0, ["form_id", "version", "part", "xlsx_base64"])
    for (form_id, version), blob in sorted(form_blobs.items()):
        text = base64.b64encode(blob).decode("ascii")
        for part, start in enumerate(range(0, len(text), MANIFEST_CHUNK)):
            r += 1
            forms_ws.write_string(r, 0, form_id)
            forms_ws.write_string(r, 1, version)
            forms_ws.write_number(r, 2, part)
            forms_ws.write_string(r, 3, text[start : start + MANIFEST_CHUNK])
    forms_ws.hide()
    wb.close()


def _exact_numbers(ws) -> None:
    """Make the data sheet ``ws`` write numbers exactly, as the stream engine does (``repr``).
    xlsxwriter writes them at 16 significant digits (``%.16G``), so 0.30000000000000004 read
    back as 0.3 and the bundle failed its own data hash."""

    def number_element(number, attributes=()) -> None:
        attr = "".join(f' {k}="{ws._escape_attributes(v)}"' for k, v in attributes)
        text = repr(number) if type(number) is float else str(number)
        ws.fh.write(f"<c{attr}><v>{text}</v></c>")

    ws._xml_number_element = number_element


def _write_rows(ws, rows, task: TaskState) -> None:
    """The mature path: every cell through xlsxwriter with an explicit type."""
    write_string, write_number = ws.write_string, ws.write_number
    for r, values in enumerate(rows, start=1):
        for c, v in enumerate(values):
            if v is None or v == "":
                continue
            if type(v) is str:
                write_string(r, c, v)
            elif type(v) in (int, float):
                write_number(r, c, v)
            else:
                write_string(r, c, str(v))
        if r % 500 == 0:
            task.check()


GRID_VALUE_WIDTH = 14  # indicator columns of a 汇总 sheet: their headers wrap instead
GRID_FIT_WIDTH = 150  # total column width (characters) that still prints legibly one page wide


def _write_grid(wb, ws, g: SheetGrid, head, bold, title_fmt) -> None:
    ws.write_string(0, 0, g.title, title_fmt)
    for c, text in enumerate(g.header):
        ws.write_string(2, c, str(text), head)
    widths = [w if c < 3 else min(w, GRID_VALUE_WIDTH) for c, w in enumerate(g.widths)]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    longest = max((len(str(h)) / max(widths[c] if c < len(widths) else 10, 1)
                   for c, h in enumerate(g.header)), default=1)  # fmt: skip
    ws.set_row(2, 15 * min(4, max(1, math.ceil(longest * 1.8))))  # wrapped header lines
    for i, row in enumerate(g.rows):
        fmt = head if i in g.header_rows else bold if i in g.total_rows else None
        for c, v in enumerate(row):
            if v is None or v == "":
                continue
            if isinstance(v, str):
                ws.write_string(3 + i, c, v, fmt)
            else:
                ws.write_number(3 + i, c, v, fmt)
    ws.freeze_panes(3, 0)
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.7)
    ws.repeat_rows(0, 2)  # title and header on every printed page
    ws.set_footer("&C&P / &N")
    ncols = max(len(g.header), max((len(r) for r in g.rows), default=0), 1)
    last_row = 2 + len(g.rows)
    has_chart = bool(g.chart and g.chart["last"] >= g.chart["first"])
    if has_chart:
        last_row += 2 + 19  # the chart below the table (360 px ≈ 18 rows)
    ws.print_area(0, 0, last_row, max(ncols - 1, 7 if has_chart else 0))
    if sum(widths) <= GRID_FIT_WIDTH:
        ws.fit_to_pages(1, 0)
    else:  # at 100 %, across pages, with unit code, name and period repeated
        ws.repeat_columns(0, min(2, ncols - 1))
    if g.chart and g.chart["last"] >= g.chart["first"]:
        chart = wb.add_chart({"type": "column"})
        first, last = 3 + g.chart["first"], 3 + g.chart["last"]
        cat = g.chart["category_col"]
        for col in g.chart["value_cols"]:
            chart.add_series(
                {
                    "name": [ws.name, 2, col],
                    "categories": [ws.name, first, cat, last, cat],
                    "values": [ws.name, first, col, last, col],
                }
            )
        chart.set_title({"name": g.chart["title"]})
        chart.set_size({"width": 720, "height": 360})
        ws.insert_chart(3 + len(g.rows) + 2, 1, chart)


PRINT_FIT_MAX_COLUMNS = 16


def _fit_print_width(ws, visible_columns: int) -> None:
    """Narrow tables print one page wide; wider ones would shrink to an unreadable size, so they
    run over several pages with the identifying columns (unit, name, period) repeated."""
    if visible_columns <= PRINT_FIT_MAX_COLUMNS:
        ws.fit_to_pages(1, 0)
    else:
        ws.repeat_columns(0, 2)
