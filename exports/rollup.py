"""Roll-up (汇总) and completeness (上报情况) sheets, following each indicator's aggregation.

Every figure is computed straight from the reports inside the bundle (a merged bundle carries
all of them), so a unit's figure is the same in every bundle that contains it:

- ``sum`` (flows): the sum of the reports, over units and over time;
- ``last`` (stocks): per reporting unit (× the form's report key, e.g. one venue), its latest
  value within the span, then summed over the units — a unit that skipped the span's last
  period still counts with its latest value; a stock is never summed over time;
- ``average``: the mean of the underlying reports (sum and count carried to every level),
  never a mean of means;
- ``none`` is not rolled up.

Nil reports count as reported and add nothing. A returned report (退回, awaiting correction)
adds nothing until it comes back corrected; 上报情况 shows it as 退回. So every 合计 row of a
sum/last indicator is exactly the sum of the unit rows above it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

from exports.format import FLOAT, INT
from exports.model import SheetGrid, TableSpec
from exports.timeliness import due_of, judge, rates, submitted_at
from forms import periods as P
from i18n import tr
from kexie.lifecycle import NIL, RETURNED

Group = Callable[[str | None], tuple[str, str]]  # unit code -> (group code, group name)
NOT_COUNTED = frozenset({NIL, RETURNED})  # statuses whose values never enter a figure


def _total(values: list) -> object:
    if not values:
        return None
    total = math.fsum(values)
    return int(total) if all(isinstance(v, int) for v in values) else total


class ReportRollup:
    """Accumulates the rows of one report form and lays out its 汇总 sheet."""

    def __init__(self, spec: TableSpec, group: Group, lang: str | None) -> None:
        self.spec = spec
        self.group = group
        self.lang = lang
        self.key: list[str] = []  # the form's report key (set by Content)
        self.indicators = [
            c
            for c in spec.columns
            if c.kind in (INT, FLOAT) and c.aggregate in ("sum", "last", "average")
        ]
        # group -> period -> [(series, {indicator: value})]; series = unit × report key
        self.rows: dict[str, dict[str, list[tuple[tuple, dict]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.names: dict[str, str] = {}

    def add(self, row: dict) -> None:
        """Take one carried main-table row (nil and returned reports add nothing)."""
        period = row.get("_period")
        if not period or row.get("_status") in NOT_COUNTED:
            return
        code, name = self.group(row.get("_unit"))
        self.names[code] = name
        series = (row.get("_unit"), *(str(row.get(k)) for k in self.key))
        values = {c.name: row.get(c.name) for c in self.indicators}
        self.rows[code][period].append((series, values))

    def figure(self, items: list[tuple[str, tuple, dict]]) -> dict[str, object]:
        """Indicator figures of ``items`` = [(period, series, values)]: sums add up, stocks
        take each series' latest value then add up, averages take the mean of all reports."""
        out: dict[str, object] = {}
        for c in self.indicators:
            name = c.name
            if c.aggregate == "last":
                latest: dict[tuple, tuple[str, object]] = {}
                for period, series, values in items:
                    v = values.get(name)
                    if v is None:
                        continue
                    seen = latest.get(series)
                    if seen is None or _period_key(period) >= _period_key(seen[0]):
                        latest[series] = (period, v)
                out[name] = _total([v for _, v in latest.values()])  # type: ignore[assignment]
            else:
                given = [vals[name] for _, _, vals in items if vals.get(name) is not None]
                if c.aggregate == "average":
                    out[name] = math.fsum(given) / len(given) if given else None
                else:
                    out[name] = _total(given)
        return out

    def _items(self, groups, periods) -> list[tuple[str, tuple, dict]]:
        return [
            (p, series, values)
            for g in groups
            for p in periods
            for series, values in self.rows.get(g, {}).get(p, ())
        ]

    def grid(self, sheet_name: str) -> SheetGrid | None:
        """The 汇总 sheet, or None when there is nothing to roll up."""
        if not self.rows or not self.indicators:
            return None
        lang = self.lang
        periods = sorted({p for by in self.rows.values() for p in by}, key=_period_key)
        groups = sorted(self.rows)
        header = [
            tr("bundle.col.unit", lang),
            tr("bundle.col.unit_name", lang),
            tr("bundle.col.period", lang),
        ] + [c.label for c in self.indicators]
        rows: list[list] = []
        totals: set[int] = set()
        total = tr("bundle.rollup.total", lang)
        if len(periods) > 1:  # one period: the span block below is that period's block
            for period in periods:
                for g in groups:
                    if period in self.rows[g]:
                        v = self.figure(self._items([g], [period]))
                        rows.append([g, self.names[g], period, *self._cells(v)])
                totals.add(len(rows))
                v = self.figure(self._items(groups, [period]))
                rows.append(["", total, period, *self._cells(v)])
        span = f"{periods[0]}~{periods[-1]}" if len(periods) > 1 else periods[0]
        first_span = len(rows)
        for g in groups:
            v = self.figure(self._items([g], periods))
            rows.append([g, self.names[g], span, *self._cells(v)])
        totals.add(len(rows))
        rows.append(["", total, span, *self._cells(self.figure(self._items(groups, periods)))])
        chart = {
            "title": tr("bundle.rollup.chart", lang, title=self.spec.title, span=span),
            "first": first_span,
            "last": first_span + len(groups) - 1,
            "category_col": 1,
            "value_cols": [3 + i for i in range(min(3, len(self.indicators)))],
        }
        return SheetGrid(
            sheet_name,
            tr("bundle.rollup.title", lang, title=self.spec.title),
            header,
            rows,
            totals,
            chart,
            widths=[14, 20, 16] + [max(10, min(30, len(c.label) * 1.6)) for c in self.indicators],
        )

    def _cells(self, values: dict[str, object]) -> list:
        return [values.get(c.name) for c in self.indicators]


