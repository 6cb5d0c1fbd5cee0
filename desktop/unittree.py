"""Item model over the official division tree (province → city → county → township), loaded
lazily: a node's children are read from ``localdb.units`` the first time it is expanded."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
NO_INDEX = QModelIndex()  # Qt's default "no parent"; never mutated
CODE_ROLE = Qt.ItemDataRole.UserRole + 1


class _Node:
    __slots__ = ("children", "code", "level", "name", "parent", "row")

    def __init__(self, code: str | None, name: str, level: str, parent: _Node | None, row: int):
        self.code, self.name, self.level, self.parent, self.row = code, name, level, parent, row
        self.children: list[_Node] | None = None


class UnitTreeModel(QAbstractItemModel):
    """Two columns: name and code. ``CODE_ROLE`` gives the unit code of any index."""

    def __init__(self, tree: Any, parent: Any = None) -> None:
        super().__init__(parent)
        self._tree = tree  # localdb.units.divisions() or store.units
        self._root = _Node(None, "", "root", None, 0)

    def _load(self, node: _Node) -> list[_Node]:
        if node.children is None:
            units = self._tree.children(node.code)
            node.children = [_Node(u.code, u.name, u.level, node, i) for i, u in enumerate(units)]
        return node.children

    def _node(self, index: Index) -> _Node:
        return index.internalPointer() if index.isValid() else self._root

    def index(self, row: int, column: int, parent: Index = NO_INDEX) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        children = self._load(self._node(parent))
        return self.createIndex(row, column, children[row])

    def parent(self, index: Index = NO_INDEX) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        node: _Node = index.internalPointer()
        up = node.parent
        if up is None or up is self._root:
            return QModelIndex()
        return self.createIndex(up.row, 0, up)

    def rowCount(self, parent: Index = NO_INDEX) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        node = self._node(parent)
        if node.level == "township":
            return 0
        return len(self._load(node))

    def hasChildren(self, parent: Index = NO_INDEX) -> bool:
        if parent.isValid() and parent.column() != 0:
            return False
        node = self._node(parent)
        if node.level == "township":
            return False
        if node.children is None and node is not self._root:
            return True  # loaded when expanded
        return bool(self._load(node))

    def columnCount(self, parent: Index = NO_INDEX) -> int:
        return 2

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node: _Node = index.internalPointer()
        if role == Qt.ItemDataRole.DisplayRole:
            return node.name if index.column() == 0 else node.code
        if role == CODE_ROLE:
            return node.code
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            from i18n import tr

            return tr("ui.unit.col.name") if section == 0 else tr("ui.unit.col.code")
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def refresh_headers(self) -> None:
        """Re-read header texts (after a language switch)."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 1)
