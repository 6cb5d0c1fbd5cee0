"""Add a form: load an XLSForm from a file and show the problems ``forms check`` finds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop import dialogs
from desktop.errors import show_error
from i18n import tr
from i18n.errors import KexieError


def check_text(problems: list[Any]) -> str:
    """The problems of a form check, one per line, errors first."""
    ordered = sorted(problems, key=lambda p: p.severity != "error")
    return "\n".join(
        tr(f"ui.addform.{'error' if p.severity == 'error' else 'warning'}_line", text=p.message())
        for p in ordered[:40]
    )


def add_form(window: Any, path: str | None = None) -> Any:
    """Check the workbook at ``path`` (asked for when None) and add it to this installation.
    Returns the added form, or None."""
    path = path or dialogs.open_file(
        window, tr("ui.action.add_form"), tr("ui.filter.xlsform") + " (*.xlsx *.xls)"
    )
    if not path:
        return None
    from forms import check_form

    try:
        result = check_form(path)
    except KexieError as exc:
        show_error(window, exc)
        return None
    errors = [p for p in result.problems if p.severity == "error"]
    if errors or result.form is None:
        dialogs.warn(
            window,
            tr("ui.addform.failed_title"),
            tr("ui.addform.failed", file=Path(path).name, count=len(errors))
            + "\n\n"
            + check_text(result.problems),
        )
        return None
    try:
        form = window.store.add_form(path)
    except KexieError as exc:
        show_error(window, exc)
        return None
    text = tr("ui.addform.added", form=form.title())
    if result.problems:
        text += "\n\n" + tr("ui.addform.warnings") + "\n" + check_text(result.problems)
    dialogs.inform(window, tr("ui.action.add_form"), text)
    window.notify_changed(form.form_id)
    return form
