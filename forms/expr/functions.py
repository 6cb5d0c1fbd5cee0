"""The ODK function library (tier 1 and the tier-2 functions that make sense offline).

Plain functions take already evaluated arguments. Functions that need the form (``jr:choice-name``,
``indexed-repeat``, ``position``, ``current``, ``instance``, ``once``) are compiled specially in
``forms.expr.compiler``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import random as random_module
import re
import secrets
import uuid as uuid_module
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from itertools import pairwise

from forms.expr.values import (
    NAN,
    NodeSet,
    node_string,
    num_to_str,
    parse_time,
    to_bool,
    to_date,
    to_num,
    to_str,
    unpack,
)

_RNG = random_module.SystemRandom()
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_NUMBER_TEXT = re.compile(r"^\s*-?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*$")


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


def _java_int(x: float) -> int:
    """Java's ``(int)`` of a double: truncation, NaN → 0, saturating at ±2³¹."""
    if x != x:
        return 0
    if x >= 2**31 - 1:
        return 2**31 - 1
    if x <= -(2**31):
        return -(2**31)
    return int(x)


def _substr(value: object, start: object, end: object = None) -> str:
    """0-based ``substr``; a negative start or end counts from the end (JavaRosa)."""
    text = to_str(value)
    n = len(text)
    s = _java_int(to_num(start))
    e = n if end is None else _java_int(to_num(end))
    if s < 0:
        s = n + s
    if e < 0:
        e = n + e
    s = min(max(0, s), n)
    e = min(max(0, e), n)
    return text[s:e] if s <= e else ""


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
    """``round(x, digits?)`` as JavaRosa: on the decimal text of ``x`` (so 2.675 → 2.68), half
    towards +∞ (2.5 → 3, -2.5 → -2); beyond ±30 digits NaN."""
    x = to_num(value)
    if x != x or x in (math.inf, -math.inf):
        return x
    d = 0 if digits is None else _java_int(to_num(digits))
    if d > 30 or d < -30:
        return NAN
    if d >= 0:
        mode = ROUND_HALF_DOWN if x < 0 else ROUND_HALF_UP
        try:
            return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-d), rounding=mode))
        except (InvalidOperation, ValueError):
            return NAN
    scaled = x * 10.0**d
    whole = math.trunc(scaled + 0.5)
    return float(Decimal(whole).scaleb(-d))


def _int(value: object) -> float:
    x = to_num(value)
    if x != x or x in (math.inf, -math.inf):
        return x
    return float(math.trunc(x))


def _number(value: object) -> float:
    return to_num(unpack(value))


def _boolean_from_string(value: object) -> bool:
    text = to_str(value)
    return text.lower() == "true" or text == "1"


def _pow(a: object, b: object) -> float:
    """Java ``Math.pow``: overflow is ±Infinity, 0 to a negative power Infinity."""
    x, y = to_num(a), to_num(b)
    try:
        return float(math.pow(x, y))
    except OverflowError:
        odd = y == int(y) and int(y) % 2 == 1 if abs(y) != math.inf else False
        return -math.inf if x < 0 and odd else math.inf
    except (ValueError, ZeroDivisionError):
        if x == 0 and y < 0:
            odd = y == int(y) and int(y) % 2 == 1
            return math.copysign(math.inf, x) if odd else math.inf
        return NAN


def _math1(fn, at_zero: float | None = None):
    """A one-argument math function with Java's results: overflow ±Infinity, outside the
    domain NaN, and ``at_zero`` where Java has a limit (log(0) = -Infinity)."""

    def wrapped(value: object) -> float:
        x = to_num(value)
        if at_zero is not None and x == 0:
            return at_zero
        try:
            return float(fn(x))
        except OverflowError:
            return math.inf
        except ValueError:
            return NAN

    return wrapped


def _atan2(a: object, b: object) -> float:
    return math.atan2(to_num(a), to_num(b))


def _date(value: object) -> object:
    d = to_date(unpack(value))
    return d if d is not None else ""


