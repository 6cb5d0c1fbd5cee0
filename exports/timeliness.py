"""Deadlines and timeliness (按时上报), from the dates recorded on the way up.

A report form may state when each period is due (settings ``kexie::due``, see
``forms.periods.parse_due``: ``5`` = the 5th of the month after the period). A report is on
time when it was first submitted on or before that day, in China Standard Time (UTC+8).

When was it submitted: the ``_modified`` of the version that was sent — or, when it has been
returned for correction (``_returns``), the ``version_modified`` of the first returned version,
so a correction made later does not make an on-time report late. A unit with several reports
for one period (a report key) submitted when its last one arrived. A report of a unit further
down (a township's, at the city) counts for the direct subordinate it came through (the county)
from when that subordinate's bundle was first imported here (the import log), if later.

Per unit and period the state is data / nil / returned / missing (``exports.rollup``) and the
timeliness ``on_time`` / ``late`` (past the deadline, or still missing after it) / ``pending``
(missing, not yet due) / None (the form states no deadline). Rates per unit (考核) count the
periods that are due or reported: reported (data or nil) and on time, each over those.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from forms import periods as P
from kexie import lifecycle

CST = timedelta(hours=8)
ON_TIME, LATE, PENDING = "on_time", "late", "pending"


def submitted_at(row: dict) -> str | None:
    """The UTC time a report was first submitted (see the module docstring)."""
    from exports.returns import history

    events = history(row.get("_returns"))
    times: list[str] = [e["version_modified"] for e in events[:1] if e.get("version_modified")]
    if row.get("_modified"):
        times.append(row["_modified"])
    first = min(times) if times else None
    arrived = row.get("_arrived")
    return max(first, arrived) if first and arrived else first or arrived


def arrivals(store) -> dict[str, str]:
    """Bundle sha256 → when it was first imported here (the import log), for the reports
    that came through a lower level's bundle."""
    try:
        rows = store.db.execute(
            "SELECT bundle_sha256, min(at) FROM _transfers WHERE kind = 'import'"
            " AND outcome = 'accepted' AND bundle_sha256 IS NOT NULL GROUP BY bundle_sha256"
        ).fetchall()
    except Exception:  # an installation without an import log
        return {}
    return {sha: at for sha, at in rows}


def arrived_row(row: dict, group_unit: str, arrived: dict[str, str]) -> dict:
    """``row`` as the unit ``group_unit`` submitted it here: a report of a unit below that
    subordinate counts from when the subordinate's bundle arrived (``_arrived``)."""
    if row.get("_unit") == group_unit:
        return row
    at = arrived.get(row.get("_source") or "")
    return {**row, "_arrived": at} if at else row


def local_day(iso: str) -> date | None:
    """The China Standard Time day of a UTC ISO 8601 time."""
    try:
        t = datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except (ValueError, TypeError):
        return None
    return (t + CST).date()


def today_cst(today: date | None = None) -> date:
    return today or (datetime.now(UTC) + CST).date()


def due_of(rule: str | None, period: str) -> date | None:
    if not rule:
        return None
    try:
        return P.due_date(period, rule)
    except Exception:  # a bad rule was refused when the form was loaded; be lenient here
        return None


def judge(state: str, submitted: str | None, due: date | None, today: date | None = None):
    """(timeliness, days late) of one unit × period."""
    if due is None:
        return None, 0
    if state == "missing" or not submitted:
        now = today_cst(today)
        return (LATE, (now - due).days) if now > due else (PENDING, 0)
    day = local_day(submitted)
    if day is None:
        return None, 0
    return (LATE, (day - due).days) if day > due else (ON_TIME, 0)


def rates(cells: list[dict]) -> dict:
    """Counts and rates over one unit's cells (those that are due or reported)."""
    counted = [c for c in cells if not (c["state"] == "missing" and c["timely"] == PENDING)]
    n = len(counted)
    out: dict[str, Any] = {"expected": n}
    for state in lifecycle.COMPLETENESS:
        out[state] = sum(1 for c in counted if c["state"] == state)
    out["reported"] = out["data"] + out["nil"]
    out["on_time"] = sum(1 for c in counted if c["timely"] == ON_TIME and c["state"] != "missing")
    out["late"] = sum(1 for c in counted if c["timely"] == LATE)
    out["rate_reported"] = round(out["reported"] / n, 4) if n else None
    out["rate_on_time"] = round(out["on_time"] / n, 4) if n else None
    return out


def status_table(store, form_id: str | None = None, period: str | None = None,
                 today: date | None = None) -> list[dict]:  # fmt: skip
    """``kexie status``: per report form, this unit's direct subordinates × periods."""
    from exports.rollup import Completeness, as_type
    from kexie.lifecycle import EXPORTABLE

    me = store.unit_code
    units = store.units
    subs = [(u.code, u.name) for u in units.children(me) if not getattr(u, "hidden", False)]
    codes = {c for c, _ in subs}
    names = dict(subs)

    def group(code: str | None) -> tuple[str, str]:
        if code:
            for u in units.path(code):
                if u.code in codes:
                    return u.code, u.name
        return me, ""

    forms = [store.form(form_id)] if form_id else [f for f in store.forms() if f.kind == "report"]
    out = []
    for form in forms:
        if form.kind != "report":
            from i18n.errors import UsageError

            raise UsageError("db.not_a_report", form_id=form.form_id)
        rule = form.settings.get("kexie::due") or None
        board = Completeness(subs, group, None)
        board.declare(form.form_id, form.title(), form.period_type, due=rule)
        arrived = arrivals(store)
        for row in store.records(form.form_id, status=list(EXPORTABLE)):
            sub = group(row.get("_unit"))[0]
            if row.get("_unit") and sub in codes:
                board.add(form.form_id, form.title(), arrived_row(row, sub, arrived),
                          form.period_type)  # fmt: skip
        if period is not None:
            periods = [as_type(P.parse_period(period), form.period_type) or period]
        else:
            latest = P.previous_period(P.current_period(form.period_type, today_cst(today)))
            periods = sorted(set(board.periods(form.form_id)) | {latest})
        rows = []
        for code in sorted(codes):
            cells = {p: board.cell(form.form_id, code, p, today) for p in periods}
            rows.append({"unit": code, "name": names[code], "periods": cells,
                         **rates(list(cells.values()))})  # fmt: skip
        out.append({"form": form.form_id, "title": form.title(), "due": rule,
                    "periods": periods, "units": rows})  # fmt: skip
    return out


__all__ = ["judge", "rates", "status_table", "submitted_at"]
