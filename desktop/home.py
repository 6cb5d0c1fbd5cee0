"""Home: the forms, what is due this period, drafts, returned reports, records ready to export,
and the export / import / merge buttons."""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.lang import notifier
from forms.periods import label as period_label
from forms.periods import reporting_period
from i18n import tr
from kexie import lifecycle

COLUMNS = (
    "ui.home.col.form",
    "ui.home.col.period",
    "ui.home.col.state",
    "ui.home.col.drafts",
    "ui.home.col.returned",
    "ui.home.col.ready",
    "ui.home.col.actions",
)


def default_period(store: Any, form: Any, today: Any = None) -> str:
    """The period a report opens on: the one just ended, unless this period's report has been
    started already (``forms.periods.reporting_period``)."""
    unit = store.unit_code

    def started(period: str) -> bool:
        if form.report_key:
            return store.count(form.form_id, unit=unit, period=period) > 0
        return store.find_report(form.form_id, unit=unit, period=period) is not None

    return reporting_period(form.period_type or "month", today, started)


def form_summary(store: Any, form: Any) -> dict[str, Any]:
    """What Home shows for one form: period, this period's state, and record counts."""
    unit = store.unit_code
    out: dict[str, Any] = {
        "period": None,
        "state": None,
        "uuid": None,
        "drafts": store.count(form.form_id, status=lifecycle.DRAFT),
        "returned": store.count(form.form_id, status=lifecycle.RETURNED),
        "ready": store.count(form.form_id, status=lifecycle.FINALISED),
    }
    if form.kind == "report" and form.period_type:
        period = default_period(store, form)
        out["period"] = period
        if form.report_key:
            filled = store.count(form.form_id, unit=unit, period=period)
            out["state"] = ("filled", filled) if filled else ("due", 0)
        else:
            uuid = store.find_report(form.form_id, unit=unit, period=period)
            if uuid is None:
                out["state"] = ("due", 0)
            else:
                record = store.get(form.form_id, uuid) or {}
                out["uuid"] = uuid
                out["state"] = (record.get("_status", "draft"), 0)
    else:
        out["state"] = ("respondents", store.count(form.form_id))
    return out


class HomePage(QWidget):
    """The start page. Refreshes whenever records change."""

    def __init__(self, window: Any) -> None:
        super().__init__(objectName="home")
        self.window_ = window
        self.store = window.store
        self.title = QLabel(objectName="home_title")
        self.title.setStyleSheet("font-size: 18px; font-weight: 600;")
        self.subtitle = QLabel(objectName="home_subtitle")
        self.table = QTableWidget(0, len(COLUMNS), objectName="home_forms")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.cellActivated.connect(lambda row, _col: self._open(row))

        self.btn_export = QPushButton(objectName="btn_export")
        self.btn_import = QPushButton(objectName="btn_import")
        self.btn_merge = QPushButton(objectName="btn_merge")
        self.btn_add = QPushButton(objectName="btn_add_form")
        self.btn_export.clicked.connect(window.export)
        self.btn_import.clicked.connect(window.import_)
        self.btn_merge.clicked.connect(window.merge)
        self.btn_add.clicked.connect(window.add_form)
        buttons = QHBoxLayout()
        for b in (self.btn_export, self.btn_import, self.btn_merge):
            b.setMinimumHeight(34)
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.btn_add)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.table, 1)
        self.hint = QLabel(objectName="home_hint", wordWrap=True)
        self.hint.setStyleSheet("color: #555;")
        layout.addWidget(self.hint)
        layout.addLayout(buttons)
        self.forms: list[Any] = []
        self.summaries: list[dict[str, Any]] = []
        self._action_boxes: dict[str, tuple[QWidget, QPushButton, QPushButton]] = {}
        notifier().changed.connect(self.retranslate)
        window.data_changed.connect(lambda _form_id: self.refresh())
        self.retranslate()

    def activated(self) -> None:
        self.refresh()

    def retranslate(self, *_: object) -> None:
        """Re-read every text from the catalogue."""
        self.title.setText(tr("ui.home.title"))
        self.hint.setText(tr("ui.home.hint"))
        self.table.setHorizontalHeaderLabels([tr(k) for k in COLUMNS])
        self.btn_export.setText(tr("ui.action.export"))
        self.btn_import.setText(tr("ui.action.import"))
        self.btn_merge.setText(tr("ui.action.merge"))
        self.btn_add.setText(tr("ui.action.add_form"))
        self.refresh()

    def refresh(self) -> None:
        """Re-read forms and counts from the store."""
        store = self.store
        unit = store.units.get(store.unit_code) if store.unit_code else None
        self.subtitle.setText(
            tr("ui.home.subtitle", unit=unit.name if unit else "", clerk=store.clerk or "")
        )
        self.forms = list(store.forms())
        self.summaries = [form_summary(store, f) for f in self.forms]
        self.table.setRowCount(len(self.forms))
        for row, (form, info) in enumerate(zip(self.forms, self.summaries, strict=True)):
            self._set(row, 0, form.title())
            self._set(row, 1, period_label(info["period"]) if info["period"] else "—")
            self._set(row, 2, self._state_text(info["state"]))
            for col, key in ((3, "drafts"), (4, "returned"), (5, "ready")):
                self._set(row, col, str(info[key]), Qt.AlignmentFlag.AlignRight)
            box = self._actions(row, form)
            if self.table.cellWidget(row, 6) is not box:
                self.table.setCellWidget(row, 6, box)
        self.table.resizeRowsToContents()

    def _set(self, row: int, col: int, text: str, align: Any = None) -> None:
        item = QTableWidgetItem(text)
        if align is not None:
            item.setTextAlignment(align | Qt.AlignmentFlag.AlignVCenter)
        self.table.setItem(row, col, item)

    @staticmethod
    def _state_text(state: tuple[str, int]) -> str:
        kind, count = state
        return tr(f"ui.home.state.{kind}", count=count)

    def _actions(self, row: int, form: Any) -> QWidget:
        # Reused across refreshes: replacing cell widgets leaves the old ones on screen until
        # the next deferred delete.
        cached = self._action_boxes.get(form.form_id)
        if cached is None or not shiboken6.isValid(cached[0]):  # the table deleted it
            box = QWidget()
            lay = QHBoxLayout(box)
            lay.setContentsMargins(2, 0, 2, 0)
            fill = QPushButton(objectName=f"fill_{form.form_id}")
            fill.clicked.connect(lambda: self._open_form(form.form_id))
            rec = QPushButton(objectName=f"records_{form.form_id}")
            rec.clicked.connect(lambda: self.window_.open_records(form.form_id))
            lay.addWidget(fill)
            lay.addWidget(rec)
            cached = self._action_boxes[form.form_id] = (box, fill, rec)
        box, fill, rec = cached
        fill.setText(tr("ui.home.fill") if form.kind == "report" else tr("ui.home.interview"))
        rec.setText(tr("ui.home.records"))
        return box

    def _open_form(self, form_id: str) -> None:
        ids = [f.form_id for f in self.forms]
        if form_id in ids:
            self._open(ids.index(form_id))

    def _open(self, row: int) -> None:
        form, info = self.forms[row], self.summaries[row]
        if form.kind == "report":
            self.window_.open_entry(form.form_id, uuid=info.get("uuid"), period=info["period"])
        else:
            self.window_.open_entry(form.form_id)
