"""Whose rows a bundle may carry: checks on every row, run while a bundle is read.

A bundle speaks for its own unit and the units below it, and nothing else. While
``BundleReader.scan`` reads the rows, :class:`RowRules` checks each one and records a finding
(sheet and row named) for:

- a ``_unit``, or an entry of the manifest's ``contains``, outside the bundle's own unit
  (``bundle.check.unit_outside``) — decided by the code (a unit's code starts with the digits
  its ancestors' codes are made of, local units included: docs/bundle-format.md);
- a ``_uuid`` (or ``_parent_uuid``) that is not canonical lowercase UUID text
  (``bundle.check.bad_uuid``): case, brace and whitespace variants of one uuid would otherwise
  become separate records;
- a timestamp (``_created``, ``_modified``, the manifest's ``created``) later than the receiving
  clock plus one day (``bundle.check.future_time``): a wrong clock must never make a copy win
  every later merge;
- a report period that is not of its form's period type (``bundle.check.period_type``);
- two live reports with the same identity (form × unit × period × key), both rows named
  (``bundle.check.duplicate_report``).

All of them make the bundle invalid, so inspect, import and merge refuse it alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from exports.format import MANIFEST_SHEET, TOMBSTONE_TABLE
from exports.resolve import time_key
from forms import periods as P

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
TIME_COLUMNS = ("_created", "_modified")
SLACK = timedelta(days=1)
EXAMPLE = {"month": "2026-10", "quarter": "2026-Q3", "year": "2026"}  # a period of each type


def canonical_uuid(text: object) -> bool:
    """Whether ``text`` is a uuid as the app writes it (36 lowercase characters)."""
    return isinstance(text, str) and UUID_RE.match(text) is not None


def unit_prefix(code: str) -> str:
    """The digits every unit below ``code`` starts with (12-digit statistical codes)."""
    if len(code) != 12 or not code.isdigit():
        return code
    if code[2:] == "0" * 10:
        return code[:2]
    if code[4:] == "0" * 8:
        return code[:4]
    if code[6:] == "0" * 6:
        return code[:6]
    return code


def inside(code: object, ancestor: str) -> bool:
    """Whether unit ``code`` is ``ancestor`` or lies below it."""
    if not isinstance(code, str) or not code:
        return False
    if code == ancestor:
        return True
    return len(code) == 12 and code.isdigit() and code.startswith(unit_prefix(ancestor))


def clock_limit(now: datetime | None = None) -> str:
    """The latest acceptable timestamp (as :func:`exports.resolve.time_key`): now + 1 day."""
    now = now or datetime.now(UTC)
    return time_key((now + SLACK).isoformat())


class RowRules:
    """The checks of the module docstring for one bundle; ``add`` is ``BundleReader.add``."""

    def __init__(self, manifest: dict, add: Callable[..., None], now: datetime | None = None):
        self.add = add
        self.unit = str(manifest.get("unit") or "")
        self.limit = clock_limit(now)
        self.kinds = {f: (s or {}).get("period_type") for f, s in manifest["forms"].items()}
        self.keys = {
            f: list((s or {}).get("report_key") or []) for f, s in manifest["forms"].items()
        }
        self.reports: dict[tuple, tuple[str, int]] = {}
        created = manifest.get("created")
        if created and time_key(str(created)) > self.limit:
            add("bundle.check.future_time", sheet=MANIFEST_SHEET, field="created",
                value=str(created), fix="bundle.fix.check_clock")  # fmt: skip
        for code in manifest.get("contains") or []:
            if not inside(code, self.unit):
                add("bundle.check.unit_outside", sheet=MANIFEST_SHEET, field="contains",
                    unit=str(code), own=self.unit, fix="bundle.fix.resend")  # fmt: skip

    def row(self, table: str, form_id: str | None, repeat: bool, row: dict, sheet: str, r: int):
        """Check one row (``r`` its Excel row number)."""
        add = self.add
        for name in ("_uuid", "_parent_uuid") if repeat else ("_uuid",):
            v = row.get(name)
            if v is not None and not canonical_uuid(v):
                add("bundle.check.bad_uuid", sheet=sheet, row=r, field=name,
                    value=str(v)[:50], fix="bundle.fix.resend")  # fmt: skip
        if repeat:
            return
        unit = row.get("_unit")
        if not inside(unit, self.unit):
            add("bundle.check.unit_outside", sheet=sheet, row=r, field="_unit",
                unit=str(unit), own=self.unit, fix="bundle.fix.resend")  # fmt: skip
        day = self.limit[:10]
        for name in TIME_COLUMNS:
            v = row.get(name)
            # an ISO date before the limit's day is fine without parsing (the common case)
            if v and not (isinstance(v, str) and v[:10] < day and v[:1].isdigit()) \
                    and time_key(str(v)) > self.limit:  # fmt: skip
                add("bundle.check.future_time", sheet=sheet, row=r, field=name, value=str(v),
                    fix="bundle.fix.check_clock")  # fmt: skip
        if table == TOMBSTONE_TABLE:
            form_id = row.get("_form")
        period = row.get("_period")
        if not period or form_id is None:
            return
        kind = self.kinds.get(form_id)
        try:
            own = P.period_type(period)
        except Exception:  # malformed: the reader names it (bundle.check.bad_period)
            return
        if kind and own != kind:
            add("bundle.check.period_type", sheet=sheet, row=r, field="_period",
                period=str(period), example=EXAMPLE.get(kind, kind), fix="bundle.fix.resend")  # fmt: skip
        if table == TOMBSTONE_TABLE:
            return
        key = self.keys.get(form_id, [])
        ident = (form_id, unit, period, *(str(row.get(k)) for k in key))
        first = self.reports.get(ident)
        if first is None:
            self.reports[ident] = (sheet, r)
        else:
            add("bundle.check.duplicate_report", sheet=sheet, row=r, first=first[1],
                unit=str(unit), period=str(period), fix="bundle.fix.resend")  # fmt: skip
