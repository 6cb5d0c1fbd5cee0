"""The form model: what a loaded XLSForm is, for every other part of the app.

This module is the contract between the form engine and its users (localdb builds tables from
it, exports writes headers from it, the desktop renders widgets from it). It holds no parsing and
no evaluation; see ``forms.loader`` and ``forms.engine``.

Conventions
- Question names are unique in a form (XLSForm requires it), so a question is addressed by name.
- Languages are app language codes (``zh_CN``, ``en``) when the XLSForm column names a known
  language (``label::中文 (zh)``, ``label::English (en)``, ``label::chinese``), otherwise the
  column's own language name. ``"default"`` is used for untranslated ``label`` columns.
- Answer values in Python: text/select_one/date/time/dateTime/geo → ``str`` (dates ISO
  ``YYYY-MM-DD``, dateTime ISO 8601, select_multiple space-separated choice names), integer →
  ``int``, decimal/range → ``float`` (``int`` when the range step is whole), empty → ``None``.
  A repeat's answer is a ``list`` of ``dict`` (one per instance).

Kexie extensions (namespaced XLSForm columns; see docs/forms.md)
- survey ``kexie::aggregate``: ``sum`` (flow) | ``last`` (stock) | ``average`` | ``none``
- survey ``kexie::of``: name of the total this item is a "其中" part of (checked: part ≤ total)
- survey ``kexie::previous`` (on a calculate/hidden row): name of a question; the row holds that
  question's value in the same unit's previous period (and ``kexie::key``), or is empty
- survey ``kexie::severity``: ``error`` (blocks finalising) | ``warning`` (needs an explanation)
- survey ``kexie::sensitive``: yes → personal data, left out of exports unless asked for
- survey ``kexie::unit`` (translatable like label): unit of measure shown in report grids (人, 次, 元)
- survey ``kexie::code``: the indicator's code on the paper form (代码: 01, 02, ...)
- settings ``kexie::table_no``: the form's table number (表号) printed on the paper form
- settings ``kexie::issued_by`` (translatable like form_title): the authority that set the form
  (制定机关), printed under the 表号
- settings ``kexie::kind``: ``survey`` (one record per respondent) | ``report`` (periodic report)
- settings ``kexie::period``: ``month`` | ``quarter`` | ``year`` (reports)
- settings ``kexie::key``: space-separated question names that, with unit × period, identify a
  report (e.g. a venue name when one unit reports for several venues)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from types import MappingProxyType

# Canonical question types. Aliases (``string``, ``int``, ``select one``, ``begin_group``, ...)
# are resolved by the loader into these names.
INPUT_TYPES = frozenset(
    {
        "text",
        "integer",
        "decimal",
        "select_one",
        "select_multiple",
        "date",
        "time",
        "dateTime",
        "range",
        "acknowledge",
        "geopoint",
        "geotrace",
        "geoshape",
        "barcode",
        "image",
        "file",
        "audio",
        "video",
        "select_one_from_file",
        "select_multiple_from_file",
    }
)
METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "username",
        "phonenumber",
        "email",
        "subscriberid",
        "simserial",
        "audit",
        "start-geopoint",
    }
)
STRUCTURE_TYPES = frozenset({"group", "repeat"})
OTHER_TYPES = frozenset({"note", "calculate", "hidden"})

AGGREGATIONS = ("sum", "last", "average", "none")
SEVERITIES = ("error", "warning")
PERIOD_TYPES = ("month", "quarter", "year")

# SQLite column type per question type (everything else is TEXT).
SQL_TYPES = MappingProxyType({"integer": "INTEGER", "decimal": "REAL", "range": "REAL"})


@dataclass
class Choice:
    """One option of a choice list."""

    name: str
    labels: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)  # filter columns, media, ...
    row: int = 0  # 1-based row on the choices sheet

    def label(self, lang: str | None = None) -> str:
        """The label in ``lang`` (falling back to any label, then the name)."""
        return pick_text(self.labels, lang) or self.name


@dataclass
class ChoiceList:
    """A named list on the choices sheet (or loaded from an attached CSV)."""

    name: str
    choices: list[Choice] = field(default_factory=list)

    def get(self, name: str) -> Choice | None:
        """The choice called ``name``, if any."""
        for choice in self.choices:
            if choice.name == name:
                return choice
        return None


@dataclass
class Question:
    """One row of the survey sheet (a group or repeat holds its rows in ``children``)."""

    name: str
    type: str  # canonical type, see the sets above
    row: int = 0  # 1-based row on the survey sheet
    labels: dict[str, str] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)
    required: str = ""  # expression or "true()"/"" after boolean normalisation
    required_messages: dict[str, str] = field(default_factory=dict)
    relevant: str = ""
    constraint: str = ""
    constraint_messages: dict[str, str] = field(default_factory=dict)
    calculation: str = ""
    choice_filter: str = ""
    appearance: str = ""
    default: str = ""
    read_only: str = ""
    repeat_count: str = ""
    trigger: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    list_name: str | None = None  # for select types
    or_other: bool = False
    file_name: str | None = None  # select_*_from_file
    children: list[Question] = field(default_factory=list)
    parent: str | None = None  # name of the enclosing group/repeat, None at top level
    # Kexie extensions
    aggregate: str | None = None
    of: str | None = None
    previous: str | None = None  # kexie::previous: holds that question's previous-period value
    severity: str = "error"
    sensitive: bool = False
    units: dict[str, str] = field(default_factory=dict)
    code: str = ""  # kexie::code, the indicator's code on the paper form (代码)
    extra: dict[str, str] = field(default_factory=dict)  # unknown columns, kept verbatim

    @property
    def is_group(self) -> bool:
        return self.type == "group"

    @property
    def is_repeat(self) -> bool:
        return self.type == "repeat"

    @property
    def stores_value(self) -> bool:
        """Whether answers to this question are stored (not groups, repeats or notes)."""
        return self.type not in STRUCTURE_TYPES and self.type != "note"

    @property
    def sql_type(self) -> str:
        """SQLite column type for this question's value."""
        return SQL_TYPES.get(self.type, "TEXT")

    def label(self, lang: str | None = None) -> str:
        """The label in ``lang`` (falling back to any label, then the name)."""
        return pick_text(self.labels, lang) or self.name

    def hint(self, lang: str | None = None) -> str:
        return pick_text(self.hints, lang)

    def unit(self, lang: str | None = None) -> str:
        """Unit of measure for report grids (``kexie::unit``), may be empty."""
        return pick_text(self.units, lang)

    def walk(self) -> Iterator[Question]:
        """This question and everything nested in it, in sheet order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Form:
    """A loaded, checked form."""

    form_id: str
    version: str
    titles: dict[str, str] = field(default_factory=dict)
    default_language: str | None = None
    languages: list[str] = field(default_factory=list)
    children: list[Question] = field(default_factory=list)  # top-level questions
    choice_lists: dict[str, ChoiceList] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)  # every settings cell, verbatim
    kind: str = "survey"  # survey | report
    period_type: str | None = None  # month | quarter | year, for reports
    report_key: list[str] = field(default_factory=list)  # extra key questions for reports
    instance_name: str = ""
    source: str | None = None  # file the form was loaded from
    warnings: list = field(default_factory=list)  # i18n.errors.Problem, severity warning
    _index: dict[str, Question] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the name → question index (call after changing ``children``)."""
        self._index = {q.name: q for q in self.walk()}

    def title(self, lang: str | None = None) -> str:
        return pick_text(self.titles, lang) or self.form_id

    @property
    def table_no(self) -> str:
        """The table number (表号) from settings ``kexie::table_no``, may be empty."""
        return (self.settings.get("kexie::table_no") or "").strip()

    def issued_by(self, lang: str | None = None) -> str:
        """The authority that set the form (制定机关), ``kexie::issued_by[::lang]``."""
        texts = {}
        for key, value in self.settings.items():
            if key == "kexie::issued_by" and value:
                texts["default"] = value
            elif key.startswith("kexie::issued_by::") and value:
                from forms.loader import language_code

                texts[language_code(key.split("::", 2)[2])] = value
        return pick_text(texts, lang)

    def walk(self) -> Iterator[Question]:
        """Every question, group and repeat in sheet order (depth first)."""
        for child in self.children:
            yield from child.walk()

    def question(self, name: str) -> Question:
        """The question called ``name`` (KeyError if none)."""
        return self._index[name]

    def get(self, name: str) -> Question | None:
        return self._index.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def fields(self, repeat: str | None = None) -> list[Question]:
        """Questions that store a value at one level: top level (``repeat=None``) or the direct
        level of the named repeat, looking through groups but not into nested repeats."""
        start = self.children if repeat is None else self.question(repeat).children
        out: list[Question] = []

        def visit(items: list[Question]) -> None:
            for q in items:
                if q.is_group:
                    visit(q.children)
                elif q.stores_value:
                    out.append(q)

        visit(start)
        return out

    def repeats(self) -> list[Question]:
        """Every repeat in the form (each becomes a child table)."""
        return [q for q in self.walk() if q.is_repeat]

    def ancestors(self, name: str) -> list[Question]:
        """Enclosing groups/repeats of ``name``, outermost first."""
        chain: list[Question] = []
        parent = self._index[name].parent
        while parent is not None:
            q = self._index[parent]
            chain.append(q)
            parent = q.parent
        return list(reversed(chain))

    def repeat_of(self, name: str) -> Question | None:
        """The innermost repeat enclosing ``name``, if any."""
        for q in reversed(self.ancestors(name)):
            if q.is_repeat:
                return q
        return None


def pick_text(texts: dict[str, str], lang: str | None) -> str:
    """Choose the text for ``lang``: exact, then zh_CN/en/default, then any."""
    if not texts:
        return ""
    if lang and texts.get(lang):
        return texts[lang]
    from i18n import get_language

    current = get_language()
    for key in (current, "default", "zh_CN", "en"):
        if texts.get(key):
            return texts[key]
    return next((t for t in texts.values() if t), "")
