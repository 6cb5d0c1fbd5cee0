"""Found walking the real window as a township and a county would (acc2): the township's
文件 → 导入 must take the county's 退回 file (and the other file kinds the app writes), and the
summaries at the end of an import, export or merge keep their line breaks (no literal "\\n")."""

from __future__ import annotations

from tests.gui.test_gui_returns import _township


def _import_through_the_dialog(qtbot, window, answers, paths):
    """What 文件 → 导入下级文件 does: the import dialog, its list, 导入."""
    from desktop.importing import ImportDialog

    answers.shown.clear()
    window.import_(paths)
    dialog = window.findChild(ImportDialog, "import_dialog")
    assert dialog is not None and dialog.files.count() == len(paths)
    dialog.start()
    qtbot.waitUntil(lambda: bool(answers.kinds("inform") or answers.kinds("warn")), timeout=30000)
    return answers.shown[-1]


def test_import_export_and_merge_summaries_keep_their_line_breaks(
    qtbot, window, answers, tmp_path, capsys
):
    from desktop.transfer import ExportDialog, MergeDialog

    _township(tmp_path, capsys)
    _kind, _title, text = _import_through_the_dialog(
        qtbot, window, answers, [str(tmp_path / "t.xlsx")]
    )
    assert "\\n" not in text and "\n" in text, text

    answers.shown.clear()
    dialog = ExportDialog(window)
    dialog.file.edit.setText(str(tmp_path / "county.xlsx"))
    dialog.start()
    qtbot.waitUntil(lambda: bool(answers.kinds("inform")), timeout=30000)
    text = answers.kinds("inform")[-1][1]
    assert "\\n" not in text and "\n" in text, text

    answers.shown.clear()
    merge = MergeDialog(window)
    merge.add_paths([str(tmp_path / "t.xlsx")])
    merge.out.edit.setText(str(tmp_path / "merged.xlsx"))
    merge.start()
    qtbot.waitUntil(lambda: bool(answers.kinds("inform")), timeout=30000)
    text = answers.kinds("inform")[-1][1]
    assert "\\n" not in text and "\n" in text, text