class SurveyCount:
    """Respondents by unit for a survey form (its 汇总 sheet)."""

    def __init__(self, spec: TableSpec, group: Group, lang: str | None) -> None:
        self.spec = spec
        self.group = group
        self.lang = lang
        self.counts: dict[str, int] = defaultdict(int)
        self.names: dict[str, str] = {}

    def add(self, row: dict) -> None:
        code, name = self.group(row.get("_unit"))
        self.names[code] = name
        self.counts[code] += 1

    def add_count(self, unit: str | None, n: int) -> None:
        """Take ``n`` respondents of ``unit`` at once."""
        code, name = self.group(unit)
        self.names[code] = name
        self.counts[code] += n

    def grid(self, sheet_name: str) -> SheetGrid | None:
        if not self.counts:
            return None
        lang = self.lang
        rows = [[g, self.names[g], self.counts[g]] for g in sorted(self.counts)]
        n = len(rows)
        rows.append(["", tr("bundle.rollup.total", lang), sum(self.counts.values())])
        return SheetGrid(
            sheet_name,
            tr("bundle.rollup.title", lang, title=self.spec.title),
            [
                tr("bundle.col.unit", lang),
                tr("bundle.col.unit_name", lang),
                tr("bundle.rollup.respondents", lang),
            ],
            rows,
            {n},
            {
                "title": tr("bundle.rollup.respondents", lang),
                "first": 0,
                "last": n - 1,
                "category_col": 1,
                "value_cols": [2],
            },
            widths=[14, 24, 12],
        )


