"""First run: the clerk finds the unit by pinyin initials or in the tree, types a name, starts."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from desktop.firstrun import FirstRunDialog
from desktop.unittree import CODE_ROLE, UnitTreeModel


def test_pick_unit_by_pinyin_initials_and_keyboard(qtbot, store, typer):
    dialog = FirstRunDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()

    qtbot.keyClicks(dialog.search, "hdq")  # 海淀区
    assert dialog.stack.currentWidget() is dialog.results
    names = [dialog.results.item(i).text() for i in range(dialog.results.count())]
    row = next(i for i, text in enumerate(names) if "海淀区" in text)
    qtbot.keyClick(dialog.search, Qt.Key.Key_Down)  # into the results, as with a completer
    assert QApplication.focusWidget() is dialog.results
    for _ in range(row):
        qtbot.keyClick(dialog.results, Qt.Key.Key_Down)
    assert dialog.code == "110108000000"
    qtbot.keyClick(dialog.results, Qt.Key.Key_Return)  # take it: on to the clerk's name
    assert QApplication.focusWidget() is dialog.clerk
    assert "北京市 › 海淀区" in dialog.chosen.text()
    assert not ok.isEnabled()  # still needs the clerk's name

    typer(dialog.clerk, "王小明")
    assert ok.isEnabled()
    qtbot.keyClick(dialog.clerk, Qt.Key.Key_Return)
    assert dialog.result() == FirstRunDialog.DialogCode.Accepted
    assert store.unit_code == "110108000000"
    assert store.clerk == "王小明"


def test_search_by_code_and_tree_selection(qtbot, store):
    dialog = FirstRunDialog(store)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.search, "110108")
    assert dialog.code == "110108000000"
    dialog.search.clear()
    assert dialog.stack.currentWidget() is dialog.tree
    first = dialog.model.index(0, 0)
    dialog.tree.setCurrentIndex(first)
    assert dialog.code == first.data(CODE_ROLE)


def test_unit_tree_model_is_consistent(qtmodeltester, store):
    model = UnitTreeModel(store.units)
    qtmodeltester.check(model)
    beijing = model.index(0, 0)
    assert beijing.data() == "北京市"
    assert model.rowCount(beijing) > 0
    district = model.index(0, 0, beijing)
    assert model.parent(district) == beijing
    assert model.hasChildren(district)
