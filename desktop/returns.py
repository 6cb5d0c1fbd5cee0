"""Returning a subordinate's report for correction (退回) from the window, and making fill-in
templates; the rules live in ``exports.returns`` and ``exports.template``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import dialogs
from desktop.errors import show_error
from i18n import tr
from kexie import lifecycle


def can_return(store: Any, form: Any, record: dict | None) -> bool:
    """Whether this installation may return ``record``: a subordinate's report that arrived."""
    return bool(
        record
        and form.kind == "report"
        and record.get("_unit")
        and record.get("_unit") != store.unit_code
        and record.get("_status") in lifecycle.RETURNABLE
    )


class ReturnDialog(QDialog):
    """The reason (required) and a comment per indicator (optional)."""

    def __init__(self, parent: QWidget | None, form: Any, record: dict, unit_name: str) -> None:
        super().__init__(parent, objectName="return_dialog")
        self.form = form
        self.setWindowTitle(tr("returns.ui.title"))
        self.resize(720, 560)
        head = QLabel(tr("returns.ui.head", form=form.title(), unit=unit_name,
                         period=record.get("_period") or ""), wordWrap=True)  # fmt: skip
        self.reason = QPlainTextEdit(objectName="return_reason")
        self.reason.setPlaceholderText(tr("returns.ui.reason_hint"))
        self.reason.setFixedHeight(80)
        self.table = QTableWidget(objectName="return_fields")
        fields = [q for q in form.fields() if q.stores_value]
        self.names = [q.name for q in fields]
        self.table.setColumnCount(3)
        self.table.setRowCount(len(fields))
        self.table.setHorizontalHeaderLabels(
            [tr("returns.ui.col.item"), tr("returns.ui.col.value"), tr("returns.ui.col.comment")]
        )
        for i, q in enumerate(fields):
            for col, text in enumerate((q.label(), "" if record.get(q.name) is None
                                        else str(record.get(q.name)))):  # fmt: skip
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(i, col, item)
            self.table.setItem(i, 2, QTableWidgetItem(""))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.table.verticalHeader().setVisible(False)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("returns.ui.ok"))
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addWidget(QLabel(tr("returns.ui.reason")))
        lay.addWidget(self.reason)
        lay.addWidget(QLabel(tr("returns.ui.fields")))
        lay.addWidget(self.table, 1)
        lay.addWidget(buttons)

    def values(self) -> tuple[str, dict[str, str]]:
        fields = {}
        for i, name in enumerate(self.names):
            item = self.table.item(i, 2)
            text = item.text().strip() if item else ""
            if text:
                fields[name] = text
        return self.reason.toPlainText().strip(), fields

    def _accept(self) -> None:
        if not self.values()[0]:
            dialogs.warn(self, tr("returns.ui.title"), tr("returns.reason_required"))
            self.reason.setFocus()
            return
        self.accept()


def start_return(
    window: Any, form: Any, record: dict, parent: QWidget | None = None, on_done: Any = None
) -> bool:
    """Ask for the reason and comments, then the file; write it through the DB worker."""
    store = window.store
    unit = store.units.get(record["_unit"])
    unit_name = unit.name if unit else record["_unit"]
    dialog = ReturnDialog(parent or window, form, record, unit_name)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    reason, fields = dialog.values()
    name = re.sub(r'[\\/:*?"<>|]', "_",
                  f"{tr('returns.ui.file')}-{form.title()}-{unit_name}-{record.get('_period')}.xlsx")  # fmt: skip
    path = dialogs.save_file(parent or window, tr("returns.ui.title"), name, dialogs.xlsx_filter())
    if not path:
        return False
    form_id, uuid, period = form.form_id, record["_uuid"], record.get("_period")

    def job(s: Any) -> Any:
        from exports.returns import return_report

        return return_report(s, form_id, unit=record["_unit"], period=period, reason=reason,
                             fields=fields, out=path, uuid=uuid)  # fmt: skip

    def done(_summary: Any) -> None:
        window.notify_changed(form_id)
        if on_done is not None:
            on_done()
        dialogs.inform(window, tr("returns.ui.title"),
                       tr("returns.ui.done", file=Path(path).name, unit=unit_name))  # fmt: skip

    window.db.write(job, done=done, failed=lambda exc: show_error(window, exc))
    return True


def start_templates(window: Any, form: Any, period: str) -> bool:
    """Fill-in templates of ``form`` for ``period``, one per direct subordinate, into a folder."""
    folder = dialogs.open_folder(window, tr("template.ui.title"))
    if not folder:
        return False
    store = window.store
    try:
        from exports.template import write_templates_for_subordinates

        done = write_templates_for_subordinates(store, form.form_id, period=period, folder=folder)
    except Exception as exc:  # a KexieError is shown in words; anything else logged by it
        show_error(window, exc)
        return False
    dialogs.inform(window, tr("template.ui.title"),
                   tr("template.ui.done", count=len(done), folder=folder))  # fmt: skip
    return True
