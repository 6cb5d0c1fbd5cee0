"""Import several bundles at once: multi-select, a folder, drag and drop; each file listed with
its unit, periods and records before running; an explicit, named checkbox for data from
outside the unit; a summary that says which subordinate units are still missing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

TOWNS = {"110108001000": "万寿路街道", "110108002000": "永定路街道"}
OUTSIDE = "330106002000"  # 杭州市西湖区 北山街道: another province


def _bundle(folder, unit, name):
    from exports import export_bundle
    from localdb import open_store
    from localdb.demo import run_demo

    out = folder / f"{name}.xlsx"
    with open_store(folder / f"data-{name}") as store:
        store.set_unit(unit)
        store.set_clerk("李华")
        run_demo(store, records=3, seed=4)
        export_bundle(store, out)
    return out


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundles")
    inbox = folder / "收件"
    inbox.mkdir()
    made = [_bundle(inbox, code, f"t{i}") for i, code in enumerate(TOWNS)]
    made.append(_bundle(folder, OUTSIDE, "outside"))
    return inbox, made


def test_a_folder_and_a_drop_listed_with_unit_periods_and_counts(qtbot, window, bundles, answers):
    from desktop.importing import ImportDialog

    inbox, made = bundles
    dialog = ImportDialog(window)
    dialog.add_paths([str(inbox)])  # a whole folder
    assert dialog.paths() == [str(p) for p in made[:2]]
    texts = [dialog.files.item(i).text() for i in range(dialog.files.count())]
    assert "万寿路街道" in texts[0] and "永定路街道" in texts[1]
    assert all("条记录" in t and "~" in t for t in texts)
    assert not dialog.outside.isVisible() and not dialog.outside.isVisibleTo(dialog)

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(made[2]))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    dialog.dropEvent(drop)
    assert len(dialog.paths()) == 3
    assert dialog.outside.isVisibleTo(dialog)
    assert "北山街道" in dialog.outside.text() and "接收外单位数据" in dialog.outside.text()
    dialog.close()


def test_several_files_imported_outside_only_when_ticked(qtbot, window, bundles, answers):
    from desktop.importing import ImportDialog

    _inbox, made = bundles
    answers.open_files = [str(p) for p in made]
    dialog = ImportDialog(window)
    dialog._add_files()  # multi-select in the file dialog
    assert len(dialog.paths()) == 3
    op = dialog.start()
    with qtbot.waitSignal(op.done, timeout=60_000):
        pass
    title, text = answers.kinds("warn")[-1]  # the outside one was refused, the others not
    assert title == "文件被拒收"
    assert text.count("新增") >= 2
    assert "下级单位：已报 2/" in text and "尚未报来" in text
    children = window.store.units.children(window.store.unit_code)
    assert f"已报 2/{len(children)}" in text
    assert window.store.records("kexie_survey", unit=OUTSIDE) == []

    dialog = ImportDialog(window, [str(made[2])])
    dialog.outside.setChecked(True)  # explicit: these named units' data is wanted
    op = dialog.start()
    with qtbot.waitSignal(op.done, timeout=60_000):
        pass
    title, text = answers.kinds("inform")[-1]
    assert title == "导入完成"
    assert window.store.records("kexie_survey", unit=OUTSIDE)


def test_merge_names_outside_units_in_an_explicit_checkbox(qtbot, window, bundles, answers):
    from desktop.transfer import MergeDialog

    _inbox, made = bundles
    dialog = MergeDialog(window)
    dialog.add_paths([str(made[0])])
    assert not dialog.outside.isVisibleTo(dialog)
    assert "万寿路街道" in dialog.files.item(0).text()
    dialog.add_paths([str(made[2])])
    assert dialog.outside.isVisibleTo(dialog) and "北山街道" in dialog.outside.text()
    dialog.files.setCurrentRow(1)
    dialog.files.item(1).setSelected(True)
    dialog._remove()
    assert not dialog.outside.isVisibleTo(dialog)
    dialog.close()
