"""Bulk data sheets written as XML text straight into the zip (the fast path).

xlsxwriter builds the workbook (styles, cover, roll-ups, charts, print settings, the header row
of each data sheet); its file is then copied entry by entry into the final zip, and the data rows
of the bulk sheets are streamed into their sheet's ``<sheetData>`` as inline strings. Measured on
2,000 × 100: about 4× faster than writing the same cells through xlsxwriter (see
docs/bundle-format.md). ``engine="xlsxwriter"`` keeps the mature path available.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from typing import BinaryIO

from exports.cells import xml_text

ROWS_PER_CHUNK = 200
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


def col_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _cells(values: Sequence, letters: list[str], r: int) -> str:
    parts = []
    append = parts.append
    for letter, v in zip(letters, values, strict=False):
        if v is None:
            continue
        t = type(v)
        if t is str:
            if not v:
                continue
            if v[0] in " \t\n" or v[-1] in " \t\n":
                append(
                    f'<c r="{letter}{r}" t="inlineStr"><is><t xml:space="preserve">'
                    f"{xml_text(v)}</t></is></c>"
                )
            else:
                append(f'<c r="{letter}{r}" t="inlineStr"><is><t>{xml_text(v)}</t></is></c>')
        elif t is int:
            append(f'<c r="{letter}{r}"><v>{v}</v></c>')
        elif t is float:
            append(f'<c r="{letter}{r}"><v>{v!r}</v></c>')
        else:  # bool or anything unexpected: as text, never lost
            append(f'<c r="{letter}{r}" t="inlineStr"><is><t>{xml_text(str(v))}</t></is></c>')
    return "".join(parts)


def rows_xml(rows: Iterable[Sequence], ncols: int, first_row: int = 2) -> Iterable[str]:
    """``<row>`` elements for ``rows`` (already normalised values), in chunks of text."""
    letters = [col_letter(i) for i in range(ncols)]
    buf: list[str] = []
    r = first_row
    for values in rows:
        buf.append(f'<row r="{r}">{_cells(values, letters, r)}</row>')
        r += 1
        if len(buf) >= ROWS_PER_CHUNK:
            yield "".join(buf)
            buf.clear()
    if buf:
        yield "".join(buf)


def splice(
    base_path: str,
    out: BinaryIO,
    fills: dict[str, tuple[int, int, Callable[[], Iterable[Sequence]]]],
    *,
    compresslevel: int = 1,
) -> None:
    """Copy the xlsxwriter workbook at ``base_path`` into ``out``, streaming data rows into the
    sheets named in ``fills``: ``{"xl/worksheets/sheet3.xml": (nrows, ncols, rows_factory)}``.
    Each such sheet must hold only its header row (row 1)."""
    with (
        zipfile.ZipFile(base_path) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            fill = fills.get(info.filename)
            if fill is None:
                dst.writestr(info.filename, data)
                continue
            nrows, ncols, factory = fill
            head, sep, tail = data.partition(b"</sheetData>")
            if not sep:  # xlsxwriter wrote <sheetData/>: no header either
                head, _, tail = data.partition(b"<sheetData/>")
                head += b"<sheetData>"
            if ncols:
                last = f"{col_letter(ncols - 1)}{nrows + 1}".encode()
                head = _DIMENSION.sub(b'<dimension ref="A1:' + last + b'"/>', head, count=1)
            zinfo = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            zinfo.compress_type = zipfile.ZIP_DEFLATED
            # The attribute is _compresslevel up to 3.12 and compress_level from 3.13.
            for attr in ("_compresslevel", "compress_level"):
                if hasattr(zinfo, attr):
                    setattr(zinfo, attr, compresslevel)
            with dst.open(zinfo, "w", force_zip64=True) as fh:
                fh.write(head)
                for chunk in rows_xml(factory(), ncols):
                    fh.write(chunk.encode("utf-8"))
                fh.write(b"</sheetData>")
                fh.write(tail)
