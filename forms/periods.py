"""Reporting periods: ``2026-10`` (month), ``2026-Q3`` (quarter), ``2026`` (year).

Periods are plain strings everywhere (database, bundles, CLI) so that they sort correctly as
text within one period type and read naturally in Excel.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from i18n import tr
from i18n.errors import UsageError

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


def period_type(period: str) -> str:
    """``month``, ``quarter`` or ``year``; :class:`UsageError` for anything else."""
    if _MONTH.match(period):
        return "month"
    if _QUARTER.match(period):
        return "quarter"
    if _YEAR.match(period):
        return "year"
    raise UsageError("period.bad", period=period, fix="period.fix")


def parse_period(period: str, expected_type: str | None = None) -> str:
    """Validate (and normalise case of) a period, optionally of a given type."""
    period = period.strip().upper().replace("q", "Q")
    kind = period_type(period)
    if expected_type and kind != expected_type:
        raise UsageError(
            "period.wrong_type", period=period, expected=tr(f"period.type.{expected_type}")
        )
    return period


def current_period(kind: str, today: date | None = None) -> str:
    """The period of ``kind`` that contains ``today``."""
    today = today or date.today()
    if kind == "month":
        return f"{today.year:04d}-{today.month:02d}"
    if kind == "quarter":
        return f"{today.year:04d}-Q{(today.month - 1) // 3 + 1}"
    return f"{today.year:04d}"


def previous_period(period: str) -> str:
    """The period just before ``period``, of the same type."""
    kind = period_type(period)
    year = int(period[:4])
    if kind == "month":
        month = int(period[5:7]) - 1
        return f"{year - 1:04d}-12" if month == 0 else f"{year:04d}-{month:02d}"
    if kind == "quarter":
        q = int(period[-1]) - 1
        return f"{year - 1:04d}-Q4" if q == 0 else f"{year:04d}-Q{q}"
    return f"{year - 1:04d}"


def reporting_period(
    kind: str, today: date | None = None, started: Callable[[str], bool] | None = None
) -> str:
    """The period a report is filled in for by default: the one that has just ended (November
    on 1 December, last year for an annual report), since a period is reported after it ends —
    unless ``started(current period)`` says that period's report is under way already."""
    current = current_period(kind, today)
    if started is not None and started(current):
        return current
    return previous_period(current)


def last_periods(kind: str, count: int, today: date | None = None) -> list[str]:
    """The ``count`` most recent periods of ``kind`` up to today's, oldest first."""
    out = [current_period(kind, today)]
    while len(out) < count:
        out.append(previous_period(out[-1]))
    return list(reversed(out))


def contains(outer: str, inner: str) -> bool:
    """Whether period ``inner`` lies within ``outer`` (a month in its quarter or year, ...)."""
    if outer == inner:
        return True
    ko, ki = period_type(outer), period_type(inner)
    if outer[:4] != inner[:4]:
        return False
    if ko == "year":
        return True
    if ko == "quarter" and ki == "month":
        return (int(inner[5:7]) - 1) // 3 + 1 == int(outer[-1])
    return False


def _sort_key(period: str) -> tuple[int, int]:
    """(year, position within the year) for comparing periods of one type."""
    kind = period_type(period)
    if kind == "month":
        return int(period[:4]), int(period[5:7])
    if kind == "quarter":
        return int(period[:4]), int(period[-1])
    return int(period), 0


def is_future(period: str, today: date | None = None) -> bool:
    """Whether ``period`` starts after today."""
    return _sort_key(period) > _sort_key(current_period(period_type(period), today))


def label(period: str, lang: str | None = None) -> str:
    """Human label: ``2026年10月`` / ``Oct 2026``, ``2026年第3季度`` / ``2026 Q3``, ``2026年``."""
    kind = period_type(period)
    if kind == "month":
        return tr("period.label.month", lang, year=int(period[:4]), month=int(period[5:7]))
    if kind == "quarter":
        return tr("period.label.quarter", lang, year=int(period[:4]), quarter=int(period[-1]))
    return tr("period.label.year", lang, year=int(period))


_DUE = re.compile(r"^\s*(?:(\d{1,2})\s*/\s*)?(\d{1,2})\s*$")


def parse_due(rule: str) -> tuple[int, int]:
    """A deadline rule (settings ``kexie::due``) as (months after the period, day): ``5`` is
    the 5th of the month after the period ends, ``2/15`` the 15th of the second month after.
    :class:`UsageError` for anything else (day 1–31, months 1–12)."""
    m = _DUE.match(str(rule or ""))
    if not m:
        raise UsageError("period.bad_due", rule=str(rule), fix="period.fix_due")
    months, day = int(m.group(1) or 1), int(m.group(2))
    if not (1 <= months <= 12 and 1 <= day <= 31):
        raise UsageError("period.bad_due", rule=str(rule), fix="period.fix_due")
    return months, day


def due_date(period: str, rule: str) -> date:
    """The last day a report for ``period`` is on time under ``rule`` (see :func:`parse_due`);
    a day beyond the month's end is its last day (``31`` in February → the 28th or 29th)."""
    import calendar

    months, day = parse_due(rule)
    kind = period_type(period)
    year = int(period[:4])
    if kind == "month":
        last = int(period[5:7])
    elif kind == "quarter":
        last = int(period[-1]) * 3
    else:
        last = 12
    index = year * 12 + (last - 1) + months
    y, m = divmod(index, 12)
    m += 1
    return date(y, m, min(day, calendar.monthrange(y, m)[1]))
