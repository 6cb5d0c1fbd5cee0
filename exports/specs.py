"""From forms to bundle tables: which columns, in which order, of which kind, with which header."""

from __future__ import annotations

import json
import math
from typing import Any

from exports import cells
from exports.format import (
    FLOAT,
    INT,
    REPEAT_SYSTEM_COLUMNS,
    TEXT,
    TOMBSTONE_COLUMNS,
    TOMBSTONE_TABLE,
)
from exports.model import Column, TableSpec
from forms.model import Form, Question
from i18n import tr
from i18n.errors import BundleError, Location
from kexie.lifecycle import STATUSES, carried

_HIDDEN_SYSTEM = {"_uuid", "_created", "_form_version", "_parent_uuid"}
_SYSTEM_KINDS = {
    "~_explanations": TEXT,
    "~_status": TEXT,
    "~_returns": TEXT,
    "_returns": TEXT,
    "_uuid": TEXT,
    "_unit": TEXT,
    "_period": TEXT,
    "_status": TEXT,
    "_form_version": TEXT,
    "_created": TEXT,
    "_modified": TEXT,
    "_author": TEXT,
    "_explanations": TEXT,
    "_parent_uuid": TEXT,
    "_index": INT,
    "_form": TEXT,
    "~unit_name": TEXT,
}
_HEAD = ("_unit", "~unit_name", "_period")
_TAIL = (
    "_status",
    "_explanations",
    "_returns",
    "_author",
    "_modified",
    "_created",
    "_form_version",
    "_uuid",
)


def question_kind(q: Question) -> str:
    """The value kind of a question's answers (see forms/model.py)."""
    if q.type == "integer":
        return INT
    if q.type == "decimal":
        return FLOAT
    if q.type == "range":
        try:
            step = float(q.parameters.get("step", "1") or 1)
            start = float(q.parameters.get("start", "0") or 0)
        except ValueError:
            return FLOAT
        return INT if step.is_integer() and start.is_integer() else FLOAT
    return TEXT


def system_column(name: str, lang: str | None) -> Column:
    return Column(
        name,
        _SYSTEM_KINDS[name],
        tr(f"bundle.col.{name.lstrip('_~')}", lang),
        hidden=name in _HIDDEN_SYSTEM,
        width=24 if name in {"~unit_name", "_explanations"} else 12,
    )


def question_column(q: Question, form: Form, lang: str | None) -> Column:
    label = q.label(lang)
    unit = q.unit(lang)
    if unit:
        label = f"{label}（{unit}）" if (lang or "zh_CN").startswith("zh") else f"{label} ({unit})"
    aggregate = q.aggregate
    kind = question_kind(q)
    if aggregate is None and form.kind == "report" and kind in (INT, FLOAT):
        aggregate = "sum"
    width = min(40, max(10, len(label) * 1.6 + 2))
    return Column(q.name, kind, label, aggregate=aggregate, width=width)


def question_columns(q: Question, form: Form, lang: str | None) -> list[Column]:
    """The column of a question; a select question with a choice list gets a visible column of
    choice labels in front of its (then hidden) column of choice names."""
    col = question_column(q, form, lang)
    choices = form.choice_lists.get(q.list_name or "") if q.type.startswith("select_") else None
    if choices is None or not choices.choices:
        return [col]
    zh = (lang or "zh_CN").startswith("zh")
    shown = Column(
        f"~{q.name}",
        TEXT,
        col.label,
        width=col.width,
        choices={c.name: c.label(lang) for c in choices.choices},
        separator="、" if zh else ", ",
    )
    col.label = f"{col.label}（代码）" if zh else f"{col.label} (code)"
    col.hidden = True
    return [shown, col]


