"""导入记录 in the window, and warnings and escaped names in the import dialog's summary."""

from __future__ import annotations

import zipfile

from test_gui_transfer import _township_bundle


def test_import_log_lists_accepted_and_refused_attempts(qtbot, window, answers, tmp_path):
    from desktop.importlog import ImportLogDialog
    from desktop.transfer import start_import

    good = _township_bundle(tmp_path)
    macro = tmp_path / "macro.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(macro, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
        zout.writestr("xl/vbaProject.bin", b"\0" * 64)
    evil = tmp_path / "evil\u202egpj.xlsx"
    evil.write_bytes(b"not a workbook")
    for path in (macro, evil):
        op = start_import(window, str(path))
        with qtbot.waitSignal(op.done, timeout=60_000):
            pass
    _title, text = answers.kinds("inform")[-1]
    assert "宏" in text and "vbaProject.bin" in text  # the warning, in the dialog's summary
    _title, text = answers.kinds("warn")[-1]
    assert "\u202e" not in text and "evil\\u202egpj.xlsx" in text

    assert window.act_import_log.text() == "导入记录…"
    assert window.act_import_log in window.file_menu.actions()
    dialog = ImportLogDialog(window)
    dialog.show()
    qtbot.waitExposed(dialog)
    t = dialog.table
    assert t.rowCount() == 2
    cells = [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(2)]
    assert cells[0][2] == "已拒绝" and cells[0][4] == "evil\\u202egpj.xlsx"
    assert "不是 Excel 工作簿" in cells[0][6]
    assert cells[1][2] == "已接收" and cells[1][4] == "macro.xlsx" and "万寿路街道" in cells[1][3]
    assert "宏" in cells[1][6]
    assert dialog.grab().save(str(tmp_path / "import-log.png"))
    from desktop.lang import switch_language

    switch_language("en")
    try:
        assert dialog.windowTitle() == "Import log"
        assert t.item(0, 2).text() == "refused" and "not an Excel workbook" in t.item(0, 6).text()
    finally:
        switch_language("zh_CN")
    dialog.close()


def test_merge_list_shows_names_escaped(qtbot, window, tmp_path):
    from desktop.transfer import MergeDialog

    dialog = MergeDialog(window)
    path = str(tmp_path / "a\u202eb.xlsx")
    dialog.add_paths([path, path])
    assert dialog.files.count() == 1
    assert dialog.files.item(0).text().endswith("a\\u202eb.xlsx")
    assert dialog.paths() == [path]
    dialog.close()
