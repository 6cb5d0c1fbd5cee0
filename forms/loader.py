"""Turn an XLSForm workbook into a :class:`forms.model.Form`, collecting every located problem.

Reading follows pyxform's conventions (header aliases, ``label::Language (code)`` columns, yes/no
cells, begin/end pairs) without importing pyxform, which alone takes longer than our load budget.
Expressions are compiled by :mod:`forms.engine` (``build_plan``), which reports syntax errors,
unknown references and calculation cycles.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from forms.model import Choice, ChoiceList, Form, Question
from forms.workbook import read_sheets
from i18n.errors import FormError, Location, Problem

# -- header tables --------------------------------------------------------------------------------
SURVEY_ALIASES = {
    "type": "type",
    "command": "type",
    "name": "name",
    "value": "name",
    "tag": "name",
    "label": "label",
    "caption": "label",
    "hint": "hint",
    "guidance_hint": "guidance_hint",
    "required": "required",
    "required_message": "required_message",
    "requiredmsg": "required_message",
    "jr:requiredmsg": "required_message",
    "relevant": "relevant",
    "relevance": "relevant",
    "constraint": "constraint",
    "constraint_message": "constraint_message",
    "constraining_message": "constraint_message",
    "constraint_msg": "constraint_message",
    "jr:constraintmsg": "constraint_message",
    "calculation": "calculation",
    "calculate": "calculation",
    "choice_filter": "choice_filter",
    "appearance": "appearance",
    "default": "default",
    "read_only": "read_only",
    "readonly": "read_only",
    "repeat_count": "repeat_count",
    "count": "repeat_count",
    "jr:count": "repeat_count",
    "parameters": "parameters",
    "trigger": "trigger",
}
# bind::x / control::x legacy prefixes
PREFIXED = {
    "bind::relevant": "relevant",
    "bind::calculate": "calculation",
    "bind::required": "required",
    "bind::constraint": "constraint",
    "bind::readonly": "read_only",
    "bind::jr:constraintmsg": "constraint_message",
    "bind::jr:requiredmsg": "required_message",
    "control::appearance": "appearance",
    "control::jr:count": "repeat_count",
}
TRANSLATABLE = {"label", "hint", "guidance_hint", "constraint_message", "required_message"}
KEXIE_COLUMNS = {
    "kexie::aggregate",
    "kexie::of",
    "kexie::previous",
    "kexie::severity",
    "kexie::sensitive",
    "kexie::unit",
    "kexie::code",
}
CHOICE_ALIASES = {
    "list_name": "list_name",
    "list name": "list_name",
    "name": "name",
    "value": "name",
    "label": "label",
    "caption": "label",
}
SETTINGS_ALIASES = {
    "form_title": "form_title",
    "set_form_title": "form_title",
    "title": "form_title",
    "form_id": "form_id",
    "set_form_id": "form_id",
    "id_string": "form_id",
}

YES = {"yes", "true", "true()", "1", "y", "是"}
NO = {"no", "false", "false()", "0", "n", "否", ""}

SIMPLE_TYPES = {
    "text": "text",
    "string": "text",
    "tel": "text",
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "time": "time",
    "datetime": "dateTime",
    "range": "range",
    "acknowledge": "acknowledge",
    "trigger": "acknowledge",
    "note": "note",
    "calculate": "calculate",
    "hidden": "hidden",
    "geopoint": "geopoint",
    "gps": "geopoint",
    "location": "geopoint",
    "geotrace": "geotrace",
    "geoshape": "geoshape",
    "barcode": "barcode",
    "image": "image",
    "photo": "image",
    "add image prompt": "image",
    "add photo prompt": "image",
    "file": "file",
    "add file prompt": "file",
    "audio": "audio",
    "add audio prompt": "audio",
    "video": "video",
    "add video prompt": "video",
    "start": "start",
    "end": "end",
    "today": "today",
    "deviceid": "deviceid",
    "imei": "deviceid",
    "uri:deviceid": "deviceid",
    "username": "username",
    "phonenumber": "phonenumber",
    "email": "email",
    "subscriberid": "subscriberid",
    "simserial": "simserial",
    "start-geopoint": "start-geopoint",
    "audit": "audit",
    # Legacy spellings pyxform still knows (its question type dictionary).
    "add text prompt": "text",
    "q string": "text",
    "phone number": "text",  # with the constraint in LEGACY_CONSTRAINTS
    "add integer prompt": "integer",
    "q int": "integer",
    "add decimal prompt": "decimal",
    "q decimal": "decimal",
    "add date prompt": "date",
    "q date": "date",
    "add time prompt": "time",
    "q time": "time",
    "add datetime prompt": "dateTime",
    "add date time prompt": "dateTime",
    "q datetime": "dateTime",
    "q date time": "dateTime",
    "date time": "dateTime",
    "add note prompt": "note",
    "q note": "note",
    "add calculate prompt": "calculate",
    "q calculate": "calculate",
    "add acknowledge prompt": "acknowledge",
    "q acknowledge": "acknowledge",
    "add location prompt": "geopoint",
    "q location": "geopoint",
    "q geopoint": "geopoint",
    "add barcode prompt": "barcode",
    "q barcode": "barcode",
    "q picture": "image",
    "q image": "image",
    "q audio": "audio",
    "q video": "video",
    "get start time": "start",
    "start time": "start",
    "get end time": "end",
    "end time": "end",
    "get today": "today",
    "get device id": "deviceid",
    "device id": "deviceid",
    "get subscriber id": "subscriberid",
    "subscriber id": "subscriberid",
    "get sim id": "simserial",
    "sim id": "simserial",
    "get phone number": "phonenumber",
    "number of days in last month": "integer",
    "number of days in last six months": "integer",
    "number of days in last year": "integer",
    "percentage": "integer",
}
# Legacy types that carry a check in pyxform's dictionary (used when the row has none).
LEGACY_CONSTRAINTS = {
    "phone number": "regex(., '^\\d*$')",
    "number of days in last month": "0 <= . and . <= 31",
    "number of days in last six months": "0 <= . and . <= 183",
    "number of days in last year": "0 <= . and . <= 365",
    "percentage": "0 <= . and . <= 100",
}
# Recognised, not supported on the desktop: the row is left out with a warning.
IGNORED_TYPES = {
    "background-audio",
    "xml-external",
    "csv-external",
    "uri:username",
    "uri:email",
    "uri:phonenumber",
    "uri:subscriberid",
    "uri:simserial",
}
SELECT_PREFIXES = (
    ("select_one_from_file", "select_one_from_file"),
    ("select_multiple_from_file", "select_multiple_from_file"),
    ("select one from file", "select_one_from_file"),
    ("select multiple from file", "select_multiple_from_file"),
    ("select_one_external", "select_one"),
    ("select all that apply from", "select_multiple"),
    ("select all that apply", "select_multiple"),
    ("select one from", "select_one"),
    ("select_multiple", "select_multiple"),
    ("select multiple", "select_multiple"),
    ("select_one", "select_one"),
    ("select one", "select_one"),
    ("select1", "select_one"),
    ("add select one prompt using", "select_one"),
    ("add select multiple prompt using", "select_multiple"),
    ("select one using", "select_one"),
    ("select multiple using", "select_multiple"),
    ("select multiple from", "select_multiple"),
    ("q select1", "select_one"),
    ("q select", "select_multiple"),
    ("rank", "rank"),
    ("osm", "osm"),
)
# Longest first, so "select one using x" is not read as "select one" of list "using".
SELECT_PREFIXES = tuple(sorted(SELECT_PREFIXES, key=lambda p: -len(p[0])))  # type: ignore[assignment]  # same pairs, longest first
KNOWN_TYPE_WORDS = sorted(
    set(SIMPLE_TYPES)
    | {
        "select_one",
        "select_multiple",
        "select_one_from_file",
        "select_multiple_from_file",
        "select_one_external",
        "begin_group",
        "end_group",
        "begin_repeat",
        "end_repeat",
    }
)
_NAME_RX = re.compile(r"^[^\W\d][\w.\-]*$", re.UNICODE)
_LANG_CODE = re.compile(r"\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)?)\s*\)")


def language_code(raw: str) -> str:
    """App language code for a ``label::…`` suffix (``中文 (zh)`` → ``zh_CN``), else the name."""
    text = raw.strip()
    m = _LANG_CODE.search(text)
    code = m.group(1).lower() if m else text.lower()
    if code.startswith("zh") or code in {"chinese", "中文", "汉语", "简体中文"}:
        return "zh_CN"
    if code == "en" or code.startswith("en_") or code.startswith("en-") or code == "english":
        return "en"
    return text


@dataclass
class _Column:
    header: str  # as written
    key: str  # canonical column, or "" for an unknown one (kept in extra)
    lang: str | None = None


@dataclass
class _State:
    file: str | None
    problems: list[Problem] = field(default_factory=list)

    def error(
        self,
        code: str,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        fix: str | None = None,
        **params: object,
    ) -> None:
        self.problems.append(
            Problem(code, params, Location(sheet=sheet, row=row, column=column), "error", fix)
        )

    def warn(
        self,
        code: str,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        **params: object,
    ) -> None:
        self.problems.append(
            Problem(code, params, Location(sheet=sheet, row=row, column=column), "warning")
        )


def _find_sheet(sheets: dict[str, list[list[str]]], name: str) -> str | None:
    for title in sheets:
        if title.strip().lower() == name:
            return title
    return None


# pyxform reads a sheet until a run of empty rows (or header cells) longer than this: cells far
# below or to the right of the form (a stray note, a formatted but empty area) are not part of it.
MAX_EMPTY_ROWS = 60
MAX_EMPTY_COLUMNS = 20


@dataclass
class Table:
    header_row: int  # 1-based
    header: list[str]
    body: list[tuple[int, list[str]]]  # non-empty data rows with their 1-based row numbers
    ignored_row: int | None = None  # first non-empty row left out after a run of empty ones
    ignored_column: int | None = None  # first header cell left out after empty ones

    def __iter__(self):  # header_row, header, body = _table(rows)
        return iter((self.header_row, self.header, self.body))


def _table(rows: list[list[str]]) -> Table:
    """Header row number, header cells and the non-empty data rows (1-based row numbers)."""
    start = 0
    while start < len(rows) and not any(rows[start]):
        start += 1
    if start == len(rows):
        return Table(0, [], [])
    header = list(rows[start])
    ignored_column = None
    empty = 0
    for i, cell in enumerate(header):
        if cell:
            empty = 0
            continue
        empty += 1
        if empty > MAX_EMPTY_COLUMNS:
            rest = next((j for j in range(i, len(header)) if header[j]), None)
            ignored_column = rest + 1 if rest is not None else None
            header = header[:i]
            break
    while header and not header[-1]:
        header.pop()
    width = len(header)
    body: list[tuple[int, list[str]]] = []
    ignored_row = None
    empty = 0
    for i in range(start + 1, len(rows)):
        row = rows[i]
        if any(row[:width]):
            if empty > MAX_EMPTY_ROWS:
                ignored_row = i + 1
                break
            empty = 0
            body.append((i + 1, row))
        else:
            empty += 1
    return Table(start + 1, header, body, ignored_row, ignored_column)


def _survey_columns(header: list[str], sheet: str, st: _State, header_row: int) -> list[_Column]:
    columns: list[_Column] = []
    seen: dict[str, str] = {}
    for raw in header:
        col = _classify(raw)
        columns.append(col)
        if not col.key:
            continue
        ident = f"{col.key}::{col.lang}" if col.lang else col.key
        if ident in seen:
            if seen[ident] == raw:
                st.error("forms.load.duplicate_column", sheet, header_row, raw, column_name=raw)
            else:
                st.error(
                    "forms.load.alias_clash",
                    sheet,
                    header_row,
                    raw,
                    column_name=raw,
                    other=seen[ident],
                )
        else:
            seen[ident] = raw
    return columns


def _classify(raw: str) -> _Column:
    text = raw.strip()
    if not text:
        return _Column(raw, "")
    low = text.lower()
    if low in KEXIE_COLUMNS:
        return _Column(raw, low)
    if low.startswith("kexie::unit::"):
        return _Column(raw, "kexie::unit", language_code(text[len("kexie::unit::") :]))
    norm = low.replace("bind:", "bind::").replace("control:", "control::").replace("::::", "::")
    if norm in PREFIXED:
        return _Column(raw, PREFIXED[norm])
    if "::" in text:
        base, _, lang = text.partition("::")
        key = SURVEY_ALIASES.get(base.strip().lower().replace(" ", "_").replace("-", "_"))
        if key in TRANSLATABLE:
            return _Column(raw, key, language_code(lang))
        return _Column(raw, "")
    if ":" in text:  # legacy single colon: label:English
        base, _, lang = text.partition(":")
        key = SURVEY_ALIASES.get(base.strip().lower())
        if key in TRANSLATABLE and lang.strip():
            return _Column(raw, key, language_code(lang))
    key = SURVEY_ALIASES.get(low) or SURVEY_ALIASES.get(low.replace(" ", "_").replace("-", "_"))
    if key in TRANSLATABLE:
        return _Column(raw, key, "default")
    return _Column(raw, key or "")


def _parse_type(text: str) -> tuple[str, str | None, bool, str | None]:
    """(kind, list or file name, or_other, original word) from a type cell."""
    t = " ".join(text.split())
    low = t.lower()
    or_other = False
    for suffix in (" or_other", " or specify other", " or other"):
        if low.endswith(suffix):
            or_other = True
            t, low = t[: -len(suffix)], low[: -len(suffix)]
    for prefix, kind in SELECT_PREFIXES:
        if low == prefix or low.startswith(prefix + " "):
            rest = t[len(prefix) :].strip() or None
            external = prefix == "select_one_external"
            return (kind + ("@external" if external else "")), rest, or_other, prefix
    return low, None, or_other, None


class _Builder:
    def __init__(self, sheets: dict[str, list[list[str]]], name: str, st: _State) -> None:
        self.sheets = sheets
        self.name = name
        self.st = st
        self.root_name = "data"
        self.has_survey = False

    def table(self, title: str) -> Table:
        """A sheet's table; what pyxform would not read (far below or right) is a warning."""
        table = _table(self.sheets[title])
        if table.ignored_row is not None:
            self.st.warn(
                "forms.load.rows_ignored", title, table.ignored_row, first=table.ignored_row
            )
        if table.ignored_column is not None:
            self.st.warn(
                "forms.load.columns_ignored", title, table.header_row, first=table.ignored_column
            )
        return table

    def survey_title(self) -> str | None:
        """The survey sheet: named so, or (as pyxform) the workbook's only sheet."""
        title = _find_sheet(self.sheets, "survey")
        if title is None and len(self.sheets) == 1:
            title = next(iter(self.sheets))
            self.st.warn("forms.load.sheet_as_survey", title, name=title)
        return title

    # -- settings --------------------------------------------------------------------------
    def settings(self) -> dict[str, str]:
        title = _find_sheet(self.sheets, "settings")
        if title is None:
            return {}
        _, header, body = self.table(title)
        if not body:
            return {}
        row = body[0][1]
        out: dict[str, str] = {}
        for i, h in enumerate(header):
            if not h.strip():
                continue
            value = row[i] if i < len(row) else ""
            low = h.strip().lower()
            key = SETTINGS_ALIASES.get(low, h.strip() if low.startswith("kexie::") else low)
            out[key.lower() if key.startswith("kexie::") else key] = value
        return out

    # -- choices ---------------------------------------------------------------------------
    def choices(self, sheet_name: str, allow_dups: bool) -> tuple[dict[str, ChoiceList], list[str]]:
        title = _find_sheet(self.sheets, sheet_name)
        if title is None:
            return {}, []
        header_row, header, body = self.table(title)
        cols: list[tuple[str, str | None]] = []  # (key or extra header, lang)
        languages: list[str] = []
        for raw in header:
            text = raw.strip()
            low = text.lower()
            if "::" in text:
                base, _, lang = text.partition("::")
                if base.strip().lower() in ("label", "caption"):
                    code = language_code(lang)
                    cols.append(("label", code))
                    languages.append(code)
                    continue
                cols.append((text, None))
                continue
            key = CHOICE_ALIASES.get(low)
            if key == "label":
                cols.append(("label", "default"))
                languages.append("default")
            elif key:
                cols.append((key, None))
            else:
                cols.append((text, None))
        if not any(k == "list_name" for k, _ in cols):
            if body:
                self.st.error("forms.load.no_list_name_column", title, header_row)
            return {}, languages
        lists: dict[str, ChoiceList] = {}
        seen: dict[tuple[str, str], int] = {}
        for rownum, row in body:
            list_name = name = ""
            labels: dict[str, str] = {}
            extra: dict[str, str] = {}
            for i, (key, lang) in enumerate(cols):
                value = row[i] if i < len(row) else ""
                if key == "list_name":
                    list_name = value
                elif key == "name":
                    name = value
                elif key == "label":
                    if value:
                        labels[lang or "default"] = value
                elif key and value:
                    extra[key] = value
            if not list_name:
                continue
            if not name:
                self.st.error(
                    "forms.load.choice_no_name", title, rownum, "name", list_name=list_name
                )
                continue
            ident = (list_name, name)
            if ident in seen and not allow_dups:
                self.st.error(
                    "forms.load.duplicate_choice",
                    title,
                    rownum,
                    "name",
                    list_name=list_name,
                    name=name,
                    first=seen[ident],
                    fix="forms.fix.duplicate_choice",
                )
            seen.setdefault(ident, rownum)
            lists.setdefault(list_name, ChoiceList(list_name)).choices.append(
                Choice(name=name, labels=labels, extra=extra, row=rownum)
            )
        return lists, languages

    # -- survey ----------------------------------------------------------------------------
    def survey(
        self,
        choice_lists: dict[str, ChoiceList],
        external: dict[str, ChoiceList],
        source_dir: Path | None,
    ) -> tuple[list[Question], list[str]]:
        st = self.st
        title = self.survey_title()
        self.has_survey = title is not None
        if title is None:
            names = list(self.sheets)
            close = difflib.get_close_matches("survey", [n.lower() for n in names], n=1, cutoff=0.6)
            if close:
                st.error("forms.load.no_survey_suggest", suggestion=close[0])
            else:
                st.error("forms.load.no_survey", sheets=", ".join(names) or "-")
            return [], []
        sheet = "survey"
        header_row, header, body = self.table(title)
        columns = _survey_columns(header, sheet, st, header_row)
        keys = {c.key for c in columns}
        if "type" not in keys:
            st.error("forms.load.no_type_column", sheet, header_row)
            return [], []
        if "name" not in keys:
            st.error("forms.load.no_name_column", sheet, header_row)
            return [], []
        languages: list[str] = [c.lang for c in columns if c.lang and c.key == "label"]
        top: list[Question] = []
        stack: list[tuple[Question, str]] = []  # open group/repeat and its begin word
        by_scope: dict[tuple[str | None, str], int] = {}
        used: dict[str, int] = {}
        for rownum, row in body:
            cells: dict[str, str] = {}
            q_labels: dict[str, dict[str, str]] = {k: {} for k in TRANSLATABLE}
            units: dict[str, str] = {}
            extra: dict[str, str] = {}
            for i, col in enumerate(columns):
                value = row[i] if i < len(row) else ""
                if not value:
                    continue
                if col.key == "kexie::unit":
                    units[col.lang or "default"] = value
                elif col.key in TRANSLATABLE:
                    q_labels[col.key][col.lang or "default"] = value
                elif col.key:
                    cells[col.key] = value
                elif col.header.strip():
                    extra[col.header.strip()] = value
            type_text = cells.get("type", "")
            if not type_text:
                if cells.get("name") or any(q_labels["label"].values()):
                    st.error("forms.load.missing_type", sheet, rownum, "type")
                continue
            low = " ".join(type_text.lower().replace("_", " ").split())
            parent = stack[-1][0] if stack else None
            if low.startswith("end ") and low not in SIMPLE_TYPES:
                word = low.split(" ")[1] if len(low.split(" ")) > 1 else ""
                word = {"loop": "group", "lgroup": "repeat", "looped": "repeat"}.get(word, word)
                if not stack:
                    st.error("forms.load.unmatched_end", sheet, rownum, "type", type=type_text)
                    continue
                open_q, open_word = stack[-1]
                if open_word != word:
                    st.error(
                        "forms.load.mismatched_end",
                        sheet,
                        rownum,
                        "type",
                        type=type_text,
                        name=open_q.name,
                        begin_row=open_q.row,
                    )
                stack.pop()
                continue
            name = cells.get("name", "")
            q = Question(name=name, type="", row=rownum)
            q.labels = q_labels["label"]
            q.hints = q_labels["hint"]
            q.required_messages = q_labels["required_message"]
            q.constraint_messages = q_labels["constraint_message"]
            if q_labels["guidance_hint"]:
                for lang, text in q_labels["guidance_hint"].items():
                    extra[f"guidance_hint::{lang}"] = text
            q.units = units
            q.extra = extra
            self._fill(q, cells, sheet, rownum)
            kind = self._kind(q, type_text, low, choice_lists, external, source_dir, sheet, rownum)
            if kind is None:
                continue
            if kind == "calculate" and not q.calculation and not q.previous:
                st.error("forms.load.missing_calculation", sheet, rownum, "calculation", name=name)
            if q.previous and kind not in ("calculate", "hidden"):
                st.error(
                    "forms.load.previous_type", sheet, rownum, "kexie::previous", type=type_text
                )
            if not name and kind == "note":
                name = q.name = f"_note_row{rownum}"  # pyxform accepts unnamed notes
            elif not name:
                st.error("forms.load.missing_name", sheet, rownum, "name", type=type_text)
                name = q.name = f"_row{rownum}"
            elif not _NAME_RX.match(name):
                st.error(
                    "forms.load.bad_name",
                    sheet,
                    rownum,
                    "name",
                    name=name,
                    fix="forms.fix.bad_name",
                )
            scope_key = (parent.name if parent else None, name)
            if scope_key in by_scope:
                st.error(
                    "forms.load.duplicate_name",
                    sheet,
                    rownum,
                    "name",
                    name=name,
                    first=by_scope[scope_key],
                    fix="forms.fix.duplicate_name",
                )
            by_scope.setdefault(scope_key, rownum)
            if q.type == "repeat" and name.lower() == self.root_name:
                st.error("forms.load.reserved_name", sheet, rownum, "name", name=name)
            if name in used:
                # Same name in another group: allowed by XLSForm, but ours are unique form-wide.
                base = f"{parent.name}_{name}" if parent else name
                new = base
                n = 2
                while new in used:
                    new = f"{base}_{n}"
                    n += 1
                st.warn(
                    "forms.load.renamed_duplicate",
                    sheet,
                    rownum,
                    "name",
                    name=name,
                    new=new,
                    first=used[name],
                )
                q.extra["xlsform_name"] = name
                q.name = new
            used[q.name] = rownum
            q.parent = parent.name if parent else None
            (parent.children if parent else top).append(q)
            if q.or_other and q.type in ("select_one", "select_multiple"):
                self._add_other(q, choice_lists, used, parent, top)
            if q.type in ("group", "repeat"):
                stack.append((q, "repeat" if q.type == "repeat" else "group"))
        for open_q, word in stack:
            st.error(
                "forms.load.unclosed_begin",
                sheet,
                open_q.row,
                "type",
                type=f"begin {word}",
                name=open_q.name,
            )
        return top, languages

    @staticmethod
    def _add_other(
        q: Question,
        choice_lists: dict[str, ChoiceList],
        used: dict[str, int],
        parent: Question | None,
        top: list[Question],
    ) -> None:
        """``or_other`` as pyxform does it: an "other" choice and a "specify" text question."""
        from i18n import tr

        cl = choice_lists.get(q.list_name or "")
        if cl is not None and cl.get("other") is None:
            cl.choices.append(
                Choice(
                    "other", {lang: tr("forms.or_other.choice", lang) for lang in ("zh_CN", "en")}
                )
            )
        name = f"{q.name}_other"
        if name in used:
            return
        used[name] = q.row
        specify = Question(
            name=name,
            type="text",
            row=q.row,
            labels={lang: tr("forms.or_other.label", lang) for lang in ("zh_CN", "en")},
            relevant=f"selected(${{{q.name}}}, 'other')",
            parent=q.parent,
        )
        specify.extra["generated_by"] = "or_other"
        (parent.children if parent else top).append(specify)

    def _fill(self, q: Question, cells: dict[str, str], sheet: str, row: int) -> None:
        q.required = _boolean_expr(cells.get("required", ""))
        q.read_only = _boolean_expr(cells.get("read_only", ""))
        q.relevant = cells.get("relevant", "")
        q.constraint = cells.get("constraint", "")
        q.calculation = cells.get("calculation", "")
        q.choice_filter = cells.get("choice_filter", "")
        q.appearance = cells.get("appearance", "")
        q.default = cells.get("default", "")
        q.repeat_count = cells.get("repeat_count", "")
        q.trigger = cells.get("trigger", "")
        q.parameters = _parameters(cells.get("parameters", ""))
        aggregate = cells.get("kexie::aggregate", "").strip().lower()
        if aggregate:
            if aggregate in ("sum", "last", "average", "none"):
                q.aggregate = aggregate
            else:
                self.st.error(
                    "forms.load.bad_kexie_value",
                    sheet,
                    row,
                    "kexie::aggregate",
                    value=aggregate,
                    allowed="sum, last, average, none",
                )
        severity = cells.get("kexie::severity", "").strip().lower()
        if severity:
            if severity in ("error", "warning"):
                q.severity = severity
            else:
                self.st.error(
                    "forms.load.bad_kexie_value",
                    sheet,
                    row,
                    "kexie::severity",
                    value=severity,
                    allowed="error, warning",
                )
        q.of = cells.get("kexie::of", "").strip() or None
        q.code = cells.get("kexie::code", "").strip()
        q.previous = cells.get("kexie::previous", "").strip().removeprefix("${").rstrip("}")
        q.previous = q.previous.strip() or None
        sensitive = cells.get("kexie::sensitive", "").strip().lower()
        q.sensitive = bool(sensitive) and sensitive in YES

    def _kind(
        self,
        q: Question,
        type_text: str,
        low: str,
        choice_lists: dict[str, ChoiceList],
        external: dict[str, ChoiceList],
        source_dir: Path | None,
        sheet: str,
        row: int,
    ) -> str | None:
        st = self.st
        if low.startswith("begin "):
            word = low.split(" ")[1] if len(low.split(" ")) > 1 else ""
            if word == "group":
                q.type = "group"
            elif word in ("repeat", "lgroup") or low.startswith("begin looped group"):
                q.type = "repeat"
            elif word == "loop":
                st.warn("forms.load.loop_as_group", sheet, row, "type", type=type_text)
                q.type = "group"
                q.extra["xlsform_type"] = type_text
            else:
                self._unknown_type(type_text, sheet, row)
                return None
            return q.type
        kind, arg, or_other, prefix = _parse_type(type_text)
        if prefix is not None:
            q.or_other = or_other
            if kind in ("rank", "osm"):
                st.warn(
                    "forms.load.unsupported_type",
                    sheet,
                    row,
                    "type",
                    type=prefix,
                    instead="select_multiple" if kind == "rank" else "text",
                )
                q.extra["xlsform_type"] = type_text
                if kind == "osm":
                    q.type = "text"
                    return q.type
                kind = "select_multiple"
            external_list = kind.endswith("@external")
            kind = kind.removesuffix("@external")
            q.type = kind
            if not arg:
                st.error("forms.load.no_list_name", sheet, row, "type", type=type_text)
                return kind
            if kind.endswith("_from_file"):
                q.file_name = arg
                q.list_name = arg
                if arg not in choice_lists:
                    choice_lists[arg] = _file_list(arg, source_dir, st, sheet, row, q.parameters)
                return kind
            pool = external if external_list else choice_lists
            if arg in pool:
                q.list_name = (
                    arg if not external_list or arg not in choice_lists else f"{arg}@external"
                )
                if external_list and q.list_name not in choice_lists:
                    choice_lists[q.list_name] = pool[arg]
                return kind
            candidates = list(pool)
            close = difflib.get_close_matches(arg, candidates, n=1)
            if close:
                st.error(
                    "forms.load.missing_list_suggest",
                    sheet,
                    row,
                    "type",
                    list_name=arg,
                    suggestion=close[0],
                )
            else:
                st.error(
                    "forms.load.missing_list",
                    sheet,
                    row,
                    "type",
                    list_name=arg,
                    fix="forms.fix.missing_list",
                )
            q.list_name = arg
            return kind
        spelled = " ".join(type_text.lower().split())
        canonical = SIMPLE_TYPES.get(low) or SIMPLE_TYPES.get(spelled)
        if canonical:
            q.type = canonical
            implied = LEGACY_CONSTRAINTS.get(low) or LEGACY_CONSTRAINTS.get(spelled)
            if implied and not q.constraint:
                q.constraint = implied
            return canonical
        if low in IGNORED_TYPES or low.replace(" ", "-") in IGNORED_TYPES:
            st.warn("forms.load.ignored_type", sheet, row, "type", type=type_text)
            return None
        self._unknown_type(type_text, sheet, row)
        return None

    def _unknown_type(self, type_text: str, sheet: str, row: int) -> None:
        word = type_text.split()[0] if type_text.split() else type_text
        close = difflib.get_close_matches(word.lower(), KNOWN_TYPE_WORDS, n=1, cutoff=0.6)
        if close:
            self.st.error(
                "forms.load.unknown_type_suggest",
                sheet,
                row,
                "type",
                type=type_text,
                suggestion=close[0],
            )
        else:
            self.st.error(
                "forms.load.unknown_type",
                sheet,
                row,
                "type",
                type=type_text,
                fix="forms.fix.unknown_type",
            )


