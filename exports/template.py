"""Fill-in templates (填报模板) for units without the app.

A template is one workbook laid out like the paper form: title, 表号 (form id and version), the
unit and the period, then one row per indicator (name, unit of measure, the value to fill in, a
说明 cell for indicators with a verification check, what is asked). Only the input cells are
unlocked; the sheet is protected. Each input cell has data validation (whole numbers, decimals,
ranges and bounds taken from simple constraints, choice lists, dates), "其中" items turn red by
conditional formatting when they exceed their total, and each input cell carries an Excel
defined name equal to its question name. The hidden ``_manifest`` sheet (``kexie-template``,
``exports.parcel``) holds form id and version, unit, period, template id, the cell of every
question and a hash of the form's structure.

:func:`import_template` reads a filled-in copy (Excel, WPS or LibreOffice), applies the form
engine's checks exactly as the app does — errors refuse the file naming the cell and the
indicator; a warning needs its 说明 — and saves the report as that unit's, finalised, with its
source (``_source`` = ``template:<template id>``) recorded. Importing the same file again
changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid as uuidlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

from exports.canonical import canonical_json
from exports.parcel import TEMPLATE, build_manifest, read_parcel, write_manifest_sheet
from exports.xlsx_stream import col_letter
from forms import periods as P
from i18n import tr
from i18n.errors import BundleError, Location, Problem, UsageError

SHEET_ZH, SHEET_EN = "填报", "Entry"
NAME_COL, UNIT_COL, INPUT_COL, EXPLAIN_COL, ASK_COL = 0, 1, 2, 3, 4
FIRST_ROW = 5  # 0-based row of the first indicator
_CELL_LIKE = re.compile(r"^[A-Za-z]{1,3}[0-9]+$|^[Rr][0-9]*[Cc][0-9]*$")
_MIN = re.compile(r"\.\s*>=\s*(-?\d+(?:\.\d+)?)")
_MAX = re.compile(r"\.\s*<=\s*(-?\d+(?:\.\d+)?)(?!\s*\.)")
_MAX_REF = re.compile(r"\.\s*<=\s*\$\{(\w+)\}")
INPUT_TYPES = ("integer", "decimal", "range", "text", "select_one", "select_multiple", "date")


def excel_name(name: str) -> str:
    """The defined name of a question's cell: the question name, unless Excel would read it
    as a cell reference (``ab12``, ``R1C1``), then prefixed with ``_``."""
    return f"_{name}" if _CELL_LIKE.match(name) else name


def structure_hash(form) -> str:
    """What a filled template depends on: every stored question with its type, checks and
    choices. A template made from another definition of the same version is refused."""
    parts = []
    for q in form.walk():
        if not q.stores_value:
            continue
        choices = []
        if q.list_name and q.list_name in form.choice_lists:
            choices = [c.name for c in form.choice_lists[q.list_name].choices]
        parts.append([q.name, q.type, q.constraint, q.severity, q.required, q.relevant,
                      q.calculation, q.of or "", choices, q.parameters])  # fmt: skip
    text = json.dumps([form.form_id, form.version, parts], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _choices(form, q) -> list[tuple[str, str]]:
    cl = form.choice_lists.get(q.list_name or "")
    return [(c.name, c.label()) for c in cl.choices] if cl else []


def _rows(form):
    """(kind, question) in paper order: groups as section rows, then their questions."""
    for q in form.walk():
        if q.type == "repeat":
            raise UsageError("template.repeats", form=form.title())
        if q.type == "group":
            yield "section", q
        elif q.type == "note":
            yield "note", q
        elif q.stores_value:
            if q.calculation and not q.labels:
                continue  # a helper the form works out for itself (e.g. last period's value)
            yield ("calc" if q.calculation else "input"), q


def write_template(store, form_id: str, *, unit: str, period: str, out: str | Path,
                   lang: str | None = None) -> dict:  # fmt: skip
    """Write the fill-in template of ``form_id`` for ``unit`` and ``period`` at ``out``."""
    import xlsxwriter

    from exports.packages import form_for_period
    from exports.parcel import atomic_write
    from localdb.units import require_code

    form = form_for_period(store, form_id, P.parse_period(period))
    if form.kind != "report":
        raise UsageError("template.not_report", form=form.title())
    period = P.parse_period(period, form.period_type)
    unit = require_code(unit)
    own = store.unit_code
    info = store.units.get(unit)
    if info is None:
        raise UsageError("template.unknown_unit", unit=unit)
    if own and not (unit == own or any(u.code == own for u in store.units.path(unit))):
        raise UsageError("template.outside", unit=unit, own=own)
    rows = list(_rows(form))
    zh = (lang or "zh_CN").startswith("zh")
    sheet = SHEET_ZH if zh else SHEET_EN
    cells: dict[str, str] = {}
    explain: dict[str, str] = {}
    layout: list[tuple[int, str, Any]] = []
    r = FIRST_ROW
    for kind, q in rows:
        layout.append((r, kind, q))
        if kind == "input":
            cells[q.name] = f"{col_letter(INPUT_COL)}{r + 1}"
        if (kind in ("input", "calc")) and q.constraint and q.severity == "warning":
            explain[q.name] = f"{col_letter(EXPLAIN_COL)}{r + 1}"
        r += 1
    template_id = str(uuidlib.uuid4())
    payload = {
        "form_id": form.form_id, "version": form.version, "title": form.title(),
        "unit": unit, "unit_name": info.name, "period": period, "template_id": template_id,
        "structure_sha256": structure_hash(form), "sheet": sheet, "cells": cells,
        "explain": explain,
        "names": {n: excel_name(n) for n in cells},
    }  # fmt: skip
    own_info = store.units.get(own) if own else None
    manifest = build_manifest(TEMPLATE, payload, unit=own or unit,
                              unit_name=own_info.name if own_info else "", clerk=store.clerk)  # fmt: skip

    def build(tmp: Path) -> None:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        f_title = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
        f_meta = wb.add_format({"font_size": 10})
        f_right = wb.add_format({"font_size": 10, "align": "right"})
        f_head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter",
                                "bg_color": "#D9E1F2", "text_wrap": True})  # fmt: skip
        f_section = wb.add_format({"bold": True, "border": 1, "bg_color": "#F2F2F2"})
        f_label = wb.add_format({"border": 1, "text_wrap": True, "valign": "vcenter"})
        f_centre = wb.add_format({"border": 1, "align": "center", "valign": "vcenter"})
        f_input = wb.add_format({"border": 1, "locked": False, "bg_color": "#FFFFE0"})
        f_date = wb.add_format({"border": 1, "locked": False, "bg_color": "#FFFFE0",
                                "num_format": "yyyy-mm-dd"})  # fmt: skip
        f_text_in = wb.add_format({"border": 1, "locked": False, "bg_color": "#FFFFE0",
                                   "num_format": "@"})  # fmt: skip
        f_calc = wb.add_format({"border": 1, "bg_color": "#EDEDED", "font_color": "#808080",
                                "italic": True, "align": "center"})  # fmt: skip
        f_explain = wb.add_format({"border": 1, "locked": False, "bg_color": "#FFF2CC",
                                   "text_wrap": True})  # fmt: skip
        f_none = wb.add_format({"border": 1})
        f_ask = wb.add_format({"border": 1, "font_size": 9, "font_color": "#595959",
                               "text_wrap": True, "valign": "vcenter"})  # fmt: skip
        f_bad = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        ws = wb.add_worksheet(sheet)
        ws.set_column(NAME_COL, NAME_COL, 40)
        ws.set_column(UNIT_COL, UNIT_COL, 9)
        ws.set_column(INPUT_COL, INPUT_COL, 16)
        ws.set_column(EXPLAIN_COL, EXPLAIN_COL, 28)
        ws.set_column(ASK_COL, ASK_COL, 44)
        ws.merge_range(0, 0, 0, ASK_COL, form.title(lang), f_title)
        ws.write_string(1, 0, tr("template.form_no", lang, form=form.form_id,
                                 version=form.version), f_meta)  # fmt: skip
        ws.write_string(1, ASK_COL, tr("template.made", lang, template=template_id[:8]), f_right)
        ws.write_string(2, 0, tr("template.unit", lang, unit=info.name, code=unit), f_meta)
        ws.write_string(2, INPUT_COL, tr("template.period", lang, period=P.label(period, lang)),
                        f_meta)  # fmt: skip
        rule = form.settings.get("kexie::due")
        if rule:
            due = P.due_date(period, rule)
            ws.write_string(2, ASK_COL, tr("template.due", lang, due=due.isoformat()), f_right)
        heads = ("template.head.name", "template.head.unit", "template.head.value",
                 "template.head.explain", "template.head.ask")  # fmt: skip
        for c, key in enumerate(heads):
            ws.write_string(FIRST_ROW - 1, c, tr(key, lang), f_head)
        ws.set_row(FIRST_ROW - 1, 30)
        for row, kind, q in layout:
            if kind in ("section", "note"):
                ws.merge_range(row, 0, row, ASK_COL, q.label(lang), f_section)
                continue
            ws.write_string(row, NAME_COL, q.label(lang), f_label)
            ws.write_string(row, UNIT_COL, q.unit(lang) or "", f_centre)
            ask = _ask(form, q, lang)
            ws.write_string(row, ASK_COL, ask, f_ask)
            ws.set_row(row, max(_height(ask, 44 * 1.1), _height(q.label(lang), 40)))
            if q.name in explain:
                ws.write_blank(row, EXPLAIN_COL, None, f_explain)
            else:
                ws.write_blank(row, EXPLAIN_COL, None, f_none)
            if kind == "calc":
                ws.write_string(row, INPUT_COL, tr("template.calculated", lang), f_calc)
                continue
            fmt = f_date if q.type == "date" else f_text_in if q.type == "text" else f_input
            ws.write_blank(row, INPUT_COL, None, fmt)
            ws.data_validation(row, INPUT_COL, row, INPUT_COL, _validation(form, q, cells, lang))
            wb.define_name(excel_name(q.name), f"='{sheet}'!${col_letter(INPUT_COL)}${row + 1}")
            if q.of and q.of in cells:
                me = f"{col_letter(INPUT_COL)}{row + 1}"
                total = "$" + cells[q.of].replace(
                    col_letter(INPUT_COL), col_letter(INPUT_COL) + "$"
                )
                ws.conditional_format(row, INPUT_COL, row, INPUT_COL, {
                    "type": "formula", "format": f_bad,
                    "criteria": f"=AND(ISNUMBER({me}),ISNUMBER({total}),{me}>{total})"})  # fmt: skip
        end = layout[-1][0] + 2 if layout else FIRST_ROW + 1
        f_foot = wb.add_format({"font_size": 10, "text_wrap": True, "valign": "top"})
        ws.merge_range(end, 0, end, ASK_COL, tr("template.footer", lang), f_foot)
        ws.set_row(end, 30)
        ws.protect("", {"format_columns": True, "format_rows": True, "select_locked_cells": True,
                        "select_unlocked_cells": True})  # fmt: skip
        ws.freeze_panes(FIRST_ROW, 0)
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(FIRST_ROW - 1)
        ws.set_footer(tr("template.print_footer", lang))
        ws.activate()
        write_manifest_sheet(wb, manifest)
        wb.close()

    atomic_write(Path(out), build)
    return {"out": str(out), "form": form.form_id, "version": form.version, "unit": unit,
            "period": period, "template_id": template_id, "cells": cells}  # fmt: skip


def _ask(form, q, lang) -> str:
    parts = []
    if q.required == "true()":
        parts.append(tr("template.ask.required", lang))
    if q.type in ("select_one", "select_multiple"):
        cl = form.choice_lists.get(q.list_name or "")
        labels = "、".join(c.label(lang) for c in cl.choices) if cl else ""
        key = "template.ask.many" if q.type == "select_multiple" else "template.ask.one"
        parts.append(tr(key, lang, choices=labels))
    if q.of and q.of in form:
        parts.append(tr("template.ask.of", lang, total=form.question(q.of).label(lang)))
    msg = q.constraint_messages.get(lang or "zh_CN") or next(
        iter(q.constraint_messages.values()), ""
    )
    if msg:
        parts.append(msg)
    if q.constraint and q.severity == "warning":
        parts.append(tr("template.ask.warning", lang))
    return " ".join(parts)


def _height(text: str, width_chars: float) -> float:
    """Row height (points) that shows ``text`` wrapped in a column ``width_chars`` wide (a
    CJK character takes two)."""
    units = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    lines = max(1, -(-units // int(width_chars)))
    return max(18.0, 14.0 * lines + 4)


def _validation(form, q, cells, lang) -> dict:
    title = q.label(lang)[:32]
    msg = (q.constraint_messages.get(lang or "zh_CN") or next(iter(q.constraint_messages.values()), "")
           or tr("template.bad_value", lang))[:255]  # fmt: skip
    base = {"error_title": title, "error_message": msg, "input_title": title,
            "input_message": (q.hint(lang) or "")[:255], "ignore_blank": True}  # fmt: skip
    if q.type in ("select_one",):
        labels = [label for _, label in _choices(form, q)]
        if labels and len(",".join(labels)) < 250:
            return {**base, "validate": "list", "source": labels}
        return {**base, "validate": "any"}
    if q.type == "date":
        return {**base, "validate": "date", "criteria": ">=", "value": date(1900, 1, 1)}
    if q.type in ("integer", "decimal", "range"):
        whole = q.type == "integer" or (q.type == "range" and _whole_range(q))
        lo = hi = None
        if q.type == "range":
            lo, hi = q.parameters.get("start"), q.parameters.get("end")
        elif q.severity == "error":
            m = _MIN.search(q.constraint)
            lo = m.group(1) if m else None
            m = _MAX.search(q.constraint)
            hi = m.group(1) if m else None
            ref = _MAX_REF.search(q.constraint)
            if hi is None and ref and ref.group(1) in cells:
                c = cells[ref.group(1)]
                hi = f"=${c[0]}${c[1:]}"
        kind = "integer" if whole else "decimal"
        big = 10**15
        lo_v = float(lo) if lo not in (None, "") and not str(lo).startswith("=") else -big
        if whole:
            lo_v = int(lo_v)
        if hi not in (None, "") and str(hi).startswith("="):
            return {**base, "validate": kind, "criteria": "between", "minimum": lo_v,
                    "maximum": hi}  # fmt: skip
        hi_v = float(hi) if hi not in (None, "") else big
        if whole:
            lo_v, hi_v = int(lo_v), int(hi_v)
        return {**base, "validate": kind, "criteria": "between", "minimum": lo_v,
                "maximum": hi_v}  # fmt: skip
    if q.type == "text":
        return {**base, "validate": "length", "criteria": "<=", "value": 32767}
    return {**base, "validate": "any"}


def _whole_range(q) -> bool:
    try:
        return (
            float(q.parameters.get("step", "1") or 1).is_integer()
            and float(q.parameters.get("start", "0") or 0).is_integer()
        )
    except ValueError:
        return False


def write_templates_for_subordinates(store, form_id: str, *, period: str, folder: str | Path,
                                     lang: str | None = None) -> list[dict]:  # fmt: skip
    """One template per direct subordinate unit of this installation, into ``folder``."""
    own = store.unit_code
    if not own:
        raise UsageError("bundle.export.no_unit", fix="bundle.fix.init_unit")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    form = store.form(form_id)
    for unit in store.units.children(own):
        if getattr(unit, "hidden", False):
            continue
        name = re.sub(
            r'[\\/:*?"<>|]', "_", f"{form.title(lang)}-{unit.name}-{unit.short_code}-{period}.xlsx"
        )
        out.append(write_template(store, form_id, unit=unit.code, period=period,
                                  out=folder / name, lang=lang))  # fmt: skip
    return out


# -- reading a filled-in template ------------------------------------------------------------
def _cell_value(q, raw, choices: dict[str, str]):
    """A cell as the answer the app would store; ValueError when it cannot be one."""
    from forms.types import coerce_answer

    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError
    if q.type == "date":
        if isinstance(raw, datetime):
            return raw.date().isoformat()
        if isinstance(raw, date):
            return raw.isoformat()
    if isinstance(raw, datetime | date):
        raise ValueError
    if q.type == "select_one" and isinstance(raw, str) and raw.strip() in choices:
        return choices[raw.strip()]
    if q.type == "select_multiple" and isinstance(raw, str):
        parts = [x for x in re.split(r"[、,，;；\s]+", raw.strip()) if x]
        raw = " ".join(choices.get(x, x) for x in parts)
    if isinstance(raw, float) and raw.is_integer() and q.type in ("integer", "text"):
        raw = int(raw)
    if q.type == "text" and not isinstance(raw, str):
        raw = str(raw)
    return coerce_answer(q, raw)


def import_template(store, path: str | Path) -> dict:
    """Check and take in a filled-in template (see the module docstring). Returns a summary;
    ``summary["refused"]`` lists the problems when the file was not taken (nothing changed)."""
    import openpyxl

    from forms.engine import evaluate

    path = Path(path)
    parcel = read_parcel(path, TEMPLATE)
    p = parcel.payload
    loc = Location(file=str(path))
    for key in ("form_id", "version", "unit", "period", "template_id", "cells", "sheet"):
        if key not in p:
            raise BundleError("bundle.manifest.broken", location=loc, fix="bundle.fix.resend",
                              key=key)  # fmt: skip
    own = store.unit_code
    unit = p["unit"]
    if not own or not (unit == own or any(u.code == own for u in store.units.path(unit))):
        raise BundleError("template.not_ours", location=loc, fix="template.fix.not_ours",
                          unit=unit, own=own or "")  # fmt: skip
    try:
        form = store.form(p["form_id"], p["version"])
    except Exception:
        raise BundleError("template.unknown_form", location=loc, fix="bundle.fix.install_form",
                          form=p["form_id"], version=p["version"]) from None  # fmt: skip
    if structure_hash(form) != p.get("structure_sha256"):
        raise BundleError("template.structure_changed", location=loc, form=form.title(),
                          version=form.version)  # fmt: skip
    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception:
        raise BundleError("bundle.file.truncated", location=loc, fix="bundle.fix.resend") from None
    sheet = p["sheet"]
    if sheet not in wb.sheetnames:
        raise BundleError("template.sheet_missing", location=loc, sheet=sheet)
    ws = wb[sheet]
    names = p.get("names") or {}
    defined = _defined_cells(wb)
    problems: list[Problem] = []
    answers: dict = {}
    where: dict[str, str] = {}
    bad_cells: set[str] = set()
    for name, cell in p["cells"].items():
        if name not in form:
            continue
        q = form.question(name)
        target = defined.get(names.get(name, name)) or (sheet, cell)
        where[name] = target[1]
        raw = wb[target[0]][target[1]].value if target[0] in wb.sheetnames else None
        try:
            answers[name] = _cell_value(q, raw, {label: n for n, label in _choices(form, q)})
        except Exception:
            bad_cells.add(name)
            problems.append(_problem(path, sheet, target[1], q, "template.bad_cell",
                                     value=str(raw)[:40]))  # fmt: skip
    # The same checks as an entry in the app, including those against the unit's previous
    # period (the store's save would otherwise refuse the report with no cell named).
    evaluation = evaluate(form, answers,
                          previous=store.previous_lookup(form.form_id, unit=unit,
                                                         period=p["period"]))  # fmt: skip
    explanations = {}
    for prob in evaluation.problems:
        name = prob.location.field
        if name is None or name not in form:
            continue
        q = form.question(name)
        what = tr(prob.code, **prob.params)
        if prob.severity == "error":
            if name in bad_cells:
                continue  # already named: the cell holds no usable value
            cell = where.get(name) or p["cells"].get(name) or ""
            problems.append(_problem(path, sheet, cell, q, "template.check_error", message=what))
            continue
        cell = (p.get("explain") or {}).get(name)
        text = ws[cell].value if cell else None
        if text is None or not str(text).strip():
            problems.append(_problem(path, sheet, cell or "", q, "template.needs_explanation",
                                     message=what))  # fmt: skip
        else:
            explanations[name] = str(text).strip()
    summary = {"form": form.form_id, "version": form.version, "unit": unit,
               "period": p["period"], "template_id": p["template_id"], "status": "refused",
               "refused": [x.as_dict() for x in problems]}  # fmt: skip
    if problems:
        problems.sort(key=lambda x: (x.params.get("row") or 0, str(x.params.get("cell"))))
        summary["refused"] = [x.as_dict() for x in problems]
        return summary
    values = evaluation.values
    report_key = {k: values.get(k) for k in form.report_key if k in form} or None
    uuid = store.find_report(form.form_id, unit=unit, period=p["period"], key=report_key)
    if uuid is not None:
        old = store.get(form.form_id, uuid) or {}
        same = all(_same(old.get(q.name), values.get(q.name)) for q in form.fields())
        old_expl = old.get("_explanations") or {}
        if same and all(old_expl.get(k) == v for k, v in explanations.items()):
            summary.update(status="unchanged", uuid=uuid, refused=[])
            return summary
    reason = tr("template.reason", file=path.name, template=p["template_id"][:8])
    store.backup("import")
    from localdb.schema import quote, table_name

    with store.db.atomic():
        uuid = store.save(form.form_id, values, uuid=uuid, unit=unit, period=p["period"],
                          status="finalised", reason=reason, explanations=explanations,
                          version=form.version, author=_author(values))  # fmt: skip
        store.db.execute(
            f"UPDATE {quote(table_name(form.form_id))} SET _source = ? WHERE _uuid = ?",
            [f"template:{p['template_id']}", uuid],
        )
    summary.update(status="saved", uuid=uuid, refused=[],
                   digest=hashlib.sha256(canonical_json(
                       {k: v for k, v in values.items() if v is not None}).encode()).hexdigest())  # fmt: skip
    return summary


def _author(values: dict) -> str | None:
    who = values.get("filled_by")
    return str(who) if who else None


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return str(a) == str(b)


def _defined_cells(wb) -> dict[str, tuple[str, str]]:
    """Workbook defined names that point at one cell: name → (sheet, "C12")."""
    out: dict[str, tuple[str, str]] = {}
    try:
        items = list(wb.defined_names.items())
    except Exception:
        return out
    for name, dn in items:
        try:
            dests = list(dn.destinations)
        except Exception:
            continue
        if len(dests) == 1:
            sheet, ref = dests[0]
            ref = ref.replace("$", "")
            if re.fullmatch(r"[A-Z]{1,3}[0-9]+", ref):
                out[name] = (sheet, ref)
    return out


def _problem(path, sheet, cell: str, q, code: str, **params) -> Problem:
    m = re.fullmatch(r"([A-Z]+)([0-9]+)", cell or "")
    # The message names the cell (C12) and the indicator; the location keeps them for machines.
    loc = Location(file=str(path), sheet=sheet, field=q.name)
    params["row"] = int(m.group(2)) if m else None
    return Problem(code, {"cell": cell, "label": q.label(), **params}, loc, "error",
                   "template.fix.correct")  # fmt: skip
