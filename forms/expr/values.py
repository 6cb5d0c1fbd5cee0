"""XPath 1.0 values as ODK applies them, and the conversions between them.

Runtime values are ``str``, ``float``, ``bool``, ``datetime.date``, ``datetime.datetime`` or a
:class:`NodeSet`. A node set holds the string values of form fields (or choice items, as dicts).
Like JavaRosa, a node set of exactly one node behaves as that node's value, and an empty node set
as the empty string; dates take part in arithmetic as days since 1970-01-01.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta, timezone

EPOCH = date(1970, 1, 1)
NAN = float("nan")
_NUMBER = re.compile(r"^\s*-?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*$")
_DATE = re.compile(r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})\s*$")
_DATETIME = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)
_TIME = re.compile(r"^\s*(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$")


class NodeSet(list):
    """Nodes selected by a path: field values (``str``) or choice items (``dict``)."""

    __slots__ = ()


def node_string(node: object) -> str:
    if isinstance(node, dict):
        return "".join(str(v) for v in node.values() if v is not None)
    return "" if node is None else str(node)


def num_to_str(value: float) -> str:
    """XPath ``string()`` of a number: no trailing ``.0``, ``NaN``, ``Infinity``."""
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value) and abs(value) < 1e18:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        text = f"{value:.20f}".rstrip("0").rstrip(".")
    return text


def to_str(value: object) -> str:
    """XPath ``string()``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        return num_to_str(float(value))
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, NodeSet):
        return node_string(value[0]) if value else ""
    return "" if value is None else str(value)


def parse_date(text: str) -> date | datetime | None:
    """An ISO date or date-time in ``text``, or None."""
    m = _DATE.match(text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    m = _DATETIME.match(text)
    if m:
        try:
            micro = int((m[7] or "0")[:6].ljust(6, "0"))
            tz = _parse_tz(m[8])
            return datetime(
                int(m[1]),
                int(m[2]),
                int(m[3]),
                int(m[4]),
                int(m[5]),
                int(m[6] or 0),
                micro,
                tzinfo=tz,
            )
        except ValueError:
            return None
    return None


def parse_time(text: str) -> time | None:
    m = _TIME.match(text)
    if not m:
        return None
    try:
        micro = int((m[4] or "0")[:6].ljust(6, "0"))
        return time(int(m[1]), int(m[2]), int(m[3] or 0), micro, tzinfo=_parse_tz(m[5]))
    except ValueError:
        return None


def _parse_tz(text: str | None) -> timezone | None:
    if not text:
        return None
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def format_datetime(value: datetime) -> str:
    text = value.isoformat(timespec="milliseconds")
    return text


def days(value: date | datetime) -> float:
    """Days since 1970-01-01 (fractional for date-times, in their own local time)."""
    if isinstance(value, datetime):
        base = datetime(1970, 1, 1, tzinfo=value.tzinfo)
        return (value - base).total_seconds() / 86400.0
    return float((value - EPOCH).days)


def to_num(value: object) -> float:
    """XPath ``number()``, extended like JavaRosa: ISO dates become days since 1970-01-01."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float | int):
        return float(value)
    if isinstance(value, NodeSet):
        value = to_str(value)
    if isinstance(value, str):
        if _NUMBER.match(value):
            return float(value)
        if value and value[0] in "0123456789" and "-" in value:
            parsed = parse_date(value)
            if parsed is not None:
                return days(parsed)
        return NAN
    if isinstance(value, date):
        return days(value)
    return NAN


def to_bool(value: object) -> bool:
    """XPath ``boolean()``; a single node counts by its value (JavaRosa)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float | int):
        return value == value and value != 0
    if isinstance(value, str):
        return value != ""
    if isinstance(value, NodeSet):
        if len(value) == 1:
            return node_string(value[0]) != ""
        return len(value) > 0
    return bool(isinstance(value, date))


def to_date(value: object) -> date | datetime | None:
    """A date from a date, date-time, ISO string or day number; None when there is none."""
    if isinstance(value, NodeSet):
        value = to_str(value)
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, float | int):
        if value != value or value in (math.inf, -math.inf):
            return None
        whole = math.floor(value)
        try:
            base = EPOCH + timedelta(days=int(whole))
            if whole == value:
                return base
            return datetime.combine(base, time()) + timedelta(days=value - whole)
        except (OverflowError, ValueError):
            # Beyond the years 1..9999 there is no date; ODK gives an empty value, never an error.
            return None
    if isinstance(value, str):
        if _NUMBER.match(value):
            return to_date(float(value))
        return parse_date(value)
    return None


def unpack(value: object) -> object:
    """A node set used as a single value: its first node's string, or '' when empty."""
    if isinstance(value, NodeSet):
        return node_string(value[0]) if value else ""
    return value


def equals(a: object, b: object) -> bool:
    """XPath ``=``: true if some node of a node set compares equal (XPath 1.0 §3.4).

    Single values compare as JavaRosa does: as booleans if either side is one, else as numbers
    if either side is one (equal within 1e-12), else as strings.
    """
    if isinstance(a, NodeSet):
        if len(a) > 1:
            return any(equals(node_string(n), b) for n in a)
        a = node_string(a[0]) if a else ""
    if isinstance(b, NodeSet):
        if len(b) > 1:
            return any(equals(a, node_string(n)) for n in b)
        b = node_string(b[0]) if b else ""
    if a.__class__ is str and b.__class__ is str:  # the common case: two answers
        return a == b
    return _equal(a, b)


def not_equals(a: object, b: object) -> bool:
    """XPath ``!=``: true if some node of a node set differs (not the negation of ``=``)."""
    if isinstance(a, NodeSet) and len(a) > 1:
        return any(not_equals(node_string(n), b) for n in a)
    if isinstance(b, NodeSet) and len(b) > 1:
        return any(not_equals(a, node_string(n)) for n in b)
    return not _equal(unpack(a), unpack(b))


def _equal(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return to_bool(a) == to_bool(b)
    if (
        isinstance(a, float | int)
        or isinstance(b, float | int)
        or (isinstance(a, date) and isinstance(b, date))
    ):
        x, y = to_num(a), to_num(b)
        return x == y or abs(x - y) < 1e-12
    return to_str(a) == to_str(b)


def compare(op: str, a: object, b: object) -> bool:
    """XPath ``< <= > >=``: both sides as numbers."""
    if isinstance(a, NodeSet) and len(a) > 1:
        return any(compare(op, node_string(n), b) for n in a)
    if isinstance(b, NodeSet) and len(b) > 1:
        return any(compare(op, a, node_string(n)) for n in b)
    x, y = to_num(unpack(a)), to_num(unpack(b))
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y