def form_specs(
    form: Form, *, include_sensitive: bool, lang: str | None
) -> tuple[list[TableSpec], list[str]]:
    """The tables of ``form`` (main, then one per repeat) and the sensitive questions left out."""
    omitted = [q.name for q in form.walk() if q.sensitive and q.stores_value]
    skip = set() if include_sensitive else set(omitted)
    title = form.title(lang)
    questions = [
        c for q in form.fields() if q.name not in skip for c in question_columns(q, form, lang)
    ]
    main_cols = [system_column(n, lang) for n in _HEAD]
    main_cols += questions + [system_column(n, lang) for n in _TAIL]
    # Explanations read as "label：text" in a visible column; the JSON travels hidden.
    at = next(i for i, c in enumerate(main_cols) if c.name == "_explanations")
    raw = main_cols[at]
    shown = Column(
        "~_explanations", TEXT, raw.label, width=raw.width, explains=True,
        choices={q.name: q.label(lang) for q in form.walk() if q.stores_value},
        separator="、" if (lang or "zh_CN").startswith("zh") else ", ",
    )  # fmt: skip
    raw.hidden = True
    raw.label = f"{raw.label} (JSON)"
    main_cols.insert(at, shown)
    # Returns for correction read as sentences; the JSON history travels hidden.
    at = next(i for i, c in enumerate(main_cols) if c.name == "_returns")
    raw = main_cols[at]
    raw.hidden = True
    raw.label = f"{raw.label} (JSON)"
    main_cols.insert(at, Column("~_returns", TEXT, tr("bundle.col.returns", lang), width=40,
                                history=True,
                                choices={q.name: q.label(lang) for q in form.walk() if q.stores_value},
                                separator="、" if (lang or "zh_CN").startswith("zh") else ", "))  # fmt: skip
    # Statuses read in words (已定稿, 空表); the status name travels hidden.
    at = next(i for i, c in enumerate(main_cols) if c.name == "_status")
    raw = main_cols[at]
    statuses = STATUSES
    main_cols.insert(at, Column("~_status", TEXT, raw.label, width=raw.width,
                                choices={x: tr(f"db.status.{x}", lang) for x in statuses}))  # fmt: skip
    raw.hidden = True
    raw.label = (
        f"{raw.label}（代码）" if (lang or "zh_CN").startswith("zh") else f"{raw.label} (code)"
    )
    specs = [TableSpec(form.form_id, form.form_id, None, title, main_cols, kind=form.kind)]
    for rep in form.repeats():
        cols = [system_column(n, lang) for n in ("_parent_uuid", "_index")]
        cols += [
            question_column(q, form, lang) for q in form.fields(rep.name) if q.name not in skip
        ]
        cols.append(system_column("_uuid", lang))
        specs.append(
            TableSpec(
                f"{form.form_id}__{rep.name}",
                form.form_id,
                rep.name,
                f"{title}-{rep.label(lang)}",
                cols,
                kind=form.kind,
            )
        )
    return specs, omitted if not include_sensitive else []


def tombstone_spec(lang: str | None) -> TableSpec:
    cols = [system_column(n, lang) for n, _ in TOMBSTONE_COLUMNS]
    return TableSpec(TOMBSTONE_TABLE, None, None, TOMBSTONE_TABLE, cols)


def merge_columns(specs: list[TableSpec]) -> TableSpec:
    """One spec for the same table across form versions: columns of the first (newest), then
    any others in order of appearance; repeat system columns keep their place."""
    first = specs[0]
    cols = list(first.columns)
    names = {c.name for c in cols}
    tail_at = next((i for i, c in enumerate(cols) if c.name == "_status"), len(cols))
    extra = []
    for spec in specs[1:]:
        for c in spec.columns:
            if c.name not in names:
                names.add(c.name)
                extra.append(c)
    cols[tail_at:tail_at] = extra
    return TableSpec(first.table, first.form_id, first.repeat, first.title, cols, first.kind)


_REPEAT_KEYS = {n for n, _ in REPEAT_SYSTEM_COLUMNS}