def decimal_date_time(value: object, zone: tzinfo) -> object:
    """Days since 1970-01-01T00:00Z of an instant (JavaRosa): a date-time with an offset is
    that instant; one without, and a date, are read in the device's time zone ``zone``. A
    number is already a day count; an empty value stays empty."""
    value = unpack(value)
    if isinstance(value, bool):
        return NAN
    if isinstance(value, float | int):
        return float(value) if value == value and abs(value) <= 2**31 - 1 else NAN
    if isinstance(value, str):
        if value == "":
            return ""
        if _NUMBER_TEXT.match(value):
            return float(value)
    d = to_date(value)
    if d is None:
        return NAN
    if not isinstance(d, datetime):
        d = datetime(d.year, d.month, d.day)
    if d.tzinfo is None:
        d = d.replace(tzinfo=zone)
    try:
        return (d - _EPOCH_UTC).total_seconds() / 86400.0
    except (OverflowError, ValueError):
        return NAN


def decimal_time(value: object, zone: tzinfo) -> object:
    """The fraction of the device's local day (``zone``) of a time or date-time (JavaRosa):
    ``12:00:00.000+02:00`` on a device at +08:00 is 18:00 there, 0.75."""
    value = unpack(value)
    if isinstance(value, bool):
        return NAN
    if isinstance(value, float | int):
        if value != value or abs(value) > 2**31 - 1:
            return NAN
        return float(value) - math.floor(value)
    text = to_str(value)
    if text == "":
        return ""
    if _NUMBER_TEXT.match(text):
        x = float(text)
        return x - math.floor(x)
    t = parse_time(text)
    if t is not None:
        moment = datetime.combine(date(1970, 1, 1), t.replace(tzinfo=None), tzinfo=t.tzinfo)
    else:
        d = to_date(text)
        if d is None:
            return NAN
        moment = d if isinstance(d, datetime) else datetime(d.year, d.month, d.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        local = moment.astimezone(zone)
    except (OverflowError, ValueError):  # the first or last day of the calendar
        return NAN
    seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return seconds / 86400.0


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


def _factor(value: object) -> bool:
    """One checklist factor: a boolean as itself, a number non-zero, a node's value as a number
    if it is one (JavaRosa reads integer and decimal nodes as numbers), else non-empty."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float | int):
        return value == value and value != 0
    text = to_str(value)
    if _NUMBER_TEXT.match(text):
        return float(text) != 0
    return text != ""


def _factors(args: tuple[object, ...]) -> list[object]:
    """``checklist(min, max, ${repeated})`` counts every node; otherwise one value per
    argument (a node set stands for its first node), as JavaRosa does."""
    if len(args) == 1 and isinstance(args[0], NodeSet):
        return [node_string(n) for n in args[0]]
    return [unpack(a) for a in args]


def _checklist(minimum: object, maximum: object, *args: object) -> bool:
    n = sum(1 for v in _factors(args) if _factor(v))
    lo, hi = _java_int(to_num(minimum)), _java_int(to_num(maximum))
    return (lo < 0 or n >= lo) and (hi < 0 or n <= hi)


def _weighted_checklist(minimum: object, maximum: object, *pairs: object) -> bool:
    """Sum the weights of the true factors (``v1, w1, v2, w2, …``, or two node sets of equal
    length); true if min ≤ sum ≤ max (no -1 shortcut here)."""
    if len(pairs) == 2 and isinstance(pairs[0], NodeSet) and isinstance(pairs[1], NodeSet):
        flags: list[object] = [node_string(n) for n in pairs[0]]
        weights: list[object] = [node_string(n) for n in pairs[1]]
        if len(flags) != len(weights):
            return False
    else:
        flags = [unpack(v) for v in pairs[0::2]]
        weights = [unpack(w) for w in pairs[1::2]]
    total = 0.0
    for flag, weight in zip(flags, weights, strict=False):
        if _factor(flag):
            total += to_num(weight)
    return to_num(minimum) <= total <= to_num(maximum)


_GUID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _uuid(length: object = None) -> str:
    """A random RFC 4122 v4 UUID; ``uuid(n)`` a random string of ``n`` letters and digits."""
    if length is None:
        return str(uuid_module.uuid4())
    n = _java_int(to_num(length))
    n = max(0, min(n, 10000))
    return "".join(secrets.choice(_GUID_CHARS) for _ in range(n))


def _random() -> float:
    return _RNG.random()


def _base64_decode(value: object) -> str:
    try:
        return base64.b64decode(to_str(value), validate=False).decode("utf-8", errors="replace")
    except (ValueError, binascii.Error):
        return ""


# -- geography (JavaRosa GeoUtils: the Earth's equatorial radius, no altitude) -----------------
EARTH_RADIUS_M = 6_378_100.0
_EARTH_CIRCUMFERENCE_M = 2 * EARTH_RADIUS_M * math.pi


def _points(value: object) -> list[tuple[float, float]] | None:
    """(latitude, longitude) pairs of a geoshape/geotrace value or of several geopoint nodes;
    None when a value is not coordinates."""
    if isinstance(value, NodeSet) and len(value) > 1:
        texts = [node_string(n) for n in value]
    else:
        text = to_str(value).strip()
        if text == "":
            return []
        texts = [part for part in text.split(";") if part.strip()]
    out: list[tuple[float, float]] = []
    for text in texts:
        parts = text.split()
        if len(parts) < 2:
            return None
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        out.append((lat, lon))
    return out


def _area(value: object) -> float:
    """Area in m² of a geoshape (or of geopoint nodes), as ODK Collect computes it."""
    points = _points(value)
    if points is None:
        return NAN
    if len(points) < 3:
        return 0.0
    lat0, lon0 = points[0]
    ys = [(lat - lat0) * _EARTH_CIRCUMFERENCE_M / 360.0 for lat, _ in points[1:]]
    xs = [
        (lon - lon0) * _EARTH_CIRCUMFERENCE_M * math.cos(math.radians(lat)) / 360.0
        for lat, lon in points[1:]
    ]
    total = sum((ys[i - 1] * xs[i] - xs[i - 1] * ys[i]) / 2 for i in range(1, len(xs)))
    return abs(total)


def _distance(value: object) -> float:
    """Length in m of a geotrace/geoshape (or of geopoint nodes in order), spherical law of
    cosines as ODK Collect (clamped, so two equal points are 0 m rather than NaN)."""
    points = _points(value)
    if points is None:
        return NAN
    total = 0.0
    for (lat1, lon1), (lat2, lon2) in pairwise(points):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        cos_d = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(
            math.radians(lon1 - lon2)
        )
        total += math.acos(max(-1.0, min(1.0, cos_d))) * EARTH_RADIUS_M
    return total


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
    "normalize-space": (_normalize_space, 1, 1),  # no argument: compiled with the context
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
    "exp10": (_math1(lambda x: math.pow(10.0, x)), 1, 1),
    "log": (_math1(math.log, -math.inf), 1, 1),
    "log10": (_math1(math.log10, -math.inf), 1, 1),
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
    "format-date": (_format_date, 2, 2),
    "format-date-time": (_format_date, 2, 2),
    "true": (lambda: True, 0, 0),
    "false": (lambda: False, 0, 0),
    "boolean": (lambda a: to_bool(a), 1, 1),
    "boolean-from-string": (_boolean_from_string, 1, 1),
    "not": (lambda a: not to_bool(a), 1, 1),
    "uuid": (_uuid, 0, 1),
    "random": (_random, 0, 0),
    "base64-decode": (_base64_decode, 1, 1),
    "is-selected": (_selected, 2, 2),
    "count": (_count, 1, 1),
    "count-non-empty": (_count_non_empty, 1, 1),
    "sum": (_sum, 1, 1),
    "max": (_max, 1, None),
    "min": (_min, 1, None),
    "digest": (_digest, 2, 3),
    "checklist": (_checklist, 2, None),
    "weighted-checklist": (_weighted_checklist, 2, None),
    "area": (_area, 1, 1),
    "enclosed-area": (_area, 1, 1),
    "distance": (_distance, 1, 1),
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
    "decimal-date-time": (1, 1),  # the device's time zone comes from the context
    "decimal-time": (1, 1),
    "normalize-space": (0, 1),  # without an argument: the context node
    "string-length": (0, 1),
    "kexie:previous": (1, 1),  # the same unit's previous-period value (docs/forms.md)
}

# Tier 2 that cannot work offline: accepted with a warning, evaluating to "" / NaN.
DEGRADED = {"pulldata", "randomize"}

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
