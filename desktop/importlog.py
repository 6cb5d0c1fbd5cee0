"""导入记录 (import log): every import and merge attempt, accepted or refused, newest first.

The rows come from ``store.journal.transfers()`` (``localdb.journal``); this module only shows
them. File names and reasons are shown escaped (``i18n.shown``): a control or bidi character in
a file name can neither hide nor reorder what the user reads.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from desktop.lang import notifier
from i18n import shown, tr

COLUMNS = ("at", "kind", "outcome", "unit", "file", "sha", "reasons")


def _unit(store: Any, code: str | None) -> str:
    if not code:
        return ""
    try:
        unit = store.units.get(code)
    except Exception:  # an unknown code still shows as itself
        unit = None
    return f"{unit.name}（{unit.short_code}）" if unit else code


def row_texts(store: Any, row: dict) -> list[str]:
    """The cells of one log row, as shown."""
    from localdb.journal import reason_text

    kind = row["kind"]
    outcome = row["outcome"]
    reasons = [shown(reason_text(r)) for r in row.get("reasons") or []]
    return [
        (row["at"] or "")[:19].replace("T", " "),
        tr(f"journal.kind.{kind}") if kind in ("import", "merge") else shown(kind),
        tr(f"journal.outcome.{outcome}")
        if outcome in ("accepted", "refused", "skipped", "failed")
        else shown(outcome),
        _unit(store, row.get("unit")),
        shown(row.get("name") or ""),
        (row.get("file_sha256") or "")[:16],
        "\n".join(reasons),
    ]


class ImportLogDialog(QDialog):
    """The import log of the window's store."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.setObjectName("import_log_dialog")
        self.store = window.store
        self.table = QTableWidget(0, len(COLUMNS), objectName="import_log_table")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setSectionResizeMode(
            len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch
        )
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(self.buttons)
        self.resize(1000, 480)
        notifier().changed.connect(self.retranslate)
        self.retranslate()

    def retranslate(self, *_: object) -> None:
        self.setWindowTitle(tr("journal.ui.title"))
        self.table.setHorizontalHeaderLabels([tr(f"journal.ui.col.{c}") for c in COLUMNS])
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("journal.ui.close"))
        self.refresh()

    def refresh(self) -> None:
        rows = self.store.journal.transfers()
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row_texts(self.store, row)):
                item = QTableWidgetItem(text)
                if COLUMNS[c] == "file":
                    item.setToolTip(shown(row.get("file") or ""))
                elif COLUMNS[c] == "sha":
                    item.setToolTip(row.get("file_sha256") or "")
                elif COLUMNS[c] == "reasons":
                    item.setToolTip(text)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()


class _LogAction(QAction):
    """The menu action; retranslates itself (a method, so Qt drops the connection with it)."""

    def retranslate(self, *_: object) -> None:
        self.setText(tr("journal.ui.action"))


def install(window: Any, after: QAction | None = None) -> QAction:
    """Add 导入记录… to the window's File menu (after ``after``); returns the action."""
    act = _LogAction(window, objectName="act_import_log")
    act.triggered.connect(lambda: ImportLogDialog(window).open())
    menu = window.file_menu
    actions = menu.actions()
    if after is not None and after in actions and actions.index(after) + 1 < len(actions):
        menu.insertAction(actions[actions.index(after) + 1], act)
    else:
        menu.addAction(act)

    notifier().changed.connect(act.retranslate)
    act.retranslate()
    window.act_import_log = act
    return act
