"""Paper-shaped documents: a report as its paper form, a unit's 汇总表, one interview.

This module decides *what* goes on the page (pure Python, no Qt): :func:`report_papers`,
:func:`summary_paper` and :func:`interview_paper` return :class:`Paper` objects that
``desktop.printing`` lays out and renders to PDF or a printer. Keeping the content here means
the CLI, the window and the tests agree on every figure, and the 汇总表 uses the very roll-up
rules of the bundle (``exports.rollup.ReportRollup``).

A report's paper form (the layout of the association's statistical tables): 表号 (and the
authority that set the form) at the top right, the title, 填报单位 with its full name and code,
报告期; a table of indicators — 指标名称, 计量单位, 代码, value — with "其中" items indented and
group headings as rows; the 说明 of accepted warnings and the remarks; and the cover block:
单位负责人, 填表人, 联系电话, 填报日期, each with a line to sign, and a place for the seal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from exports.content import UnitNames
from exports.export import in_period
from exports.format import FLOAT, INT
from exports.rollup import ReportRollup
from exports.specs import form_specs, question_kind
from forms import periods as P
from forms.model import METADATA_TYPES, Form, Question
from i18n import tr
from i18n.errors import UsageError
from kexie import lifecycle as L
from localdb.units import resolve_unit

# The cover block of a report (docs/forms.md): printed at the foot of the page with lines to
# sign, not in the table of indicators. Questions of a group named ``cover`` are cover too.
COVER_ORDER = ("unit_head", "filled_by", "phone", "fill_date")
REMARKS = "remarks"
_NUMERIC = ("integer", "decimal", "range")


@dataclass
class Line:
    """One row of the table of indicators (or a group heading when ``heading``)."""

    label: str
    unit: str = ""
    code: str = ""
    value: str = ""
    indent: int = 0
    heading: bool = False
    name: str = ""


@dataclass
class Breakdown:
    """Indicators × units: the second part of a 汇总表. ``values[i][j]`` is indicator ``i`` of
    unit ``j`` as text."""

    indicators: list[Line]
    units: list[tuple[str, str]]  # (code, name); the first may be the total column
    values: list[list[str]]


@dataclass
class Paper:
    """One printed document (starts on a new page)."""

    kind: str  # report | summary | interview
    title: str
    lang: str | None
    table_no: str = ""
    issued_by: str = ""
    meta: list[tuple[str, str]] = field(default_factory=list)  # 填报单位, 报告期, ...
    value_header: str = ""
    lines: list[Line] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # 说明: (indicator, text)
    remarks: str = ""
    signatures: list[tuple[str, str]] = field(default_factory=list)  # (label, filled value)
    seal: bool = False
    breakdown: Breakdown | None = None
    sections: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    footer: str = ""  # printed beside the page number, e.g. the unit and period

    def text(self) -> str:
        """Everything on the paper as plain text (tests, search)."""
        parts = [self.table_no, self.issued_by, self.title]
        parts += [f"{k}：{v}" for k, v in self.meta]
        parts += [f"{ln.code} {ln.label} {ln.unit} {ln.value}" for ln in self.lines]
        parts += [f"{k}：{v}" for k, v in self.notes] + [self.remarks]
        parts += [f"{k}：{v}" for k, v in self.signatures]
        for title, items in self.sections:
            parts.append(title)
            parts += [f"{k}：{v}" for k, v in items]
        return "\n".join(p for p in parts if p)


# -- values as text ------------------------------------------------------------------------
def number_text(value: object) -> str:
    """A figure as printed: integers as they are, decimals without a trailing ``.0``."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{round(value, 2):g}" if abs(value) < 1e15 else repr(value)
    return str(value)


def answer_text(form: Form, q: Question, value: object, lang: str | None) -> str:
    """An answer in words: choice labels for selects, figures for numbers, text as is."""
    if value is None or value == "":
        return ""
    if q.type in _NUMERIC:
        return number_text(value)
    if q.list_name and q.type.startswith("select"):
        choices = form.choice_lists.get(q.list_name)
        names = str(value).split() if q.type.startswith("select_multiple") else [str(value)]
        labels = []
        for n in names:
            c = choices.get(n) if choices else None
            labels.append(c.label(lang) if c else n)
        return ("、" if (lang or "zh_CN").startswith("zh") else ", ").join(labels)
    return str(value)


