"""Read the cells of an XLSForm workbook (.xlsx or legacy .xls, sniffed by content).

Returns every sheet as a list of rows of strings, quickly: python-calamine for .xlsx (openpyxl
read-only as a fallback), xlrd for .xls. Cell formatting is dropped; numbers that are whole come out
without ``.0``; dates as ISO text; booleans as ``true``/``false``.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time

from i18n.errors import FormError, Location

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def cell_text(value: object) -> str:
    """One cell as the text an author typed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def sniff(data: bytes) -> str:
    """``xlsx``, ``xls`` or ``""`` from the first bytes."""
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        return "xls"
    return ""


def read_sheets(data: bytes, file: str | None = None) -> dict[str, list[list[str]]]:
    """Every sheet, by its name as written, as rows of cell texts."""
    kind = sniff(data)
    where = Location(file=file)
    if not kind:
        raise FormError("forms.load.not_workbook", location=where, fix="forms.fix.save_as_xlsx")
    try:
        if kind == "xls":
            return _read_xls(data)
        try:
            return _read_calamine(data)
        except Exception:
            return _read_openpyxl(data)
    except FormError:
        raise
    except Exception as exc:
        raise FormError(
            "forms.load.unreadable",
            location=where,
            detail=str(exc)[:200],
            fix="forms.fix.save_as_xlsx",
        ) from exc


def _read_calamine(data: bytes) -> dict[str, list[list[str]]]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheets: dict[str, list[list[str]]] = {}
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        sheets[name] = [[cell_text(c) for c in row] for row in rows]
    return sheets


def _read_openpyxl(data: bytes) -> dict[str, list[list[str]]]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return {
            ws.title: [[cell_text(c) for c in row] for row in ws.iter_rows(values_only=True)]
            for ws in wb.worksheets
        }
    finally:
        wb.close()


def _read_xls(data: bytes) -> dict[str, list[list[str]]]:
    import xlrd

    book = xlrd.open_workbook(file_contents=data)
    sheets: dict[str, list[list[str]]] = {}
    for sheet in book.sheets():
        rows: list[list[str]] = []
        for r in range(sheet.nrows):
            row: list[str] = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        value: object = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
                    except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                        value = cell.value
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    value = bool(cell.value)
                else:
                    value = cell.value
                row.append(cell_text(value))
            rows.append(row)
        sheets[sheet.name] = rows
    return sheets
