"""Build small XLSForm workbooks in memory for the form engine tests."""

from __future__ import annotations

import io

from openpyxl import Workbook


def xlsx(
    survey: list[list[object]],
    choices: list[list[object]] | None = None,
    settings: list[list[object]] | None = None,
    **other: list[list[object]],
) -> bytes:
    """An .xlsx with the given sheets (first row of each is the header)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in survey:
        ws.append(row)
    for title, rows in (("choices", choices), ("settings", settings), *other.items()):
        if rows is None:
            continue
        sheet = wb.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def form(survey, choices=None, settings=None, **other):
    """A loaded Form from rows (raises FormError if unusable)."""
    from forms import load_form

    return load_form(xlsx(survey, choices, settings, **other), name="t")
