"""First run: choose this installation's unit from the official division tree, and the clerk."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

import i18n
from desktop.errors import show_error
from desktop.lang import notifier, switch_language
from desktop.unittree import CODE_ROLE, UnitTreeModel
from i18n import tr
from i18n.errors import KexieError

SEARCH_LIMIT = 200


class FirstRunDialog(QDialog):
    """Pick the unit (tree or search by name, pinyin initials or code) and type the clerk's name.

    On accept the choice is stored with ``store.set_unit`` / ``store.set_clerk``.
    """

    def __init__(self, store: Any, parent: QWidget | None = None, *, save: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("first_run")
        self.store = store
        self.save = save
        self.tree_source = store.units
        self.code: str | None = None

        self.intro = QLabel(wordWrap=True)
        self.lang_box = QComboBox(objectName="language")
        self.lang_box.addItem("中文", "zh_CN")
        self.lang_box.addItem("English", "en")
        self.lang_box.setCurrentIndex(0 if i18n.get_language() == "zh_CN" else 1)
        self.lang_box.currentIndexChanged.connect(
            lambda i: switch_language(self.lang_box.itemData(i))
        )
        self.search = QLineEdit(objectName="unit_search", clearButtonEnabled=True)
        self.search.textChanged.connect(self._on_search)
        self.search.installEventFilter(self)
        # the search can be kept to a province and a county (a clerk knows where he is)
        self.scope_label = QLabel()
        self.scope_province = QComboBox(objectName="unit_scope_province")
        self.scope_county = QComboBox(objectName="unit_scope_county")
        self.scope_province.addItem("", None)
        for unit in self.tree_source.children(None):
            self.scope_province.addItem(unit.name, unit.code)
        self.scope_province.currentIndexChanged.connect(self._on_province)
        self.scope_county.currentIndexChanged.connect(
            lambda _i: self._on_search(self.search.text())
        )
        self.scope_county.setEnabled(False)
        self.found = QLabel(objectName="unit_found")

        self.model = UnitTreeModel(self.tree_source, self)
        self.tree = QTreeView(objectName="unit_tree", uniformRowHeights=True)
        self.tree.setModel(self.model)
        self.tree.setColumnWidth(0, 320)
        self.tree.selectionModel().currentChanged.connect(self._on_tree_current)
        self.results = QListWidget(objectName="unit_results")
        self.results.currentItemChanged.connect(self._on_result_current)
        self.results.itemActivated.connect(lambda _item: self.clerk.setFocus())
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tree)
        self.stack.addWidget(self.results)

        self.chosen = QLabel(objectName="chosen_unit", wordWrap=True)
        self.clerk = QLineEdit(objectName="clerk_name")
        self.clerk.setText(getattr(store, "clerk", None) or "")
        self.clerk.textChanged.connect(self._update_ok)
        self.form = QFormLayout()
        self.clerk_label = QLabel()
        self.chosen_label = QLabel()
        self.form.addRow(self.chosen_label, self.chosen)
        self.form.addRow(self.clerk_label, self.clerk)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(self.intro, 1)
        top.addWidget(self.lang_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.scope_label)
        search_row.addWidget(self.scope_province)
        search_row.addWidget(self.scope_county)
        layout.addLayout(search_row)
        layout.addWidget(self.found)
        layout.addWidget(self.stack, 1)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)
        self.resize(640, 560)
        notifier().changed.connect(self.retranslate)
        self.retranslate()
        self._update_ok()
        self.search.setFocus()

    def retranslate(self, *_: object) -> None:
        """Re-read every visible text from the catalogue."""
        self.setWindowTitle(tr("ui.firstrun.title"))
        self.intro.setText(tr("ui.firstrun.intro"))
        self.search.setPlaceholderText(tr("ui.firstrun.search"))
        self.chosen_label.setText(tr("ui.firstrun.unit"))
        self.clerk_label.setText(tr("ui.firstrun.clerk"))
        self.clerk.setPlaceholderText(tr("ui.firstrun.clerk_hint"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("ui.button.start"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("ui.button.cancel"))
        self.scope_label.setText(tr("ui.firstrun.scope"))
        self.scope_province.setItemText(0, tr("ui.firstrun.scope_all"))
        if self.scope_county.count():
            self.scope_county.setItemText(0, tr("ui.firstrun.scope_province"))
        self.model.refresh_headers()
        self._show_chosen()

    def _on_search(self, text: str) -> None:
        text = text.strip()
        if not text:
            self.stack.setCurrentWidget(self.tree)
            return
        self.results.clear()
        hits = self.tree_source.search(text, within=self.scope(), limit=None)
        for unit in hits[:SEARCH_LIMIT]:
            item = QListWidgetItem(f"{self._path_text(unit.code)}  {unit.code}")
            item.setData(CODE_ROLE, unit.code)
            self.results.addItem(item)
        if len(hits) > SEARCH_LIMIT:  # never a silent cut
            more = QListWidgetItem(tr("ui.firstrun.more", more=len(hits) - SEARCH_LIMIT))
            more.setFlags(Qt.ItemFlag.NoItemFlags)
            self.results.addItem(more)
        self.found.setText(tr("ui.firstrun.count", count=len(hits)))
        self.stack.setCurrentWidget(self.results)
        if hits:
            self.results.setCurrentRow(0)

    def scope(self) -> str | None:
        """The code the search is kept within (a county, a province), or None for all."""
        return self.scope_county.currentData() or self.scope_province.currentData()

    def _on_province(self, _index: int) -> None:
        code = self.scope_province.currentData()
        self.scope_county.blockSignals(True)
        self.scope_county.clear()
        self.scope_county.addItem(tr("ui.firstrun.scope_province"), None)
        if code:
            for city in self.tree_source.children(code):
                counties = self.tree_source.children(city.code) if city.level == "city" else []
                if not counties:
                    self.scope_county.addItem(city.name, city.code)
                for county in counties:
                    self.scope_county.addItem(f"{city.name} › {county.name}", county.code)
        self.scope_county.setEnabled(bool(code))
        self.scope_county.blockSignals(False)
        self._on_search(self.search.text())

    def _path_text(self, code: str) -> str:
        try:
            return " › ".join(u.name for u in self.tree_source.path(code))
        except (KeyError, KexieError):
            unit = self.tree_source.get(code)
            return unit.name if unit else code

    def _on_tree_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._choose(current.data(CODE_ROLE) if current.isValid() else None)

    def _on_result_current(self, current: QListWidgetItem | None, _prev: object) -> None:
        self._choose(current.data(CODE_ROLE) if current is not None else None)

    def _choose(self, code: str | None) -> None:
        self.code = code
        self._show_chosen()
        self._update_ok()

    def _show_chosen(self) -> None:
        if self.code:
            self.chosen.setText(
                tr("ui.firstrun.chosen", path=self._path_text(self.code), code=self.code)
            )
        else:
            self.chosen.setText(tr("ui.firstrun.none"))

    def _update_ok(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.code) and bool(self.clerk.text().strip()))

    def eventFilter(self, obj: Any, event: Any) -> bool:
        # Down from the search box walks into the results (or the tree), like a completer.
        if (
            obj is self.search
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Down
        ):
            self.stack.currentWidget().setFocus()
            return True
        return super().eventFilter(obj, event)

    def accept(self) -> None:
        if not (self.code and self.clerk.text().strip()):
            return
        if not self.save:  # picking for the settings: they store it
            super().accept()
            return
        try:
            self.store.set_unit(self.code)
            self.store.set_clerk(self.clerk.text().strip())
        except KexieError as exc:
            show_error(self, exc)
            return
        super().accept()
