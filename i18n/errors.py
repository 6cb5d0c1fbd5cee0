"""The one error hierarchy of Kexie Collect.

Every problem a user can cause or meet is a :class:`KexieError`. It carries a catalogue key
(``code``), the parameters of the message, where it happened (:class:`Location`) and, where
one fits, the catalogue key of a fix. The text is produced by :func:`i18n.tr` only when shown,
so the same error reads in Chinese or English.

The CLI prints :meth:`KexieError.message` on one line and exits 1; the desktop has one
function that turns any exception into a dialog. Core code never prints or shows dialogs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from i18n import get_language, shown, tr


@dataclass(frozen=True)
class Location:
    """Where a problem is: any of file, sheet, row (1-based, as Excel shows it), column, field."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None

    def describe(self, lang: str | None = None) -> str:
        """E.g. ``form.xlsx survey 第12行 constraint`` / ``form.xlsx survey row 12 constraint``."""
        parts: list[str] = []
        if self.file:
            parts.append(shown(Path(self.file).name))
        if self.sheet:
            parts.append(shown(self.sheet))
        if self.row is not None:
            parts.append(tr("loc.row", lang, row=self.row))
        if self.column:
            parts.append(shown(self.column))
        if self.field:
            parts.append(tr("loc.field", lang, field=self.field))
        return " ".join(parts)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form, without empty parts."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Problem:
    """One finding: a located, translatable message with a severity ('error' or 'warning')."""

    code: str
    params: dict[str, object] = field(default_factory=dict)
    location: Location = field(default_factory=Location)
    severity: str = "error"
    fix: str | None = None

    def message(self, lang: str | None = None) -> str:
        """The full one-line message: location, what is wrong, how to fix it."""
        where = self.location.describe(lang)
        what = tr(self.code, lang, **self.params)
        text = f"{where}: {what}" if where else what
        if self.fix:
            # Chinese sentences follow each other without a space; English ones need one.
            gap = "" if (lang or get_language()) == "zh_CN" else " "
            text = f"{text}{gap}{tr(self.fix, lang, **self.params)}"
        return text

    def as_dict(self, lang: str | None = None) -> dict[str, object]:
        """JSON-ready form used by ``kexie inspect`` and ``kexie forms check --json``."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message(lang),
            **self.location.as_dict(),
        }


class KexieError(Exception):
    """Root of every user-facing error. Subclass per area; never raise it with literal text."""

    def __init__(
        self,
        code: str,
        /,
        *,
        location: Location | None = None,
        fix: str | None = None,
        problems: list[Problem] | None = None,
        **params: object,
    ) -> None:
        self.code = code
        self.params = params
        self.location = location or Location()
        self.fix = fix
        self.problems = problems or []
        super().__init__(self.message("en"))

    def as_problem(self) -> Problem:
        """This error as a :class:`Problem` (for lists of findings)."""
        return Problem(self.code, dict(self.params), self.location, "error", self.fix)

    def message(self, lang: str | None = None) -> str:
        """One line in the user's language: where, what, and how to fix it."""
        return self.as_problem().message(lang)


class UsageError(KexieError):
    """Bad command-line input or settings (unknown unit code, missing file, ...)."""


class FormError(KexieError):
    """A form definition cannot be used; ``problems`` lists every located problem."""


class ExpressionError(FormError):
    """An XLSForm expression does not parse or cannot be evaluated."""


class ValidationError(KexieError):
    """An answer or record breaks a rule of its form."""


class StorageError(KexieError):
    """The local database cannot do what was asked (locked, read-only, full, too new)."""


class BundleError(KexieError):
    """A bundle file is broken, hostile, tampered with or not acceptable here."""


class Cancelled(KexieError):
    """The user cancelled a long job; nothing was changed."""

    def __init__(self) -> None:
        super().__init__("task.cancelled")
