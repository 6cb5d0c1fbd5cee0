"""Records: a searchable, sortable table of one form's records over the local database.

The item model reads rows in pages on demand (a sparse page cache), so 100,000 records open at
once and scroll to the end without loading everything: ``rowCount`` is the filtered count and
``data`` fetches only the page under the viewport.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop import dialogs
from desktop.errors import show_error
from desktop.lang import notifier
from forms.model import METADATA_TYPES
from forms.periods import label as period_label
from i18n import tr
from i18n.errors import KexieError
from kexie import lifecycle

Index = QModelIndex | QPersistentModelIndex
NO_INDEX = QModelIndex()  # Qt's default "no parent"; never mutated
PAGE = 256
MAX_PAGES = 64
SYSTEM_COLUMNS = ("_status", "_unit", "_period", "_modified", "_author")
UUID_ROLE = Qt.ItemDataRole.UserRole + 3
MAX_FIELD_COLUMNS = 40
DEFAULT_ORDER = "-_modified"  # newest change first, as the store does by default
TABLE_PREFIX = "form_"  # one table per form (docs/internals.md)


def order_clause(column: str, descending: bool) -> str:
    """The ``order_by`` argument of ``store.records`` for one column."""
    return f"-{column}" if descending else column


def _local_time(stamp: str) -> str:
    """An ISO 8601 UTC stamp as local time, minutes precision."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp[:16].replace("T", " ")
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


HEADER_WIDTH = 120  # a records column's first width (px)


def header_lines(text: str, width: int) -> str:
    """A column head in at most two lines of ``width`` pixels, the rest elided with "…" (the
    tooltip has it whole): a long question label was cut off at both ends."""
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QApplication

    fm = QFontMetrics(QApplication.font())
    if fm.horizontalAdvance(text) <= width:
        return text
    cut = 1
    while cut < len(text) and fm.horizontalAdvance(text[: cut + 1]) <= width:
        cut += 1
    space = text.rfind(" ", 0, cut + 1)
    if space > 0 and text.isascii():
        cut = space
    first, rest = text[:cut].rstrip(), text[cut:].lstrip()
    return first + "\n" + fm.elidedText(rest, Qt.TextElideMode.ElideRight, width)


