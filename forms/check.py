"""Load and check an XLSForm: the one place that turns a workbook into a usable :class:`Form`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from forms.loader import build_form
from forms.model import Form
from i18n.errors import FormError, Location, Problem

_SEVERITY_ORDER = {"error": 0, "warning": 1}


@dataclass
class CheckResult:
    """A checked form: ``form`` is None when it cannot be used (see the error problems)."""

    form: Form | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.form is not None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _read(
    path_or_bytes: str | Path | bytes, name: str | None
) -> tuple[bytes, str, str | None, Path | None]:
    if isinstance(path_or_bytes, bytes | bytearray):
        return bytes(path_or_bytes), name or "form", None, None
    path = Path(path_or_bytes)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FormError(
            "cli.file_not_found", location=Location(file=str(path)), path=str(path)
        ) from None
    except IsADirectoryError:
        raise FormError(
            "cli.file_not_found", location=Location(file=str(path)), path=str(path)
        ) from None
    except OSError as exc:
        raise FormError(
            "forms.load.unreadable",
            location=Location(file=str(path)),
            detail=exc.strerror or str(exc),
        ) from None
    return data, name or path.stem, str(path), path.parent


def check_form(path_or_bytes: str | Path | bytes, *, name: str | None = None) -> CheckResult:
    """Read, check and compile a form; every problem is located (sheet, row, column)."""
    from forms.plan import build_plan

    try:
        data, stem, file, folder = _read(path_or_bytes, name)
    except FormError as exc:
        return CheckResult(None, [exc.as_problem()])
    form, problems = build_form(data, name=stem, file=file, source_dir=folder)
    if form is not None:
        had_errors = any(p.severity == "error" for p in problems)
        try:
            _, plan_problems = build_plan(form)
        except Exception:  # a form already broken elsewhere: report what we have
            if not had_errors:
                raise
            plan_problems = []
        problems = problems + plan_problems
    problems.sort(
        key=lambda p: (
            _SEVERITY_ORDER.get(p.severity, 2),
            p.location.sheet or "",
            p.location.row or 0,
        )
    )
    if any(p.severity == "error" for p in problems):
        return CheckResult(None, problems)
    assert form is not None
    form.warnings = [p for p in problems if p.severity == "warning"]
    return CheckResult(form, problems)


def load_form(path_or_bytes: str | Path | bytes, *, name: str | None = None) -> Form:
    """A usable form, or :class:`FormError` listing every problem (``problems``)."""
    result = check_form(path_or_bytes, name=name)
    if result.form is None:
        errors = result.errors
        first = errors[0]
        raise FormError(
            first.code, location=first.location, fix=first.fix, problems=errors, **first.params
        )
    return result.form