def _indent(form: Form, q: Question) -> int:
    depth, seen, of = 0, set(), q.of
    while of and of not in seen and of in form:
        seen.add(of)
        depth += 1
        of = form.question(of).of
    return depth


def question_label(q: Question, lang: str | None) -> str:
    """A question's label; metadata without one (start, end, today) by what it records."""
    if not q.labels and q.type in METADATA_TYPES:
        return tr(f"paper.meta.{q.type}", lang) if q.type in _META_LABELS else q.name
    return q.label(lang)


_META_LABELS = ("start", "end", "today", "deviceid", "username")


def is_cover(form: Form, q: Question) -> bool:
    """Whether ``q`` belongs to the report's cover block (who filled it in)."""
    if q.name in (*COVER_ORDER, REMARKS):
        return True
    return any(a.name == "cover" for a in form.ancestors(q.name))


def _table_questions(form: Form) -> list[tuple[Question | None, Question]]:
    """(top-level group or None, question) for every stored question of the table; checks
    against the previous period (与上期比较) are review aids, not printed figures."""
    from forms.plan import previous_dependents

    out: list[tuple[Question | None, Question]] = []
    compared = previous_dependents(form)

    def visit(items: list[Question], top: Question | None) -> None:
        for q in items:
            if q.is_group:
                visit(q.children, top or q)
            elif q.stores_value and not q.is_repeat and q.type not in ("hidden",):
                if q.type == "calculate" and question_kind(q) not in (INT, FLOAT):
                    continue
                if not is_cover(form, q) and q.name not in compared:
                    out.append((top, q))

    visit(form.children, None)
    return out


def _lines(form: Form, values: dict, relevant: dict[str, bool], lang: str | None) -> list[Line]:
    lines: list[Line] = []
    current = None
    for top, q in _table_questions(form):
        if top is not None and top is not current:
            lines.append(Line(top.label(lang), heading=True, name=top.name))
        current = top
        v = values.get(q.name)
        text = answer_text(form, q, v, lang)
        if v is None and not relevant.get(q.name, True):
            text = "—"  # not applicable, distinct from 0 and from blank
        lines.append(
            Line(
                q.label(lang),
                unit=q.unit(lang),
                code=q.code,
                value=text,
                indent=_indent(form, q),
                name=q.name,
            )
        )
    return lines


def _unit_label(names: UnitNames, code: str) -> str:
    return f"{names.name(code)}（{code}）"


def _period_label(period: str, lang: str | None) -> str:
    return P.label(period, lang)


def _signatures(form: Form, values: dict, lang: str | None) -> list[tuple[str, str]]:
    out = []
    for name in COVER_ORDER:
        q = form.get(name)
        label = q.label(lang) if q else tr(f"paper.cover.{name}", lang)
        value = answer_text(form, q, values.get(name), lang) if q else ""
        out.append((label, value))
    return out


def _head(form: Form, lang: str | None) -> dict:
    return {"table_no": form.table_no, "issued_by": form.issued_by(lang)}


# -- one report ----------------------------------------------------------------------------
def _check_period(form: Form, period: str, *, coarser_ok: bool) -> str:
    period = P.parse_period(period)
    if form.kind != "report":
        raise UsageError("paper.not_report", form=form.title(), fix="paper.fix.not_report")
    kind = P.period_type(period)
    order = {"month": 0, "quarter": 1, "year": 2}
    own = form.period_type or kind
    if kind != own and not (coarser_ok and order[kind] > order[own]):
        raise UsageError("period.wrong_type", period=period, expected=tr(f"period.type.{own}"))
    if P.is_future(period):
        raise UsageError("paper.future_period", period=period, fix="paper.fix.future_period")
    return period


