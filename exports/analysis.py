"""Records for analysts: ``kexie data FORM --format csv|sav|dta``.

One row per record (main table; repeat groups are not included), one variable per question:

- variable names are the question names made valid for SPSS and Stata (a letter first, then
  letters, digits and ``_``, at most 32 characters, unique); system variables come first:
  ``record_id``, ``unit_code``, ``unit_name``, ``period`` (reports), ``status``, ``created``,
  ``modified``, ``form_version``;
- variable labels are the question labels in the chosen language (Stata: cut to its 80
  characters), value labels the choice labels: a ``select_one`` is stored as its choice code
  (the choice name when every name is a whole number, else 1, 2, … in the order of the list),
  a ``select_multiple`` as one 0/1 variable per choice (``concerns_income``: 1 = chosen), the
  usual layout of a multiple-response set; empty or not applicable is missing;
- integers and decimals are numbers, ``date`` questions dates, everything else text;
- personal data (``kexie::sensitive``) is left out unless asked for.

CSV is for Excel: UTF-8 with a BOM, the header row holds the variable labels and selects read
as their labels (answers of a ``select_multiple`` joined by 、).

The SPSS and Stata files are written with pyreadstat (ReadStat), chosen by measurement against
pandas' own ``DataFrame.to_stata``; see docs/internals.md.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from exports.content import UnitNames
from exports.export import in_period
from exports.paper import question_label
from forms import periods as P
from forms.model import Form, Question
from i18n import tr
from i18n.errors import UsageError
from kexie import lifecycle as L
from localdb.units import resolve_unit

FORMATS = ("csv", "sav", "dta")
STATA_LABEL_MAX = 80
_NAME_OK = re.compile(r"[^A-Za-z0-9_]")
_STATA_RESERVED = {
    "aggregate",
    "array",
    "boolean",
    "break",
    "byte",
    "case",
    "catch",
    "class",
    "colvector",
    "complex",
    "const",
    "continue",
    "default",
    "delegate",
    "delete",
    "do",
    "double",
    "else",
    "eltypedef",
    "end",
    "enum",
    "explicit",
    "export",
    "external",
    "float",
    "for",
    "friend",
    "function",
    "global",
    "goto",
    "if",
    "inline",
    "int",
    "local",
    "long",
    "null",
    "pragma",
    "protected",
    "quad",
    "rowvector",
    "short",
    "typedef",
    "typename",
    "virtual",
    "_all",
    "_n",
    "_skip",
    "_b",
    "_pi",
    "in",
    "_pred",
    "strl",
    "_coef",
    "_rc",
    "using",
    "_cons",
    "_se",
    "with",
}  # fmt: skip  (Stata's reserved words, as pandas lists them)


@dataclass
class Variable:
    """One output variable."""

    name: str
    label: str
    kind: str  # number | text | date
    source: str  # question or system column it comes from
    value_labels: dict[int, str] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)  # select_one: choice name -> code
    choice: str | None = None  # select_multiple dummy: the choice it flags
    question: Question | None = None


class _Names:
    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, raw: str) -> str:
        name = _NAME_OK.sub("_", raw)
        if not name or not name[0].isalpha():
            name = f"v{name}"
        name = name[:32]
        base, n = name, 2
        while name.lower() in self.used or name.lower() in _STATA_RESERVED:
            suffix = f"_{n}"
            name = base[: 32 - len(suffix)] + suffix
            n += 1
        self.used.add(name.lower())
        return name


def _codes(form: Form, q: Question, lang: str | None) -> tuple[dict[str, int], dict[int, str]]:
    choices = form.choice_lists.get(q.list_name or "")
    items = list(choices.choices) if choices else []
    whole = items and all(re.fullmatch(r"-?\d{1,9}", c.name) for c in items)
    codes = {c.name: (int(c.name) if whole else i) for i, c in enumerate(items, start=1)}
    labels = {codes[c.name]: c.label(lang) for c in items}
    return codes, labels


def variables(form: Form, *, lang: str | None, include_sensitive: bool) -> list[Variable]:
    """The variables of ``form``'s data file, in order."""
    names = _Names()
    out = [
        Variable(names.make("record_id"), tr("bundle.col.uuid", lang), "text", "_uuid"),
        Variable(names.make("unit_code"), tr("bundle.col.unit", lang), "text", "_unit"),
        Variable(names.make("unit_name"), tr("bundle.col.unit_name", lang), "text", "~unit_name"),
    ]
    if form.kind == "report":
        out.append(Variable(names.make("period"), tr("bundle.col.period", lang), "text", "_period"))
    status = Variable(names.make("status"), tr("bundle.col.status", lang), "number", "_status")
    status.codes = {s: i for i, s in enumerate(L.STATUSES, start=1)}
    status.value_labels = {i: tr(f"db.status.{s}", lang) for s, i in status.codes.items()}
    out.append(status)
    for q in form.fields():
        if q.sensitive and not include_sensitive:
            continue
        label = question_label(q, lang)
        unit = q.unit(lang)
        if unit:
            label = (
                f"{label}（{unit}）" if (lang or "zh_CN").startswith("zh") else f"{label} ({unit})"
            )
        if q.type == "select_one" and q.list_name:
            v = Variable(names.make(q.name), label, "number", q.name, question=q)
            v.codes, v.value_labels = _codes(form, q, lang)
            out.append(v)
        elif q.type == "select_multiple" and q.list_name:
            choices = form.choice_lists.get(q.list_name)
            for c in choices.choices if choices else []:
                v = Variable(
                    names.make(f"{q.name}_{c.name}"),
                    f"{label}：{c.label(lang)}",
                    "number",
                    q.name,
                    choice=c.name,
                    question=q,
                )
                v.value_labels = {
                    0: tr("analysis.not_chosen", lang),
                    1: tr("analysis.chosen", lang),
                }
                out.append(v)
        elif q.type in ("integer", "decimal", "range"):
            out.append(Variable(names.make(q.name), label, "number", q.name, question=q))
        elif q.type == "date":
            out.append(Variable(names.make(q.name), label, "date", q.name, question=q))
        else:
            out.append(Variable(names.make(q.name), label, "text", q.name, question=q))
    for system, key in (
        ("created", "_created"),
        ("modified", "_modified"),
        ("form_version", "_form_version"),
    ):
        out.append(
            Variable(names.make(system), tr(f"bundle.col.{key.lstrip('_')}", lang), "text", key)
        )
    return out


