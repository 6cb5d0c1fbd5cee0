"""XLSForm forms: load, check and evaluate (see docs/internals.md).

>>> from forms import load_form, check_form, builtin_form_paths, load_builtin
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from forms.check import CheckResult, check_form, load_form
from forms.model import Form

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"

__all__ = [
    "BUILTIN_DIR",
    "CheckResult",
    "Form",
    "builtin_form_paths",
    "check_form",
    "load_builtin",
    "load_form",
]


def builtin_form_paths() -> dict[str, Path]:
    """form_id → path of every built-in form (``forms/builtin/*.xlsx``), by the form's settings."""
    return dict(_builtin_paths())


@lru_cache(maxsize=1)
def _builtin_paths() -> tuple[tuple[str, Path], ...]:
    from forms.loader import _find_sheet, _table
    from forms.workbook import read_sheets

    found: list[tuple[str, Path]] = []
    for path in sorted(BUILTIN_DIR.glob("*.xlsx")):
        if path.name.startswith("~$"):
            continue
        form_id = path.stem
        try:
            sheets = read_sheets(path.read_bytes(), str(path))
        except Exception:
            found.append((form_id, path))
            continue
        title = _find_sheet(sheets, "settings")
        if title is not None:
            _, header, body = _table(sheets[title])
            for i, h in enumerate(header):
                if h.strip().lower() in ("form_id", "id_string", "set_form_id") and body:
                    row = body[0][1]
                    if i < len(row) and row[i]:
                        form_id = row[i]
        found.append((form_id, path))
    return tuple(found)


@cache
def load_builtin(form_id: str) -> Form:
    """The built-in form ``form_id`` (cached); KeyError-like FormError if there is none."""
    from i18n.errors import FormError

    paths = builtin_form_paths()
    if form_id not in paths:
        raise FormError("forms.builtin.unknown", form_id=form_id, known=", ".join(sorted(paths)))
    return load_form(paths[form_id])