class RecordsModel(QAbstractTableModel):
    """Rows of ``store.records(form_id, ...)``, read lazily in pages of :data:`PAGE`.

    Signals:
        loaded: a (re)load, search or sort has been applied.
    """

    loaded = Signal()

    def __init__(self, store: Any, form: Any, parent: Any = None, *, search: str = "") -> None:
        super().__init__(parent)
        self.store = store
        self.form = form
        system = [c for c in SYSTEM_COLUMNS if c != "_period" or form.kind == "report"]
        fields = [
            q.name for q in form.fields() if not q.sensitive and q.type not in METADATA_TYPES
        ][:MAX_FIELD_COLUMNS]
        self.columns: list[str] = system + fields
        self.search = search.strip()
        self.order_by: str | None = DEFAULT_ORDER
        self._total = 0
        self._keys: list[str] | None = None
        self._generation = 0
        self._pages: OrderedDict[int, list[dict]] = OrderedDict()
        self._unit_names: dict[str, str] = {}
        self._count()

    # loading ----------------------------------------------------------------------------------
    def _filters(self, search: str | None = None) -> dict[str, Any]:
        text = self.search if search is None else search
        return {"search": text or None}

    def _count(self) -> None:
        self._apply(self._query(self.search, self.order_by))

    def _apply(self, result: tuple[list[str] | None, int]) -> None:
        self._pages.clear()
        self._keys, self._total = result

    def _query(self, search: str, order_by: str | None) -> tuple[list[str] | None, int]:
        """Every matching record's uuid in display order (one narrow scan), so a page far down
        is read by primary key instead of an OFFSET that walks every wide row before it.
        Filter and order come from the store's own query builders; without them, only the
        count (pages are then read with OFFSET). Safe to run on the worker thread."""
        store = self.store
        build_where = getattr(store, "_filters", None)
        build_order = getattr(store, "_order", None)
        if build_where is None or build_order is None:
            return None, store.count(self.form.form_id, **self._filters(search))
        form = store.form(self.form.form_id)
        where, params = build_where(form, **self._filters(search))
        order = build_order(form, order_by)
        sql = f"SELECT _uuid FROM [{TABLE_PREFIX}{form.form_id}] WHERE {where} ORDER BY {order}"
        keys = [row[0] for row in store.db.execute(sql, params).fetchall()]
        return keys, len(keys)

    def reload(self) -> None:
        """Re-read everything now (after a change to the records)."""
        self.beginResetModel()
        self._count()
        self.endResetModel()
        self.loaded.emit()

    def request(self, *, search: str | None = None, order_by: str | None = None) -> None:
        """Search or sort in the background (0.5 s on 100,000 records would freeze the UI);
        the model resets when the answer arrives. Answers to superseded requests are dropped."""
        from desktop.ops import run_op

        if search is not None:
            self.search = search.strip()
        if order_by is not None:
            self.order_by = order_by
        self._generation += 1
        generation, text, order = self._generation, self.search, self.order_by

        def done(result: tuple[list[str] | None, int]) -> None:
            if generation != self._generation:
                return
            self.beginResetModel()
            self._apply(result)
            self.endResetModel()
            self.loaded.emit()

        owner = self.parent() if isinstance(self.parent(), QWidget) else None
        run_op(owner, lambda task: self._query(text, order), success=done, show_progress=False)

    def set_search(self, text: str) -> None:
        """Filter by ``text`` (in the background; ``loaded`` is emitted when done)."""
        self.request(search=text)

    def _fetch(self, number: int) -> list[dict]:
        if self._keys is None:
            return self.store.records(
                self.form.form_id,
                **self._filters(),
                order_by=self.order_by,
                limit=PAGE,
                offset=number * PAGE,
            )
        keys = self._keys[number * PAGE : (number + 1) * PAGE]
        if not keys:
            return []
        marks = ", ".join("?" for _ in keys)
        rows = {
            r["_uuid"]: r
            for r in self.store.db.query(
                f"SELECT * FROM [{TABLE_PREFIX}{self.form.form_id}] WHERE _uuid IN ({marks})", keys
            )
        }
        return [rows.get(k) or {"_uuid": k} for k in keys]

    def _page(self, number: int) -> list[dict]:
        page = self._pages.get(number)
        if page is None:
            page = self._fetch(number)
            self._pages[number] = page
            if len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        return page

    def record(self, row: int) -> dict | None:
        """The raw record shown on ``row``."""
        if not 0 <= row < self._total:
            return None
        page = self._page(row // PAGE)
        offset = row % PAGE
        return page[offset] if offset < len(page) else None

    # Qt model API -----------------------------------------------------------------------------
    def rowCount(self, parent: Index = NO_INDEX) -> int:
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: Index = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, UUID_ROLE, Qt.ItemDataRole.TextAlignmentRole):
            return None
        record = self.record(index.row())
        if record is None:
            return None
        column = self.columns[index.column()]
        if role == UUID_ROLE:
            return record.get("_uuid")
        value = record.get(column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        return self._display(column, value)

    def _display(self, column: str, value: Any) -> str:
        if value is None or value == "":
            return ""
        if column == "_status":
            return tr(f"ui.status.{value}")
        if column == "_unit":
            name = self._unit_names.get(value)
            if name is None:
                unit = self.store.units.get(value)
                name = self._unit_names[value] = unit.name if unit else str(value)
            return name
        if column == "_period":
            try:
                return period_label(str(value))
            except KexieError:
                return str(value)
        if column == "_modified":
            return _local_time(str(value))
        q = self.form.get(column)
        if q is not None and q.list_name and q.list_name in self.form.choice_lists:
            lst = self.form.choice_lists[q.list_name]
            parts = str(value).split() if q.type == "select_multiple" else [str(value)]
            return tr("ui.list_sep").join((lst.get(p).label() if lst.get(p) else p) for p in parts)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1) if role == Qt.ItemDataRole.DisplayRole else None
        column = self.columns[section]
        if column.startswith("_"):
            text = tr(f"ui.records.col.{column[1:]}")
        else:
            q = self.form.get(column)
            text = q.label() if q is not None else column
        if role == Qt.ItemDataRole.ToolTipRole:
            return text
        return header_lines(text, HEADER_WIDTH - 14)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        order_by = order_clause(self.columns[column], order == Qt.SortOrder.DescendingOrder)
        if order_by != self.order_by:
            self.request(order_by=order_by)

    def retranslate(self) -> None:
        """Header and status texts are translated when read; tell the views."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, max(len(self.columns) - 1, 0))
        if self._total:
            self.dataChanged.emit(
                self.index(0, 0), self.index(self._total - 1, len(self.columns) - 1)
            )


class DeleteCommand(QUndoCommand):
    """Delete a record (a tombstone with a reason); undo brings it back."""

    def __init__(self, page: RecordsPage, form_id: str, uuid: str, reason: str) -> None:
        super().__init__(tr("ui.records.delete"))
        self.page, self.form_id, self.uuid, self.reason = page, form_id, uuid, reason

    def redo(self) -> None:
        form_id, uuid, reason = self.form_id, self.uuid, self.reason
        self._write(lambda s: s.delete(form_id, uuid, reason=reason))

    def undo(self) -> None:
        form_id, uuid = self.form_id, self.uuid
        self._write(lambda s: s.undelete(form_id, uuid))

    def _write(self, fn) -> None:
        from desktop.errors import show_error

        page = self.page
        page.window_.db.write(
            fn, done=lambda _r: page.changed(self.form_id), failed=lambda e: show_error(page, e)
        )


class RecordsPage(QWidget):
    """Pick a form, search, sort, open a record to edit, delete with undo (Ctrl+Z)."""

    def __init__(self, window: Any) -> None:
        super().__init__(objectName="records_page")
        self.window_ = window
        self.store = window.store
        self.model: RecordsModel | None = None
        self._stale = False
        self.undo_stack = QUndoStack(self)
        self.form_box = QComboBox(objectName="records_form")
        self.form_box.setMinimumWidth(260)
        self.form_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.search = QLineEdit(objectName="records_search", clearButtonEnabled=True)
        self._search_timer = QTimer(self, singleShot=True, interval=250)
        self._search_timer.timeout.connect(self._apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.count_label = QLabel(objectName="records_count")
        self.view = QTableView(objectName="records_view")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSortingEnabled(True)
        self.view.verticalHeader().setDefaultSectionSize(24)
        self.view.horizontalHeader().setDefaultSectionSize(HEADER_WIDTH)
        self.view.setAlternatingRowColors(True)
        self.view.doubleClicked.connect(lambda _i: self.open_current())
        self.btn_open = QPushButton(objectName="btn_open")
        self.btn_delete = QPushButton(objectName="btn_delete")
        self.btn_undo = QPushButton(objectName="btn_undo")
        self.btn_return = QPushButton(objectName="btn_return")
        self.btn_return.clicked.connect(self.return_current)
        self.btn_open.clicked.connect(self.open_current)
        self.btn_delete.clicked.connect(self.delete_current)
        self.btn_undo.clicked.connect(self.undo_stack.undo)
        self.undo_stack.canUndoChanged.connect(self.btn_undo.setEnabled)
        self.btn_undo.setEnabled(False)
        undo = self.undo_stack.createUndoAction(self)
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.addAction(undo)
        top = QHBoxLayout()
        self.form_caption = QLabel()
        top.addWidget(self.form_caption)
        top.addWidget(self.form_box)
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        foot = QHBoxLayout()
        foot.addWidget(self.btn_open)
        foot.addWidget(self.btn_delete)
        foot.addWidget(self.btn_undo)
        foot.addWidget(self.btn_return)
        foot.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addLayout(foot)
        self.form_box.currentIndexChanged.connect(self._on_form)
        self._fill_forms()
        notifier().changed.connect(self.retranslate)
        window.data_changed.connect(self._on_data_changed)
        self.retranslate()

    def _fill_forms(self) -> None:
        current = self.form_box.currentData()
        self.form_box.blockSignals(True)
        self.form_box.clear()
        for form in self.store.forms():
            self.form_box.addItem(form.title(), form.form_id)
        index = self.form_box.findData(current) if current else 0
        self.form_box.setCurrentIndex(max(index, 0))
        self.form_box.blockSignals(False)
        if current != self.form_box.currentData() or self.model is None:
            self._on_form(self.form_box.currentIndex())

    def select_form(self, form_id: str) -> None:
        """Show the records of ``form_id``."""
        index = self.form_box.findData(form_id)
        if index >= 0:
            self.form_box.setCurrentIndex(index)

    def _on_form(self, index: int) -> None:
        form_id = self.form_box.itemData(index)
        if not form_id:
            return
        model = RecordsModel(self.store, self.store.form(form_id), self, search=self.search.text())
        self.model = model
        model.loaded.connect(self._update_count)
        self.view.setModel(model)
        self._stale = False
        self.view.horizontalHeader().setSortIndicator(
            self.model.columns.index("_modified"), Qt.SortOrder.DescendingOrder
        )
        self._update_count()

    def _apply_search(self) -> None:
        if self.model is not None:
            self.model.set_search(self.search.text())  # the count follows on ``loaded``

    def _update_count(self) -> None:
        total = self.model.rowCount() if self.model else 0
        self.count_label.setText(tr("ui.records.count", count=total))

    def _on_data_changed(self, form_id: str) -> None:
        if self.model is None or form_id not in ("", self.model.form.form_id):
            return
        if self.isVisible():
            self.model.reload()
        else:
            self._stale = True  # re-read when shown again

    def changed(self, form_id: str) -> None:
        """A record of ``form_id`` changed here: refresh this table and the other views."""
        self.window_.notify_changed(form_id)

    def activated(self) -> None:
        self._fill_forms()
        if self.model is not None and self._stale:
            self.model.reload()
        self._stale = False

    def _current(self) -> dict | None:
        if self.model is None:
            return None
        index = self.view.currentIndex()
        return self.model.record(index.row()) if index.isValid() else None

    def open_current(self) -> None:
        """Open the selected record; a finalised one needs a reason to be edited."""
        record = self._current()
        if record is None or self.model is None:
            return
        form = self.model.form
        if form.kind == "report":
            self.window_.open_entry(
                form.form_id, uuid=record["_uuid"], period=record.get("_period")
            )
            return
        from desktop.interview import InterviewPage

        # a finished interview opens read-only, like a finalised report; 修改 asks the reason
        self.window_.show_page(InterviewPage(self.window_, form, uuid=record["_uuid"]))

    def return_current(self) -> None:
        """Return the selected subordinate's report for correction (退回)."""
        from desktop.returns import can_return, start_return

        record = self._current()
        if record is None or self.model is None:
            return
        form = self.model.form
        full = self.store.get(form.form_id, record["_uuid"]) or record
        if not can_return(self.store, form, full):
            dialogs.warn(self, tr("returns.ui.title"), tr("returns.ui.cannot"))
            return
        start_return(self.window_, form, full, self)

    def delete_current(self) -> None:
        """Delete the selected record (undo with Ctrl+Z or the Undo button)."""
        record = self._current()
        if record is None or self.model is None:
            return
        reason = tr("ui.records.delete_reason")
        if lifecycle.edit_needs_reason(record.get("_status")):
            # a finalised record is evidence: deleting it needs a reason, like editing it
            reason = dialogs.ask_text(
                self, tr("ui.records.delete_title"), tr("ui.records.delete_why")
            )
            if not reason:
                return
        try:
            self.undo_stack.push(
                DeleteCommand(self, self.model.form.form_id, record["_uuid"], reason)
            )
        except KexieError as exc:
            show_error(self, exc)
            return
        self.window_.statusBar().showMessage(tr("ui.records.deleted"), 8000)

    def retranslate(self, *_: object) -> None:
        """Re-read every text from the catalogue."""
        self.form_caption.setText(tr("ui.records.form"))
        self.search.setPlaceholderText(tr("ui.records.search"))
        self.btn_open.setText(tr("ui.records.open"))
        self.btn_delete.setText(tr("ui.records.delete"))
        self.btn_undo.setText(tr("ui.records.undo"))
        self.btn_return.setText(tr("returns.ui.button"))
        for i in range(self.form_box.count()):
            self.form_box.setItemText(i, self.store.form(self.form_box.itemData(i)).title())
        if self.model is not None:
            self.model.retranslate()
        self._update_count()
