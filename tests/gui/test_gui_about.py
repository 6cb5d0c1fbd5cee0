"""Help → About: version, build, the data folder (where logs and crash reports go)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from kexie import __version__, logs


def test_about_shows_version_and_data_folder(qtbot, window):
    from desktop.about import AboutDialog

    window.act_about.trigger()
    dialog = window.findChild(AboutDialog, "about_dialog")
    assert dialog is not None and dialog.isVisible()
    assert __version__ in dialog.version.text()
    assert dialog.path.text() == str(window.store.folder)
    assert logs.ERROR_LOG in dialog.logs.text() and logs.LOG_NAME in dialog.logs.text()
    assert not dialog.crashes.isVisibleTo(dialog)  # no crash reports in a fresh folder
    dialog.copy_details()
    assert str(window.store.folder) in QApplication.clipboard().text()
    dialog.close()


def test_about_points_at_crash_reports_left_in_the_data_folder(qtbot, window):
    from desktop.about import AboutDialog

    folder = window.store.folder
    (folder / f"{logs.CRASH_PREFIX}20260101-120000-1.log").write_text(
        "--- header\nFatal Python error: Segmentation fault\n", encoding="utf-8"
    )
    dialog = AboutDialog(window, folder)
    assert dialog.crashes.isVisibleTo(dialog) and "1" in dialog.crashes.text()
    dialog.deleteLater()


def test_about_in_english(qtbot, window):
    import i18n
    from desktop.about import AboutDialog

    i18n.set_language("en")
    dialog = AboutDialog(window, window.store.folder)
    assert dialog.windowTitle() == "About Kexie Collect"
    assert dialog.version.text() == f"Version {__version__}"
    dialog.deleteLater()
