"""Cell values in and out of a bundle: exact, reversible, never a formula.

Writing: text is always an inline string (never a formula, whatever it starts with); characters
XML cannot carry (control characters, CR, U+FFFE/U+FFFF) are escaped as ``_xHHHH_``, and a literal
``_xHHHH_`` in the text is protected as ``_x005F_xHHHH_`` — the escaping Excel itself uses, which
Excel, LibreOffice and calamine all undo on reading. Integers beyond 2**53 are written as text so
no digit is lost. Empty (``None``) writes no cell at all, so empty and zero stay distinct.

Reading: calamine gives floats for every number and "" for empty cells; :func:`convert` turns a
cell back into the Python value the form model prescribes for the column's kind.
"""

from __future__ import annotations

import math
import re
from datetime import date, time, timedelta

from exports.format import FLOAT, INT, MAX_CELL_CHARS

NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_XML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SAFE_INT = 2**53


def _escape_match(m: re.Match) -> str:
    s = m.group(0)
    if len(s) > 1:
        return "_x005F_" + s[1:]
    return _XML_ESCAPES.get(s) or f"_x{ord(s):04X}_"


def xml_text(value: str) -> str:
    """``value`` ready for an XML text node in a cell (reversible, see module docstring)."""
    if NEEDS_ESCAPE.search(value) is None:
        return value
    return NEEDS_ESCAPE.sub(_escape_match, value)


def excel_length(value: str) -> int:
    """Length as Excel counts it (UTF-16 code units)."""
    if value.isascii():
        return len(value)
    return len(value.encode("utf-16-le")) // 2


def too_long(value: str) -> bool:
    """Whether ``value`` exceeds Excel's 32,767 characters per cell."""
    return len(value) > MAX_CELL_CHARS // 2 and excel_length(value) > MAX_CELL_CHARS


def needs_text(value: int) -> bool:
    """Integers Excel cannot hold exactly travel as text."""
    return not -_SAFE_INT < value < _SAFE_INT


class CellError(ValueError):
    """A cell cannot be converted to its column's kind; ``code`` is the catalogue key."""

    def __init__(self, code: str, value: object) -> None:
        super().__init__(code)
        self.code = code
        self.value = value


def convert(kind: str, value: object) -> object:
    """A cell as read by calamine → the Python value for a column of ``kind``."""
    if value == "" or value is None:
        return None
    if isinstance(value, bool):  # a TRUE/FALSE cell: never a number or a text
        raise CellError("bundle.cell.boolean", value)
    if isinstance(value, date | time | timedelta):  # a date cell (Excel retyped it)
        raise CellError("bundle.cell.date_value", value)
    if kind == INT:
        if isinstance(value, float):
            if value.is_integer():
                return int(value)
            raise CellError("bundle.cell.not_integer", value)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise CellError("bundle.cell.not_integer", value)
    if kind == FLOAT:
        if isinstance(value, int | float):
            value = float(value)
            if not math.isfinite(value):
                raise CellError("bundle.cell.not_number", value)
            return value
        raise CellError("bundle.cell.not_number", value)
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        raise CellError("bundle.cell.not_text", value)
    raise CellError("bundle.cell.not_text", value)