def _value(v: Variable, row: dict, unit_names: UnitNames):
    if v.source == "~unit_name":
        return unit_names.name(row.get("_unit"))
    raw = row.get(v.source)
    if raw is None or raw == "":
        return None
    if v.choice is not None:
        return 1 if v.choice in str(raw).split() else 0
    if v.codes:
        return v.codes.get(str(raw))
    if v.kind == "number":
        return raw if isinstance(raw, int | float) else float(raw)
    if v.kind == "date":
        try:
            return date.fromisoformat(str(raw)[:10])
        except ValueError:
            return None
    return str(raw)


def _label_value(v: Variable, row: dict, unit_names: UnitNames, lang: str | None):
    """The CSV cell: choice labels instead of codes."""
    if v.source == "~unit_name":
        return unit_names.name(row.get("_unit"))
    raw = row.get(v.source)
    if raw is None or raw == "":
        return ""
    if v.choice is not None:
        return v.value_labels[1 if v.choice in str(raw).split() else 0]
    if v.codes:
        code = v.codes.get(str(raw))
        return v.value_labels.get(code, str(raw)) if code is not None else str(raw)
    return raw


def collect(
    store, form_id: str, *, period=None, within=None, drafts=False
) -> tuple[Form, list[dict]]:
    """The form and the records to write (not deleted; drafts only when asked for)."""
    form = store.form(form_id)
    if period:
        period = P.parse_period(period)
    code = resolve_unit(store.units, within).code if within else None
    statuses = list(L.EXPORTABLE) + ([L.DRAFT] if drafts else [])
    rows = [
        r
        for r in store.records(form_id, within=code, status=statuses)
        if not r.get("_deleted") and in_period(r, period)
    ]
    rows.sort(
        key=lambda r: (
            r.get("_unit") or "",
            r.get("_period") or "",
            r.get("_created") or "",
            r["_uuid"],
        )
    )
    return form, rows


