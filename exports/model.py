"""Data shapes shared by the bundle modules and their callers (CLI, desktop, benchmarks)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from i18n.errors import Problem


@dataclass
class Column:
    """One column of a bundle table: its stable name, value kind and human header."""

    name: str
    kind: str  # exports.format INT | FLOAT | TEXT
    label: str = ""
    aggregate: str | None = None  # sum | last | average | none (report indicators)
    hidden: bool = False
    width: float = 12
    # Display columns: choice name -> label (selects) or question name -> label (explanations)
    choices: dict[str, str] | None = None
    explains: bool = False  # the display column of ``_explanations``
    history: bool = False  # the display column of ``_returns`` (returns for correction)
    separator: str = "、"  # between the labels of a select_multiple answer

    @property
    def derived(self) -> bool:
        """Display-only columns (``~unit_name``, ``~<select question>`` with choice labels) are
        rebuilt on writing and skipped on reading."""
        return self.name.startswith("~")


@dataclass
class TableSpec:
    """A table of a bundle: a form's main table, one of its repeats, or the tombstones."""

    table: str  # "kexie_survey", "kexie_survey__children", "_tombstones"
    form_id: str | None
    repeat: str | None
    title: str
    columns: list[Column]
    kind: str = "survey"  # form kind: survey | report
    sheet: str = ""  # assigned by the writer

    def names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass
class TableData:
    """A table's rows for the writer: ``rows()`` yields tuples aligned with ``spec.columns``."""

    spec: TableSpec
    count: int
    rows: Callable[[], Iterable[tuple]]


@dataclass
class SheetGrid:
    """A small human sheet (roll-up, completeness): header, rows, which rows are totals."""

    name: str
    title: str
    header: list[str]
    rows: list[list]
    total_rows: set[int] = field(default_factory=set)
    chart: dict | None = None  # {"title", "first", "last", "category_col", "value_cols"}
    widths: list[float] = field(default_factory=list)
    header_rows: set[int] = field(default_factory=set)  # rows styled as a header (new block)


@dataclass
class ExportSummary:
    """What ``export_bundle`` wrote."""

    path: Path
    sha256: str
    counts: dict[str, int]
    tombstones: int
    drafts_left_out: int
    sensitive_omitted: dict[str, list[str]]
    seconds: float = 0.0
    marked_exported: int = 0  # finalised records now 'exported' in the local store


@dataclass
class Inspection:
    """The verdict on one bundle file (``kexie inspect``)."""

    valid: bool
    unit: str | None
    contains: list[str]
    counts: dict[str, int]
    sha256: str | None
    findings: list[Problem]
    manifest: dict

    def as_dict(self, lang: str | None = None) -> dict:
        """JSON-ready form printed by ``kexie inspect``."""
        return {
            "valid": self.valid,
            "unit": self.unit,
            "contains": self.contains,
            "counts": self.counts,
            "sha256": self.sha256,
            "findings": [p.as_dict(lang) for p in self.findings],
            "manifest": self.manifest,
        }


@dataclass
class Change:
    """One superseded or conflicting record: which, where, and the fields that differ."""

    form_id: str
    uuid: str
    unit: str | None
    period: str | None
    fields: dict[str, tuple[object, object]]  # name -> (old, new)
    reason: str = ""  # catalogue key


@dataclass
class ImportSummary:
    """What ``import_bundle`` did (or, when ``refused``, why it did nothing)."""

    path: Path
    sha256: str | None = None
    added: int = 0
    superseded: list[Change] = field(default_factory=list)
    unchanged: int = 0
    kept_newer: int = 0  # the bundle held an older version than ours: ours kept
    deleted: int = 0
    conflicts: list[Change] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)
    backup: Path | None = None
    forms_added: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # noticed, not refused (macros ...)
    unit: str | None = None  # the bundle's unit, once its manifest was read


@dataclass
class MergeSummary:
    """What ``merge_bundles`` wrote and what it noticed on the way."""

    path: Path
    sha256: str = ""
    inputs: int = 0
    skipped_same: list[str] = field(default_factory=list)  # a bundle given twice
    refused: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    superseded: list[Change] = field(default_factory=list)
    conflicts: list[Change] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    contains: list[str] = field(default_factory=list)
    seconds: float = 0.0
