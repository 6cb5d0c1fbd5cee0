"""The floors and the reference tools our bundle code is measured against.

Writing a sheet of ``header`` + ``rows`` (lists of Python values):

- :func:`write_deflate_only`: the sheet XML is built beforehand; only the zip/deflate is timed.
- :func:`write_python_xml`: build the sheet XML as text in Python, then deflate (a valid .xlsx).
- :func:`write_openpyxl`: openpyxl ``write_only`` (the reference, 1.00 in performance.md).
- :func:`write_xlsxwriter`: xlsxwriter ``constant_memory``.

Reading every sheet of a workbook: :func:`read_inflate_only`, :func:`read_calamine`,
:func:`read_openpyxl`.

The provincial merge as a clerk writes it with pandas: :func:`pandas_merge` (``read_excel``
every sheet of every bundle, ``concat``, ``to_excel`` with openpyxl). It holds everything in
memory, which is the point of measuring it.
"""

from __future__ import annotations

import random
import zipfile
from collections import defaultdict
from pathlib import Path
from xml.sax.saxutils import escape

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


def _column_letters(n: int) -> list[str]:
    out = []
    for i in range(n):
        name, k = "", i + 1
        while k:
            k, rem = divmod(k - 1, 26)
            name = chr(65 + rem) + name
        out.append(name)
    return out


def sheet_xml(header: list[str], rows: list[list]) -> str:
    """The worksheet XML of ``header`` + ``rows`` (numbers as numbers, the rest inline text)."""
    letters = _column_letters(max([len(header)] + [len(r) for r in rows[:1]]))
    parts = [_SHEET_HEAD]
    append = parts.append
    for r, row in enumerate([header, *rows], 1):
        append(f'<row r="{r}">')
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            ref = f"{letters[c]}{r}"
            if isinstance(value, bool):
                append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | float):
                append(f'<c r="{ref}"><v>{value!r}</v></c>')
            else:
                append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
        append("</row>")
    append(_SHEET_TAIL)
    return "".join(parts)


def _zip_sheet(out: Path, sheet: bytes) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)


def write_deflate_only(sheet: bytes, out: Path) -> None:
    """Zip an already built sheet (build it with :func:`sheet_xml`): the deflate floor."""
    _zip_sheet(out, sheet)


def write_python_xml(header: list[str], rows: list[list], out: Path) -> None:
    """Build the sheet XML as text in Python and deflate it: the pure-Python floor."""
    _zip_sheet(out, sheet_xml(header, rows).encode("utf-8"))


def write_openpyxl(header: list[str], rows: list[list], out: Path) -> None:
    """openpyxl ``write_only`` (lxml installed): the reference writer."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("data")
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(out)


def write_xlsxwriter(header: list[str], rows: list[list], out: Path) -> None:
    """xlsxwriter in ``constant_memory`` mode."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_formulas": False})
    ws = wb.add_worksheet("data")
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, 1):
        ws.write_row(r, 0, row)
    wb.close()


def read_inflate_only(path: Path) -> int:
    """Inflate every member of the zip: the read floor. Returns bytes inflated."""
    total = 0
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            total += len(zf.read(name))
    return total


def read_calamine(path: Path) -> int:
    """python-calamine: every sheet to Python values. Returns the number of cells."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    cells = 0
    for name in wb.sheet_names:
        for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False):
            cells += len(row)
    return cells


def read_openpyxl(path: Path) -> int:
    """openpyxl ``read_only``, ``values_only``: every sheet. Returns the number of cells."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    cells = 0
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells += len(row)
    finally:
        wb.close()
    return cells


def largest_sheet(path: Path) -> tuple[str, list[str], list[list]]:
    """The biggest sheet of a workbook (name, header, rows), read with calamine.

    The floors write exactly these cells, so they are compared with our export on the same data.
    Empty cells come back from calamine as "" and whole numbers as floats; the floors get
    None and ints so that they write what the export writes.
    """
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    best: tuple[str, list[list]] = ("", [])
    for name in wb.sheet_names:
        data = wb.get_sheet_by_name(name).to_python()
        if sum(len(r) for r in data) > sum(len(r) for r in best[1]):
            best = (name, data)
    name, data = best
    if not data:
        return name, [], []
    header = [str(h) for h in data[0]]
    rows = [[_tidy(v) for v in row] for row in data[1:]]
    return name, header, rows


def _tidy(value: object) -> object:
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def synthetic_table(rows: int = 2000, columns: int = 100, seed: int = 7) -> tuple[list, list]:
    """A mixed table like a survey export (ints, decimals, short codes, Chinese text, dates, blanks).

    Used when no exported bundle is at hand (smoke tests; floors before exports lands).
    """
    rnd = random.Random(seed)
    words = ["是", "否", "本科", "硕士研究生", "工程技术人员", "N/A", "null", "乡镇科协", "其他"]
    header = [f"q{c:03d}" for c in range(columns)]
    table = []
    for r in range(rows):
        row: list[object] = []
        for c in range(columns):
            kind = c % 6
            if rnd.random() < 0.08:
                row.append(None)
            elif kind == 0:
                row.append(rnd.randint(0, 500))
            elif kind == 1:
                row.append(round(rnd.uniform(0, 1000), 2))
            elif kind == 2:
                row.append(rnd.choice(words))
            elif kind == 3:
                row.append(f"2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}")
            elif kind == 4:
                row.append(f"{rnd.choice(words)}，备注{r}-{c}")
            else:
                row.append(f"{r:08x}-{c:04x}")
        table.append(row)
    return header, table


def pandas_merge(paths: list[str], out: str) -> dict:
    """The provincial merge as a clerk writes it: read_excel all sheets → concat → to_excel.

    pandas' defaults are kept on purpose (openpyxl engine, ``na_values`` on), because that is
    the code people write; the ``blank_text_cells`` count shows the data it silently loses
    (answers such as "N/A", "NA", "null" read as missing).
    """
    import pandas as pd

    frames: dict[str, list] = defaultdict(list)
    for path in paths:
        for name, df in pd.read_excel(path, sheet_name=None).items():
            frames[name].append(df)
    rows = 0
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for name, dfs in frames.items():
            merged = pd.concat(dfs, ignore_index=True)
            rows += len(merged)
            merged.to_excel(writer, sheet_name=name[:31], index=False)
    return {"rows": rows, "sheets": len(frames)}


def count_na_text(paths: list[str]) -> int:
    """How many text cells read "N/A", "NA", "null", ... — what pandas' defaults turn into blanks."""
    from python_calamine import CalamineWorkbook

    na = {
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    }
    na.discard("")
    lost = 0
    for path in paths:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            for row in wb.get_sheet_by_name(name).to_python():
                lost += sum(1 for v in row if isinstance(v, str) and v in na)
    return lost