def report_paper_from(store, form: Form, row: dict, lang: str | None) -> Paper:
    """The paper form of one stored report ``row`` (as ``store.get`` returns it)."""
    from forms.engine import evaluate

    names = UnitNames(store.units, row.get("_unit") or store.unit_code)
    values = {q.name: row.get(q.name) for q in form.fields()}
    state = evaluate(form, values).fields
    relevant = {n: s.relevant for n, s in state.items()}
    explanations = row.get("_explanations") or {}
    if isinstance(explanations, str):
        import json

        explanations = json.loads(explanations or "{}")
    notes = [
        (form.question(n).label(lang) if n in form else n, str(t))
        for n, t in explanations.items()
        if t
    ]
    status = row.get("_status") or ""
    title = form.title(lang)
    meta = [
        (tr("paper.unit", lang), _unit_label(names, row.get("_unit") or "")),
        (tr("paper.period", lang), _period_label(row["_period"], lang)),
    ]
    for key in form.report_key:
        if key in form:
            q = form.question(key)
            meta.append((q.label(lang), answer_text(form, q, row.get(key), lang)))
    if status in L.OPEN or status == L.NIL:
        meta.append((tr("paper.status", lang), tr(f"db.status.{status}", lang)))
    paper = Paper(
        "report",
        title,
        lang,
        **_head(form, lang),
        meta=meta,
        value_header=tr("paper.col.value", lang),
        lines=_lines(form, values, relevant, lang),
        notes=notes,
        remarks=str(row.get(REMARKS) or ""),
        signatures=_signatures(form, values, lang),
        seal=True,
        footer=f"{title} · {names.name(row.get('_unit'))} · {_period_label(row['_period'], lang)}",
    )
    if status == "nil":
        paper.remarks = (paper.remarks + " " if paper.remarks else "") + tr("paper.nil", lang)
    return paper


def report_papers(
    store, form_id: str, period: str, *, unit: str | None = None, lang: str | None = None
) -> list[Paper]:
    """The paper form of this unit's report(s) for ``period`` (one per ``kexie::key``, e.g.
    per venue). :class:`UsageError` when there is none."""
    form = store.form(form_id)
    period = _check_period(form, period, coarser_ok=False)
    code = resolve_unit(store.units, unit).code if unit else store.unit_code
    rows = [r for r in store.records(form_id, unit=code, period=period) if not r.get("_deleted")]
    if not rows:
        names = UnitNames(store.units, code)
        raise UsageError(
            "paper.no_report",
            form=form.title(lang),
            unit=_unit_label(names, code),
            period=period,
            fix="paper.fix.no_report",
        )
    rows.sort(key=lambda r: (*tuple(str(r.get(k) or "") for k in form.report_key), r["_uuid"]))
    return [
        report_paper_from(store, _version(store, form, r), store.get(form_id, r["_uuid"]), lang)
        for r in rows
    ]


def _version(store, form: Form, row: dict) -> Form:
    """The form version the record was made with (its labels and codes), else the current."""
    version = row.get("_form_version")
    if not version or version == form.version:
        return form
    try:
        return store.form(form.form_id, version)
    except Exception:  # an old version that is no longer installed: print with the current
        return form


# -- the 汇总表 -----------------------------------------------------------------------------
@dataclass
class Summary:
    """The figures of a 汇总表: totals, per direct subordinate, and who reported."""

    form: Form
    unit: str
    period: str
    indicators: list  # exports.model.Column of the roll-up (sum | last | average)
    total: dict[str, object]
    by_unit: dict[str, dict[str, object]]  # group code -> indicator -> value
    expected: list[tuple[str, str]]  # direct subordinates (code, name)
    status: dict[str, str]  # group code -> data | nil | returned | missing
    names: UnitNames


