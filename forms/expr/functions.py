"""The ODK function library (tier 1 and the tier-2 functions that make sense offline).

Plain functions take already evaluated arguments. Functions that need the form (``jr:choice-name``,
``indexed-repeat``, ``position``, ``current``, ``instance``, ``once``) are compiled specially in
``forms.expr.compiler``.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import uuid as uuid_module
from datetime import date, datetime, timedelta
from functools import lru_cache

from forms.expr.values import (
    NAN,
    NodeSet,
    node_string,
    num_to_str,
    to_bool,
    to_date,
    to_num,
    to_str,
    unpack,
)


def _nodes(value: object) -> list[str]:
    if isinstance(value, NodeSet):
        return [node_string(n) for n in value]
    return [to_str(value)]


def _selected(value: object, choice: object) -> bool:
    return to_str(choice).strip() in to_str(value).split()


def _count_selected(value: object) -> float:
    return float(len(to_str(value).split()))


def _selected_at(value: object, index: object) -> str:
    items = to_str(value).split()
    i = to_num(index)
    if i != i or i < 0 or i >= len(items):
        return ""
    return items[int(i)]


def _concat(*args: object) -> str:
    return "".join("".join(_nodes(a)) if isinstance(a, NodeSet) else to_str(a) for a in args)


def _join(sep: object, *args: object) -> str:
    parts: list[str] = []
    for a in args:
        parts.extend(_nodes(a))
    return to_str(sep).join(parts)


@lru_cache(maxsize=512)
def _compile_regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _regex(value: object, pattern: object) -> bool:
    rx = _compile_regex(to_str(pattern))
    return bool(rx and rx.search(to_str(value)))


def _substr(value: object, start: object, end: object = None) -> str:
    text = to_str(value)
    s = to_num(start)
    if s != s:
        return ""
    s = max(0, int(s))
    if end is None:
        return text[s:]
    e = to_num(end)
    if e != e:
        return ""
    return text[s : int(e)]


def _substring(value: object, start: object, length: object = None) -> str:
    """XPath 1.0 substring(): 1-based, rounding positions."""
    text = to_str(value)
    s = to_num(start)
    first = _xround(s)
    last = math.inf if length is None else first + _xround(to_num(length))
    if first != first or last != last:
        return ""
    return "".join(ch for i, ch in enumerate(text, start=1) if first <= i < last)


def _xround(x: float) -> float:
    """XPath round(): half up (towards +∞)."""
    if x != x or x in (math.inf, -math.inf):
        return x
    return float(math.floor(x + 0.5))


def _round(value: object, digits: object = None) -> float:
    x = to_num(value)
    if digits is None:
        return _xround(x)
    d = to_num(digits)
    if d != d or x != x:
        return NAN
    factor = 10 ** int(d)
    return math.floor(x * factor + 0.5) / factor


def _int(value: object) -> float:
    x = to_num(value)
    if x != x or x in (math.inf, -math.inf):
        return x
    return float(math.trunc(x))


def _number(value: object) -> float:
    return to_num(unpack(value))


def _boolean_from_string(value: object) -> bool:
    return to_str(value).strip() in ("true", "1")


def _pow(a: object, b: object) -> float:
    try:
        return float(math.pow(to_num(a), to_num(b)))
    except (OverflowError, ValueError):
        return NAN


def _math1(fn):
    def wrapped(value: object) -> float:
        try:
            return float(fn(to_num(value)))
        except (OverflowError, ValueError):
            return NAN

    return wrapped


def _atan2(a: object, b: object) -> float:
    return math.atan2(to_num(a), to_num(b))


def _date(value: object) -> object:
    d = to_date(unpack(value))
    return d if d is not None else ""


def _decimal_date_time(value: object) -> float:
    d = to_date(unpack(value))
    if d is None:
        return NAN
    return to_num(d)


def _decimal_time(value: object) -> float:
    from forms.expr.values import parse_time

    t = parse_time(to_str(value))
    if t is None:
        return NAN
    return (t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6) / 86400.0


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _format_date(value: object, pattern: object) -> str:
    d = to_date(unpack(value))
    if d is None:
        return ""
    dt = d if isinstance(d, datetime) else datetime(d.year, d.month, d.day)
    fmt = to_str(pattern)
    out: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            code = fmt[i + 1]
            i += 2
            out.append(
                {
                    "Y": f"{dt.year:04d}",
                    "y": f"{dt.year % 100:02d}",
                    "m": f"{dt.month:02d}",
                    "n": str(dt.month),
                    "b": _MONTHS[dt.month - 1],
                    "d": f"{dt.day:02d}",
                    "e": str(dt.day),
                    "H": f"{dt.hour:02d}",
                    "h": str(dt.hour),
                    "M": f"{dt.minute:02d}",
                    "S": f"{dt.second:02d}",
                    "3": f"{dt.microsecond // 1000:03d}",
                    "a": _DAYS[dt.weekday()],
                }.get(code, code)
            )
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _coalesce(*args: object) -> object:
    for a in args:
        if to_str(a) != "":
            return unpack(a)
    return ""


def _count(value: object) -> float:
    return float(len(value)) if isinstance(value, NodeSet) else NAN


def _count_non_empty(value: object) -> float:
    return float(sum(1 for n in _nodes(value) if n != ""))


def _sum(value: object) -> float:
    return float(sum(to_num(n) for n in _nodes(value))) if isinstance(value, NodeSet) else NAN


def _nums(args: tuple[object, ...]) -> list[float]:
    out: list[float] = []
    for a in args:
        out.extend(to_num(n) for n in _nodes(a))
    return out


def _max(*args: object) -> float:
    nums = _nums(args)
    if not nums or any(n != n for n in nums):
        return NAN
    return max(nums)


def _min(*args: object) -> float:
    nums = _nums(args)
    if not nums or any(n != n for n in nums):
        return NAN
    return min(nums)


def _normalize_space(value: object) -> str:
    return " ".join(to_str(value).split())


def _translate(value: object, src: object, dst: object) -> str:
    s, a, b = to_str(value), to_str(src), to_str(dst)
    table: dict[int, int | None] = {}
    for i, ch in enumerate(a):
        if ord(ch) not in table:
            table[ord(ch)] = ord(b[i]) if i < len(b) else None
    return s.translate(table)


def _substring_before(value: object, sep: object) -> str:
    s, t = to_str(value), to_str(sep)
    i = s.find(t)
    return s[:i] if i >= 0 and t else ""


def _substring_after(value: object, sep: object) -> str:
    s, t = to_str(value), to_str(sep)
    i = s.find(t)
    return s[i + len(t) :] if i >= 0 else ""


def _digest(value: object, algorithm: object, encoding: object = "base64") -> str:
    name = to_str(algorithm).lower().replace("-", "")
    if name not in ("md5", "sha1", "sha256", "sha384", "sha512"):
        return ""
    raw = hashlib.new(name, to_str(value).encode("utf-8")).digest()
    return raw.hex() if to_str(encoding).lower() == "hex" else base64.b64encode(raw).decode()


def _checklist(minimum: object, maximum: object, *args: object) -> bool:
    n = sum(1 for a in args for v in _nodes(a) if to_bool(v))
    lo, hi = to_num(minimum), to_num(maximum)
    return (lo == -1 or n >= lo) and (hi == -1 or n <= hi)


def _uuid(*_args: object) -> str:
    return str(uuid_module.uuid4())


def _not_available(*_args: object) -> float:
    """``area``/``distance`` need geometry; offline they are not a number."""
    return NAN


# name -> (function, min args, max args or None for any)
FUNCTIONS: dict[str, tuple[object, int, int | None]] = {
    "selected": (_selected, 2, 2),
    "count-selected": (_count_selected, 1, 1),
    "selected-at": (_selected_at, 2, 2),
    "concat": (_concat, 0, None),
    "join": (_join, 1, None),
    "coalesce": (_coalesce, 2, None),
    "regex": (_regex, 2, 2),
    "contains": (lambda a, b: to_str(b) in to_str(a), 2, 2),
    "starts-with": (lambda a, b: to_str(a).startswith(to_str(b)), 2, 2),
    "ends-with": (lambda a, b: to_str(a).endswith(to_str(b)), 2, 2),
    "substr": (_substr, 2, 3),
    "substring": (_substring, 2, 3),
    "substring-before": (_substring_before, 2, 2),
    "substring-after": (_substring_after, 2, 2),
    "translate": (_translate, 3, 3),
    "string-length": (lambda a: float(len(to_str(a))), 1, 1),
    "normalize-space": (_normalize_space, 1, 1),
    "string": (lambda a: to_str(a), 1, 1),
    "number": (_number, 1, 1),
    "int": (_int, 1, 1),
    "round": (_round, 1, 2),
    "floor": (
        lambda a: float(math.floor(x)) if (x := to_num(a)) == x and abs(x) != math.inf else x,
        1,
        1,
    ),
    "ceiling": (
        lambda a: float(math.ceil(x)) if (x := to_num(a)) == x and abs(x) != math.inf else x,
        1,
        1,
    ),
    "abs": (lambda a: abs(to_num(a)), 1, 1),
    "pow": (_pow, 2, 2),
    "sqrt": (_math1(math.sqrt), 1, 1),
    "exp": (_math1(math.exp), 1, 1),
    "exp10": (_math1(lambda x: 10**x), 1, 1),
    "log": (_math1(math.log), 1, 1),
    "log10": (_math1(math.log10), 1, 1),
    "sin": (_math1(math.sin), 1, 1),
    "cos": (_math1(math.cos), 1, 1),
    "tan": (_math1(math.tan), 1, 1),
    "asin": (_math1(math.asin), 1, 1),
    "acos": (_math1(math.acos), 1, 1),
    "atan": (_math1(math.atan), 1, 1),
    "atan2": (_atan2, 2, 2),
    "pi": (lambda: math.pi, 0, 0),
    "date": (_date, 1, 1),
    "date-time": (_date, 1, 1),
    "decimal-date-time": (_decimal_date_time, 1, 1),
    "decimal-time": (_decimal_time, 1, 1),
    "format-date": (_format_date, 2, 2),
    "format-date-time": (_format_date, 2, 2),
    "true": (lambda: True, 0, 0),
    "false": (lambda: False, 0, 0),
    "boolean": (lambda a: to_bool(a), 1, 1),
    "boolean-from-string": (_boolean_from_string, 1, 1),
    "not": (lambda a: not to_bool(a), 1, 1),
    "uuid": (_uuid, 0, 1),
    "count": (_count, 1, 1),
    "count-non-empty": (_count_non_empty, 1, 1),
    "sum": (_sum, 1, 1),
    "max": (_max, 1, None),
    "min": (_min, 1, None),
    "digest": (_digest, 2, 3),
    "checklist": (_checklist, 2, None),
    "area": (_not_available, 1, 1),
    "distance": (_not_available, 1, None),
}

# Evaluated lazily by the compiler (short-circuit) or needing the form.
SPECIAL = {
    "if": (3, 3),
    "once": (1, 1),
    "position": (0, 1),
    "current": (0, 0),
    "instance": (1, 1),
    "jr:choice-name": (2, 2),
    "indexed-repeat": (3, None),
    "today": (0, 0),
    "now": (0, 0),
    "randomize": (1, 2),
    "pulldata": (4, 4),
    "last": (0, 0),
}

# Tier 2 that cannot work offline: accepted with a warning, evaluating to "" / NaN.
DEGRADED = {"pulldata", "area", "distance", "randomize"}

# Tier 3: vendor extensions, recognised and refused (the expression is not evaluated).
VENDOR = {
    "difference-in-months",
    "add-date",
    "parse-timestamp-to-date",
    "to-bikram-sambat",
    "z-score",
    "cht:difference-in-days",
    "cht:difference-in-weeks",
    "cht:difference-in-months",
    "cht:difference-in-years",
    "cht:extension-lib",
    "cht:strip-diacritics",
    "cht:validate-luhn",
    "jr:itext",
    "extension",
    "search",
    "geofence",
    "intersect",
    "dhis2",
}

ALL_NAMES = set(FUNCTIONS) | set(SPECIAL)


def today_date(now: datetime | None = None) -> date:
    return (now or datetime.now()).date()


__all__ = ["ALL_NAMES", "DEGRADED", "FUNCTIONS", "SPECIAL", "VENDOR", "num_to_str", "timedelta"]
