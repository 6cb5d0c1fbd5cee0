"""Fill a data folder with realistic sample data for every built-in form (``kexie demo``).

- survey records spread over the unit and, at county level and above, the units below it;
- monthly reports for the last 12 complete months for the unit and its direct subordinate
  units (townships under a county, counties under a city ...), the current month as drafts;
- the org annual report for last year for the same units;
- mixed statuses: mostly finalised or exported, a few drafts, one returned, one nil report.

Answers come from ``forms/builtin/samples.py``. Every record is validated and audited like a
normal save, all inside one transaction, so a cancelled demo leaves nothing behind.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from forms.periods import last_periods
from i18n import tr
from i18n.errors import StorageError, ValidationError
from kexie.lifecycle import EXPORTED, RETURNED
from kexie.tasks import NULL_TASK, TaskState
from localdb.units import Unit

DEFAULT_UNIT = "330106000000"  # 浙江省杭州市西湖区
SURVEY = "kexie_survey"
MONTHLY = ("kexie_volunteer_monthly", "kexie_venue_monthly")
ANNUAL = "kexie_org_annual"
CLERKS = ("王芳", "李静", "张伟", "刘洋", "陈晨", "杨帆", "赵磊", "黄敏")


@dataclass
class DemoSummary:
    """What :func:`run_demo` wrote, per form and status."""

    unit: Unit
    units: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: int = 0  # report slots that already held a report

    def add(self, form_id: str, status: str) -> None:
        per = self.counts.setdefault(form_id, {})
        per[status] = per.get(status, 0) + 1

    @property
    def total(self) -> int:
        return sum(sum(v.values()) for v in self.counts.values())


def run_demo(
    store,
    *,
    unit: str | None = None,
    records: int = 40,
    seed: int | None = None,
    today: date | None = None,
    task: TaskState = NULL_TASK,
) -> DemoSummary:
    """Write demo data into ``store`` for ``unit`` (default: the installation's unit)."""
    from forms.builtin.samples import sample_answers
    from localdb.units import resolve_unit

    today = today or date.today()
    rng = random.Random(seed)
    base = resolve_unit(store.units, unit or store.unit_code or DEFAULT_UNIT)
    children = store.units.children(base.code)
    survey_units = [base]
    if base.level != "township":
        survey_units += store.units.descendants(base.code)
    report_units = [base, *children]
    months = last_periods("month", 13, today)
    year = str(today.year - 1)
    summary = DemoSummary(unit=base, units=len(report_units))
    planned = records + len(report_units) * (len(MONTHLY) * len(months) + 1)
    done = 0
    stamps: list[tuple[str, str, str]] = []  # (form_id, uuid, ISO time) to backdate

    def tick() -> None:
        nonlocal done
        done += 1
        if done % 25 == 0:
            task.check()
            task.report(done / planned, tr("demo.progress", done=done, total=planned))

    def write(
        form_id: str,
        answers: dict,
        explanations: dict,
        unit_code: str,
        period: str | None,
        status: str,
        when: datetime,
    ) -> str | None:
        author = rng.choice(CLERKS)
        try:
            try:
                uuid = store.save(
                    form_id,
                    answers,
                    unit=unit_code,
                    period=period,
                    status="finalised" if status != "draft" else "draft",
                    author=author,
                    explanations=explanations,
                )
            except ValidationError:
                uuid = store.save(
                    form_id,
                    answers,
                    unit=unit_code,
                    period=period,
                    author=author,
                    explanations=explanations,
                )
                status = "draft"
        except StorageError as exc:
            if exc.code != "db.report_exists":
                raise
            summary.skipped += 1
            return None
        if status in (EXPORTED, RETURNED):  # the way there: finalised, exported, returned
            store.set_status(form_id, uuid, EXPORTED, author=author)
            if status == RETURNED:
                store.set_status(
                    form_id,
                    uuid,
                    RETURNED,
                    reason=tr("demo.returned_reason"),
                    author=store.clerk or author,
                )
        summary.add(form_id, status)
        stamps.append((form_id, uuid, when.strftime("%Y-%m-%dT%H:%M:%S.000Z")))
        return uuid

    with store.sqlite_errors(), store.db.atomic():
        for form_id in (SURVEY, *MONTHLY, ANNUAL):
            store.form(form_id)
        # survey: the last three months of fieldwork
        for i in range(records):
            where = base if i == 0 or len(survey_units) == 1 else rng.choice(survey_units)
            answers, explanations = sample_answers(SURVEY, rng, unit_code=where.code, period=None)
            roll = rng.random()
            status = "draft" if roll < 0.08 else "exported" if roll < 0.45 else "finalised"
            when = datetime.combine(today, datetime.min.time(), UTC) - timedelta(
                minutes=rng.randint(60, 90 * 24 * 60)
            )
            write(SURVEY, answers, explanations, where.code, None, status, when)
            tick()
        # monthly reports: 12 complete months plus the current one as drafts
        nil_done = returned_done = False
        for form_id in MONTHLY:
            for who in report_units:
                previous: dict | None = None
                for period in months:
                    task.check()
                    if store.find_report(form_id, unit=who.code, period=period, key=_key(previous)):
                        summary.skipped += 1
                        continue
                    current = period == months[-1]
                    if (
                        not nil_done
                        and who is not base
                        and form_id == MONTHLY[0]
                        and period == months[-3]
                    ):
                        store.nil_report(
                            form_id, unit=who.code, period=period, author=rng.choice(CLERKS)
                        )
                        summary.add(form_id, "nil")
                        nil_done = True
                        tick()
                        continue
                    answers, explanations = sample_answers(
                        form_id, rng, unit_code=who.code, period=period, previous=previous
                    )
                    age = months.index(period)
                    status = (
                        "draft"
                        if current
                        else "finalised"
                        if age >= len(months) - 3
                        else "exported"
                    )
                    if (
                        not returned_done
                        and status == "finalised"
                        and who is base
                        and form_id == MONTHLY[1]
                    ):
                        status, returned_done = "returned", True
                    when = _after(period, rng)
                    write(form_id, answers, explanations, who.code, period, status, when)
                    previous = answers
                    tick()
        # the org annual report for last year
        for who in report_units:
            if store.find_report(ANNUAL, unit=who.code, period=year):
                summary.skipped += 1
                continue
            answers, explanations = sample_answers(
                ANNUAL, rng, unit_code=who.code, period=year, previous=None
            )
            write(
                ANNUAL,
                answers,
                explanations,
                who.code,
                year,
                "finalised" if rng.random() < 0.8 else "draft",
                _after(year, rng),
            )
            tick()
        for form_id, uuid, stamp in stamps:
            store.db.execute(
                f'UPDATE "form_{form_id}" SET _created = ?, _modified = ? WHERE _uuid = ?',
                [stamp, stamp, uuid],
            )
    task.report(1.0, tr("demo.done", count=summary.total))
    return summary


def _key(previous: dict | None) -> dict | None:
    return {"venue_name": previous.get("venue_name")} if previous else None


def _after(period: str, rng: random.Random) -> datetime:
    """A moment a few days after a period ends (when the report would have been filled in)."""
    if len(period) == 4:
        start = datetime(int(period) + 1, 1, 1, tzinfo=UTC)
    else:
        y, m = int(period[:4]), int(period[5:7])
        start = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=UTC)
    moment = start + timedelta(
        days=rng.randint(0, 8), hours=rng.randint(8, 17), minutes=rng.randint(0, 59)
    )
    return min(moment, datetime.now(UTC))