def write_data(
    store,
    form_id: str,
    out: str | Path,
    *,
    fmt: str = "csv",
    lang: str | None = None,
    period: str | None = None,
    within: str | None = None,
    drafts: bool = False,
    include_sensitive: bool = False,
) -> int:
    """Write ``form_id``'s records to ``out`` as ``fmt``; returns the number of records. The
    file is written whole to a temporary name and then moved into place."""
    if fmt not in FORMATS:
        raise UsageError("analysis.bad_format", format=fmt, allowed=", ".join(FORMATS))
    out = Path(out)
    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir() or not folder.is_dir():
        raise UsageError("paper.write_failed", path=out,
                         error=tr("paper.is_folder" if out.is_dir() else "paper.no_folder"),
                         fix="paper.fix.write_failed")  # fmt: skip
    form, rows = collect(store, form_id, period=period, within=within, drafts=drafts)
    unit_names = UnitNames(store.units, store.unit_code)
    vars_ = variables(form, lang=lang, include_sensitive=include_sensitive)
    fd, tmp = tempfile.mkstemp(prefix=".kexie-data-", suffix=f".{fmt}", dir=folder)
    os.close(fd)
    try:
        if fmt == "csv":
            with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh)
                w.writerow([v.label for v in vars_])
                for r in rows:
                    w.writerow([_cell(_label_value(v, r, unit_names, lang)) for v in vars_])
        else:
            _write_stats(tmp, fmt, vars_, rows, unit_names)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, out)
    except OSError as exc:
        raise UsageError("paper.write_failed", path=out, error=exc.strerror or str(exc),
                         fix="paper.fix.write_failed") from exc  # fmt: skip
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return len(rows)


def _cell(value) -> object:
    # Excel would run text starting with = + - @ as a formula: prefix it with an apostrophe
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def frame(vars_: list[Variable], rows: list[dict], unit_names: UnitNames):
    """The records as a pandas DataFrame with the output's column types."""
    import pandas as pd

    data = {}
    for v in vars_:
        values = [_value(v, r, unit_names) for r in rows]
        if v.kind == "number":
            data[v.name] = (
                pd.array(values, dtype="float64") if values else pd.array([], dtype="float64")
            )
        elif v.kind == "date":
            data[v.name] = pd.to_datetime(pd.Series(values, dtype="object"), errors="coerce")
        else:
            data[v.name] = pd.Series([x if x is not None else "" for x in values], dtype="object")
    return pd.DataFrame(data, columns=[v.name for v in vars_])


def _write_stats(path: str, fmt: str, vars_: list[Variable], rows: list[dict], unit_names) -> None:
    import pyreadstat

    df = frame(vars_, rows, unit_names)
    value_labels: dict[str, dict[int | float, str]] = {
        v.name: dict(v.value_labels.items()) for v in vars_ if v.value_labels
    }
    if fmt == "sav":
        pyreadstat.write_sav(
            df,
            path,
            column_labels={v.name: v.label for v in vars_},
            variable_value_labels=value_labels,
        )
    else:
        pyreadstat.write_dta(
            df,
            path,
            column_labels={v.name: v.label[:STATA_LABEL_MAX] for v in vars_},
            variable_value_labels=value_labels,
            version=15,
        )