def _boolean_expr(text: str) -> str:
    low = text.strip().lower()
    if low in YES:
        return "true()"
    if low in NO:
        return ""
    return text.strip()


def _parameters(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in re.split(r"[\s;,]+", text.strip()):
        if "=" in part:
            key, _, value = part.partition("=")
            out[key.strip()] = value.strip().strip("'\"")
    return out


def _file_list(
    file_name: str,
    source_dir: Path | None,
    st: _State,
    sheet: str,
    row: int,
    params: dict[str, str],
) -> ChoiceList:
    """Choices of ``select_one_from_file`` from a CSV beside the form (warning when absent)."""
    out = ChoiceList(file_name)
    path = source_dir / file_name if source_dir else None
    if path is None or not path.is_file() or not file_name.lower().endswith(".csv"):
        st.warn("forms.load.external_file_missing", sheet, row, "type", file_name=file_name)
        return out
    value_col = params.get("value", "name")
    label_col = params.get("label", "label")
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    for i, rec in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        name = (rec.get(value_col) or "").strip()
        if not name:
            continue
        extra = {k: v for k, v in rec.items() if k and k not in (value_col, label_col) and v}
        out.choices.append(
            Choice(name, {"default": (rec.get(label_col) or name).strip()}, extra, i)
        )
    return out


def build_form(
    data: bytes, *, name: str, file: str | None = None, source_dir: Path | None = None
) -> tuple[Form | None, list[Problem]]:
    """Read ``data`` into a Form and the problems found (errors make the form unusable)."""
    st = _State(file)
    try:
        sheets = read_sheets(data, file)
    except FormError as exc:
        return None, [exc.as_problem()]
    builder = _Builder(sheets, name, st)
    settings = builder.settings()
    allow_dups = settings.get("allow_choice_duplicates", "").strip().lower() in YES
    choice_lists, choice_langs = builder.choices("choices", allow_dups)
    external, _ = builder.choices("external_choices", True)
    children, languages = builder.survey(choice_lists, external, source_dir)
    if builder.has_survey and not children and not st.problems:
        st.error("forms.load.empty_survey", "survey")
    if _find_sheet(sheets, "entities") is not None:
        st.warn("forms.load.entities_ignored", "entities")
    if settings.get("public_key"):
        st.warn("forms.load.public_key", "settings", column="public_key")
    titles: dict[str, str] = {}
    default_language = settings.get("default_language") or None
    for key, value in settings.items():
        if not value:
            continue
        if key == "form_title":
            titles["default"] = value
            if default_language:
                titles.setdefault(language_code(default_language), value)
        elif key.startswith(("form_title::", "kexie::title::")):
            titles[language_code(key.rsplit("::", 1)[1])] = value
        elif key.startswith("kexie::title::") and value:  # translated title (docs/forms.md)
            titles.setdefault(language_code(key.split("::", 2)[2]), value)
    form_id = settings.get("form_id") or name
    kind = settings.get("kexie::kind", "survey").strip().lower() or "survey"
    if kind not in ("survey", "report"):
        st.error(
            "forms.load.bad_kexie_value",
            "settings",
            column="kexie::kind",
            value=kind,
            allowed="survey, report",
        )
        kind = "survey"
    period = settings.get("kexie::period", "").strip().lower() or None
    if period is not None and period not in ("month", "quarter", "year"):
        st.error(
            "forms.load.bad_kexie_value",
            "settings",
            column="kexie::period",
            value=period,
            allowed="month, quarter, year",
        )
        period = None
    if kind == "report" and period is None:
        st.error("forms.load.report_needs_period", "settings", column="kexie::period")
    due = settings.get("kexie::due", "").strip()
    if due:
        from forms.periods import parse_due
        from i18n.errors import UsageError

        try:
            parse_due(due)
        except UsageError:
            st.error("forms.load.bad_due", "settings", column="kexie::due", value=due)
    langs = list(dict.fromkeys(languages + choice_langs))
    form = Form(
        form_id=form_id,
        version=settings.get("version", ""),
        titles=titles,
        default_language=language_code(default_language) if default_language else None,
        languages=langs,
        children=children,
        choice_lists=choice_lists,
        settings=dict(settings),
        kind=kind,
        period_type=period,
        report_key=settings.get("kexie::key", "").split(),
        instance_name=settings.get("instance_name", ""),
        source=file,
    )
    for key in form.report_key:
        if key not in form:
            st.error("forms.load.unknown_key", "settings", column="kexie::key", name=key)
    codes: dict[str, int] = {}
    for q in form.walk():
        if q.code:
            if q.code in codes:
                st.error(
                    "forms.load.duplicate_code",
                    "survey",
                    q.row,
                    "kexie::code",
                    value=q.code,
                    first=codes[q.code],
                )
            codes.setdefault(q.code, q.row)
    return form, st.problems
