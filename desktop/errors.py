"""The one place that turns an exception into something a user sees."""

from __future__ import annotations

import logging
import traceback
from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import QWidget

from i18n import tr
from i18n.errors import Cancelled, KexieError

log = logging.getLogger("kexie.desktop")

#: Where unexpected errors are logged (set by the app to the data folder).
LOG_FILE: Path | None = None


def describe(exc: BaseException) -> str:
    """The text a user reads for ``exc``: a KexieError's own message (with its problems), or a
    generic message naming the log file for anything unexpected (which is logged)."""
    if isinstance(exc, KexieError):
        lines = [exc.message()]
        lines += [f"• {p.message()}" for p in exc.problems[:20]]
        if len(exc.problems) > 20:
            lines.append(tr("ui.error.more_problems", count=len(exc.problems) - 20))
        return "\n".join(lines)
    where = _log_unexpected(exc)
    return tr("error.unexpected", error=type(exc).__name__, log=where)


def _log_unexpected(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log.error("unexpected error\n%s", text)
    if LOG_FILE is None:
        return tr("ui.error.no_log")
    try:
        LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
        with LOG_FILE.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now().isoformat()}\n{text}")
    except OSError:
        return tr("ui.error.no_log")
    return str(LOG_FILE)


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """Present ``exc`` in a dialog (a cancellation is not an error and shows nothing)."""
    if isinstance(exc, Cancelled):
        return
    from desktop import dialogs

    dialogs.warn(parent, tr("ui.error.title"), describe(exc))