class Normaliser:
    """Turns store rows into carried rows (typed, non-empty, checked) and sheet tuples."""

    def __init__(self, spec: TableSpec, file: str | None = None) -> None:
        self.spec = spec
        self.file = file
        self.carried = [(c.name, c.kind) for c in spec.columns if not c.derived]
        self.names = spec.names()
        self.labels = {c.name: c for c in spec.columns if c.choices is not None}

    def carry(self, row: dict) -> dict:
        """The values of ``row`` the bundle carries, converted to their column's kind.
        ``exported`` is carried as ``finalised`` (see docs/bundle-format.md, What travels)."""
        out = {}
        for name, kind in self.carried:
            v = row.get(name)
            if v is None or v == "":
                continue
            if kind == TEXT:
                if type(v) is not str:
                    v = str(v) if not isinstance(v, float) or not v.is_integer() else str(int(v))
                elif name == "_status":
                    v = carried(v)  # exported is a local note ("has been sent")
                if cells.too_long(v):
                    raise self._error("bundle.export.too_long", row, name, length=len(v))
            elif kind == INT:
                if isinstance(v, float) and v.is_integer():
                    v = int(v)
                elif isinstance(v, str):
                    try:
                        v = int(v)
                    except ValueError:
                        raise self._error("bundle.export.bad_number", row, name, value=v) from None
                elif not isinstance(v, int):
                    raise self._error("bundle.export.bad_number", row, name, value=v)
            else:
                if isinstance(v, str):
                    try:
                        v = float(v)
                    except ValueError:
                        raise self._error("bundle.export.bad_number", row, name, value=v) from None
                v = float(v)
                if not math.isfinite(v):
                    raise self._error("bundle.export.bad_number", row, name, value=v)
            out[name] = v
        return out

    def _error(self, code: str, row: dict, name: str, **params: Any) -> BundleError:
        return BundleError(
            code,
            location=Location(file=self.file, sheet=self.spec.title, field=name),
            fix="bundle.fix.edit_record",
            uuid=row.get("_uuid", ""),
            **params,
        )

    def sheet_row(self, carried: dict, unit_name) -> tuple:
        """Values in column order for the sheet; big integers as text, derived names filled."""
        out = []
        for name in self.names:
            if name == "~unit_name":
                out.append(unit_name(carried.get("_unit")))
                continue
            col = self.labels.get(name)
            if col is not None:
                out.append(display_value(col, carried.get(source_of(col))))
                continue
            v = carried.get(name)
            if type(v) is int and cells.needs_text(v):
                v = str(v)
            out.append(v)
        return tuple(out)


def source_of(col: Column) -> str:
    """The carried column a display column shows (``~sex`` → ``sex``, ``~_status`` →
    ``_status``)."""
    return col.name[1:]


def display_value(col: Column, value: object) -> str | None:
    """The text of a display column for the carried ``value`` of its source column."""
    if col.explains:
        return explanation_text(col, value)
    if col.history:
        from exports.returns import history_text

        return history_text(value, zh=col.separator == "、", labels=col.choices)
    return choice_labels(col, value)


def explanation_text(col: Column, value: object) -> str | None:
    """``{"field": "text"}`` as ``label：text；label：text`` (the JSON itself if it is not)."""
    if value is None or value == "":
        return None
    try:
        data = json.loads(str(value))
    except ValueError:
        return str(value)
    if not isinstance(data, dict) or not data:
        return str(value) if data else None
    labels = col.choices or {}
    zh = col.separator == "、"
    sep, colon = ("；", "：") if zh else ("; ", ": ")
    return sep.join(f"{labels.get(k, k)}{colon}{v}" for k, v in data.items())


def choice_labels(col: Column, value: object) -> str | None:
    """The labels of the choice name(s) in ``value`` (unknown names shown as they are)."""
    if value is None or value == "":
        return None
    choices = col.choices or {}
    text = str(value)
    if text in choices:
        return choices[text]
    return col.separator.join(choices.get(part, part) for part in text.split())
