"""Add a form: load an XLSForm from a file and show the problems ``forms check`` finds.

Checking a large workbook can take a second, so the check and the registration run through
:func:`desktop.ops.run_op` like every other slow job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop import dialogs
from desktop.ops import Op, run_op
from i18n import tr


def check_text(problems: list[Any]) -> str:
    """The problems of a form check, one per line, errors first."""
    ordered = sorted(problems, key=lambda p: p.severity != "error")
    return "\n".join(
        tr(f"ui.addform.{'error' if p.severity == 'error' else 'warning'}_line", text=p.message())
        for p in ordered[:40]
    )


def add_form(window: Any, path: str | None = None) -> Op | None:
    """Check the workbook at ``path`` (asked for when None) and add it to this installation if
    it has no errors. Returns the running job (its ``done`` carries the added form, or None)."""
    path = path or dialogs.open_file(
        window, tr("ui.action.add_form"), tr("ui.filter.xlsform") + " (*.xlsx *.xls)"
    )
    if not path:
        return None
    store = window.store

    def job(task: Any) -> tuple[Any, list[Any]]:
        from forms import check_form

        result = check_form(path)
        errors = [p for p in result.problems if p.severity == "error"]
        if errors or result.form is None:
            return None, result.problems
        return store.add_form(path), result.problems

    def done(outcome: tuple[Any, list[Any]]) -> None:
        form, problems = outcome
        if form is None:
            errors = [p for p in problems if p.severity == "error"]
            text = tr("ui.addform.failed", file=Path(path).name, count=len(errors))
            dialogs.warn(
                window, tr("ui.addform.failed_title"), text + "\n\n" + check_text(problems)
            )
            return
        text = tr("ui.addform.added", form=form.title())
        if problems:
            text += "\n\n" + tr("ui.addform.warnings") + "\n" + check_text(problems)
        dialogs.inform(window, tr("ui.action.add_form"), text)
        window.notify_changed(form.form_id)

    return run_op(window, job, title=tr("ui.action.add_form"), success=done)