class Completeness:
    """Who reported what, per report form and period: data, a nil report, or nothing.

    Each form is judged against periods of its own period type: the bundle's span (every
    period seen in any form) taken to that type, so an annual form gets the years the span
    covers (2025, 2026) and a monthly form the months, never the other's columns."""

    def __init__(self, expected: list[tuple[str, str]], group: Group, lang: str | None) -> None:
        self.expected = expected  # (code, name) of the unit itself and its direct subordinates
        self.group = group
        self.lang = lang
        self.seen: dict[tuple[str, str, str], str] = {}  # (form, group, period) -> data|nil
        self.titles: dict[str, str] = {}
        self.kinds: dict[str, str] = {}  # form -> its period type (month, quarter, year)
        self.own: dict[str, set[str]] = defaultdict(set)  # form -> periods of its rows
        self.span: set[str] = set()  # every period seen, any form
        self.due: dict[str, str] = {}  # form -> deadline rule (kexie::due)
        self.first: dict[tuple[str, str, str], str] = {}  # (form, group, period) -> submitted
        self.today = None  # the day lateness is judged on (None: today)
        self.rules: Callable[[str], str | None] | None = None  # form -> rule, when not in due

    def declare(
        self, form_id: str, title: str, period_type: str | None, due: str | None = None
    ) -> None:
        """Name a report form, its period type and deadline rule (also done by :meth:`add`)."""
        self.titles[form_id] = title
        if due:
            self.due[form_id] = due
        if period_type in _ORDER:
            self.kinds[form_id] = period_type

    def add(self, form_id: str, title: str, row: dict, period_type: str | None = None) -> None:
        """Take one report row (``period_type``: the form's; else that of the row's period)."""
        period = row.get("_period")
        if not period:
            return
        if form_id not in self.titles or (period_type and form_id not in self.kinds):
            self.declare(form_id, title, period_type)
        if form_id not in self.kinds:
            kind = _kind(period)
            if kind is not None:
                self.kinds[form_id] = kind
        code, _ = self.group(row.get("_unit"))
        self.own[form_id].add(period)
        self.span.add(period)
        key = (form_id, code, period)
        state = STATE_OF.get(row.get("_status"), "data")
        if _RANK[state] > _RANK.get(self.seen.get(key, ""), -1):
            self.seen[key] = state
        sent = submitted_at(row)
        if sent and sent > self.first.get(key, ""):
            self.first[key] = sent  # a unit's period is in when its last report arrived

    def periods(self, form_id: str) -> list[str]:
        """The periods ``form_id`` is judged against, in order."""
        kind = self.kinds.get(form_id)
        out = set(self.own.get(form_id, ()))
        if kind is not None:
            out |= {q for p in self.span if (q := as_type(p, kind)) is not None}
        return sorted(out, key=_period_key)

    def status(self, form_id: str, unit: str, period: str) -> str:
        """``data``, ``nil``, ``returned`` or ``missing``. A period finer than the form's type is judged by
        the form's period that contains it (an annual form in 2025-03 → 2025)."""
        kind = self.kinds.get(form_id)
        if kind is not None:
            period = as_type(period, kind) or period
        return self.seen.get((form_id, unit, period), "missing")

    def rule(self, form_id: str) -> str | None:
        """The form's deadline rule (``kexie::due``), if it states one."""
        return self.due.get(form_id) or (self.rules(form_id) if self.rules else None)

    def cell(self, form_id: str, unit: str, period: str, today=None) -> dict:
        """State and timeliness of one unit × period: ``{state, timely, submitted, due,
        days_late}`` (see ``exports.timeliness``)."""
        kind = self.kinds.get(form_id)
        if kind is not None:
            period = as_type(period, kind) or period
        state = self.status(form_id, unit, period)
        sent = self.first.get((form_id, unit, period)) if state != "missing" else None
        due = due_of(self.rule(form_id), period)
        timely, late = judge(state, sent, due, today or self.today)
        return {"state": state, "timely": timely, "submitted": sent,
                "due": due.isoformat() if due else None, "days_late": late}  # fmt: skip

    def _text(self, form_id: str, code: str, period: str) -> str:
        c = self.cell(form_id, code, period)
        text = tr(f"bundle.completeness.{c['state']}", self.lang)
        if c["timely"] == "late":
            text += tr("timely.late_days", self.lang, n=c["days_late"])
        return text

    def _rates_rows(self, codes: list[str], names: dict) -> list[list]:
        """One row per form with a deadline × unit: counts and rates (考核)."""
        lang = self.lang
        rows: list[list] = []
        for form_id in sorted(f for f in self.titles if self.rule(f)):
            periods = self.periods(form_id)
            for code in codes:
                r = rates([self.cell(form_id, code, p) for p in periods])
                pct = [round(v * 100, 1) if v is not None else "" for v in
                       (r["rate_reported"], r["rate_on_time"])]  # fmt: skip
                rows.append([self.titles[form_id], code, names.get(code, code), r["expected"],
                             r["reported"], r["nil"], r["returned"], r["missing"],
                             r["on_time"], r["late"], *pct])  # fmt: skip
        if not rows:
            return []
        head = [tr(k, lang) for k in ("bundle.col.form", "bundle.col.unit",
                                      "bundle.col.unit_name", "timely.col.expected",
                                      "timely.col.reported", "timely.col.nil",
                                      "timely.col.returned", "timely.col.missing",
                                      "timely.col.on_time", "timely.col.late",
                                      "timely.col.rate_reported", "timely.col.rate_on_time")]  # fmt: skip
        head[-2:] = [
            f"{h}（%）" if (lang or "zh_CN").startswith("zh") else f"{h} (%)" for h in head[-2:]
        ]
        return [[], [tr("timely.rates_title", lang)], head, *rows]

    def grid(self, sheet_name: str) -> SheetGrid | None:
        """The 上报情况 sheet: one block per period type (its own header row), one row per
        form × unit, one column per period of that type."""
        if not self.titles:
            return None
        lang = self.lang
        expected = list(self.expected)
        extra = sorted({g for (_, g, _) in self.seen} - {c for c, _ in expected})
        names = dict(expected)
        codes = [c for c, _ in expected] + extra
        blocks: dict[str, list[str]] = defaultdict(list)  # period type -> forms
        for form_id in sorted(self.titles):
            blocks[self.kinds.get(form_id, "")].append(form_id)
        head = [
            tr("bundle.col.form", lang),
            tr("bundle.col.unit", lang),
            tr("bundle.col.unit_name", lang),
        ]
        header: list[str] = []
        rows: list[list] = []
        header_rows: set[int] = set()
        total_rows: set[int] = set()  # the 已报 n/m row of each form
        widest = 0
        for kind in sorted(blocks, key=lambda k: _ORDER.get(k, 9)):
            forms = blocks[kind]
            periods = sorted({p for f in forms for p in self.periods(f)}, key=_period_key)
            widest = max(widest, len(periods))
            if not header:
                header = head + periods
            else:
                rows.append([])
                header_rows.add(len(rows))
                rows.append(head + periods)
            own = self.expected[0][0] if self.expected else None
            counted = [c for c in codes if c != own] or codes  # the subordinates, else itself
            for form_id in forms:
                mine = set(self.periods(form_id))
                count = [self.titles[form_id], "", tr("bundle.completeness.count_label", lang)]
                for p in periods:
                    if p not in mine:
                        count.append("")
                        continue
                    done = sum(1 for c in counted if self.status(form_id, c, p) in ("data", "nil"))
                    count.append(
                        tr("bundle.completeness.count", lang, done=done, total=len(counted))
                    )
                total_rows.add(len(rows))
                rows.append(count)
                for code in codes:
                    row = [self.titles[form_id], code, names.get(code, code)]
                    for p in periods:
                        row.append(self._text(form_id, code, p) if p in mine else "")
                    rows.append(row)
        extra_rows = self._rates_rows(codes, names)
        if extra_rows:
            header_rows.add(len(rows) + 2)
            rows += extra_rows
        return SheetGrid(
            sheet_name,
            tr("bundle.completeness.title", lang),
            header,
            rows,
            total_rows,
            widths=[24.0, 14.0, 20.0] + [10.0] * max(widest, 9 if extra_rows else 0),
            header_rows=header_rows,
        )


_ORDER = {"month": 0, "quarter": 1, "year": 2}
# A unit's state for a period from the statuses of its reports: a returned report (退回) shows
# until it comes back corrected, over data (已报), over a nil report (空表).
STATE_OF: dict[str | None, str] = {NIL: "nil", RETURNED: "returned"}
_RANK = {"nil": 0, "data": 1, "returned": 2}


def _kind(period: str) -> str | None:
    try:
        return P.period_type(period)
    except Exception:  # a malformed period has no type
        return None


def as_type(period: str, kind: str) -> str | None:
    """``period`` as a period of type ``kind``: itself, or the coarser period containing it
    (2025-03 → 2025-Q1 → 2025); None when ``kind`` is finer or the period is malformed."""
    own = _kind(period)
    if own is None or _ORDER[own] > _ORDER.get(kind, -1):
        return None
    if own == kind:
        return period
    if kind == "year":
        return period[:4]
    return f"{period[:4]}-Q{(int(period[5:7]) - 1) // 3 + 1}"


def _period_key(p: str) -> tuple:
    try:
        kind = P.period_type(p)
    except Exception:  # odd periods sort last
        return (1, p)
    return (0, kind, p)