def summarise(store, form_id: str, period: str, *, unit: str | None = None, lang=None) -> Summary:
    """Roll this unit's and its subordinates' reported figures for ``period`` up with the
    bundle's own rules (``exports.rollup.ReportRollup.figure``): flows add up, a stock is each
    reporting unit's (× report key) latest value within ``period`` summed over units, an
    average the mean of the underlying reports; nil and returned reports add nothing."""
    form = store.form(form_id)
    period = _check_period(form, period, coarser_ok=True)
    code = resolve_unit(store.units, unit).code if unit else store.unit_code
    names = UnitNames(store.units, code)
    specs, _ = form_specs(form, include_sensitive=False, lang=lang)
    rollup = ReportRollup(specs[0], names.group, lang)
    rollup.key = list(form.report_key)
    status: dict[str, str] = {}
    # States as in the bundle's 上报情况 (exports.rollup.Completeness): 退回 (a returned report
    # awaiting correction) over 已报 over 空表; returned and nil reports add no figure.
    rank = {"nil": 0, "data": 1, "returned": 2}
    for r in store.records(form_id, within=code, status=sorted(L.REPORTED | {L.RETURNED})):
        if r.get("_deleted") or not in_period(r, period):
            continue
        g, _ = names.group(r.get("_unit"))
        state = {L.NIL: "nil", L.RETURNED: "returned"}.get(r.get("_status"), "data")
        if rank[state] > rank.get(status.get(g, ""), -1):
            status[g] = state
        if state == "data":
            rollup.add(r)
    periods = sorted({p for by in rollup.rows.values() for p in by})
    groups = sorted(rollup.rows)
    by_unit = {g: rollup.figure(rollup._items([g], periods)) for g in groups}
    total = rollup.figure(rollup._items(groups, periods)) if groups else {}
    expected = [(u.code, u.name) for u in store.units.children(code)]
    for c, _ in expected:
        status.setdefault(c, "missing")
    return Summary(form, code, period, rollup.indicators, total, by_unit, expected, status, names)


def _recomputed(form: Form, total: dict[str, object]) -> dict[str, object]:
    """Derived indicators (ratios: ``none``) recomputed from the totals, never summed."""
    from forms.engine import evaluate

    values = dict(total)
    state = evaluate(form, values).fields
    for q in form.fields():
        if q.calculation and q.name not in total and q.name in state:
            values[q.name] = state[q.name].value
    return values


def summary_paper(
    store, form_id: str, period: str, *, unit: str | None = None, lang: str | None = None
) -> Paper:
    """This unit's 汇总表 for ``period``: the form filled with the totals, then the breakdown
    by direct subordinate unit."""
    s = summarise(store, form_id, period, unit=unit, lang=lang)
    form = s.form
    values = _recomputed(form, s.total)
    lines = [
        ln
        for ln in _lines(form, values, {}, lang)
        if ln.heading
        or form.question(ln.name).type in _NUMERIC
        or form.question(ln.name).calculation
    ]
    lines = [ln for i, ln in enumerate(lines) if not ln.heading or _has_items(lines, i)]
    subs = [c for c, _ in s.expected]
    reported = sum(1 for c in subs if s.status.get(c) in ("data", "nil"))
    nil = sum(1 for c in subs if s.status.get(c) == "nil")
    missing = [n for c, n in s.expected if s.status.get(c) == "missing"]
    returned = [n for c, n in s.expected if s.status.get(c) == "returned"]
    title = tr("paper.summary.title", lang, title=form.title(lang))
    meta = [
        (tr("paper.summary.unit", lang), _unit_label(s.names, s.unit)),
        (tr("paper.period", lang), _period_label(s.period, lang)),
    ]
    if subs:
        meta.append(
            (
                tr("paper.summary.reported", lang),
                tr("paper.summary.counts", lang, done=reported, total=len(subs), nil=nil),
            )
        )
        if missing:
            meta.append((tr("paper.summary.missing", lang), "、".join(missing)))
        if returned:
            meta.append((tr("paper.summary.returned", lang), "、".join(returned)))
    # breakdown: the total, this unit's own data (本级), then every direct subordinate
    columns: list[tuple[str, str]] = [("", tr("paper.summary.total", lang))]
    if s.unit in s.by_unit:
        columns.append((s.unit, tr("paper.summary.own", lang)))
    columns += s.expected
    columns += [(g, s.names.name(g)) for g in sorted(s.by_unit) if g not in dict(columns)]
    indicators = [
        ln for ln in lines if not ln.heading and ln.name in {c.name for c in s.indicators}
    ]
    grid = []
    for ln in indicators:
        row = [number_text(s.total.get(ln.name))]
        for g, _ in columns[1:]:
            if s.status.get(g) == "missing":
                row.append(tr("paper.summary.not_reported", lang))
            elif s.status.get(g) == "nil":
                row.append(tr("paper.summary.nil", lang))
            elif s.status.get(g) == "returned":
                row.append(tr("paper.summary.returned_cell", lang))
            else:
                row.append(number_text((s.by_unit.get(g) or {}).get(ln.name)))
        grid.append(row)
    return Paper(
        "summary",
        title,
        lang,
        **_head(form, lang),
        meta=meta,
        value_header=tr("paper.summary.total", lang),
        lines=lines,
        signatures=_signatures(form, {}, lang),
        seal=True,
        breakdown=Breakdown(indicators, columns, grid),
        footer=f"{title} · {s.names.name(s.unit)} · {_period_label(s.period, lang)}",
    )


def _has_items(lines: list[Line], i: int) -> bool:
    return i + 1 < len(lines) and not lines[i + 1].heading


# -- one interview -------------------------------------------------------------------------
def interview_paper(
    store,
    form_id: str,
    uuid: str,
    *,
    lang: str | None = None,
    include_sensitive: bool = False,
) -> Paper:
    """One record's answers, section by section (top-level groups), for the archive.
    Sensitive answers (``kexie::sensitive``) are left out unless asked for."""
    row = store.get(form_id, uuid)
    if row is None or row.get("_deleted"):
        raise UsageError("paper.no_record", uuid=uuid, form=form_id, fix="paper.fix.no_record")
    form = _version(store, store.form(form_id), row)
    names = UnitNames(store.units, row.get("_unit") or store.unit_code)
    hidden = tr("paper.sensitive_left_out", lang)
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    general: list[tuple[str, str]] = []

    def answers(items: list[Question], data: dict, out: list) -> None:
        for q in items:
            if q.is_group:
                answers(q.children, data, out)
            elif q.is_repeat:
                for i, inst in enumerate(data.get(q.name) or [], start=1):
                    sub: list[tuple[str, str]] = []
                    answers(q.children, inst, sub)
                    if sub:
                        out.append((tr("paper.repeat_item", lang, label=q.label(lang), n=i), ""))
                        out.extend((f"　{k}", v) for k, v in sub)
            elif q.stores_value and q.type != "hidden":
                if q.sensitive and not include_sensitive:
                    if data.get(q.name) not in (None, ""):
                        out.append((q.label(lang), hidden))
                    continue
                text = answer_text(form, q, data.get(q.name), lang)
                if text:
                    out.append((question_label(q, lang), text))

    for q in form.children:
        if q.is_group:
            items: list[tuple[str, str]] = []
            answers(q.children, row, items)
            if items:
                sections.append((q.label(lang), items))
        else:
            answers([q], row, general)
    status = row.get("_status") or ""
    meta = [
        (tr("paper.interview.unit", lang), _unit_label(names, row.get("_unit") or "")),
        (tr("paper.interview.record", lang), uuid),
        (tr("paper.status", lang), tr(f"db.status.{status}", lang) if status else ""),
        (tr("paper.interview.author", lang), str(row.get("_author") or "")),
        (tr("paper.interview.modified", lang), str(row.get("_modified") or "")),
    ]
    if general:
        sections.insert(0, (tr("paper.interview.general", lang), general))
    explanations = row.get("_explanations") or {}
    notes = [
        (form.question(n).label(lang) if n in form else n, str(t)) for n, t in explanations.items()
    ]
    title = form.title(lang)
    return Paper(
        "interview",
        title,
        lang,
        **_head(form, lang),
        meta=meta,
        notes=notes,
        sections=sections,
        footer=f"{title} · {uuid}",
    )
