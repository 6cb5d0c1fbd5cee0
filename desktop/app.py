"""Entry point of the desktop app: ``kexie`` with no sub-command calls :func:`run_app`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication, QDialog

import i18n
from desktop import dialogs, errors
from desktop.lang import notifier
from i18n import tr
from i18n.errors import KexieError, StorageError

READY_PROBE = "KEXIE_EXIT_WHEN_READY"
UI_FONTS = (
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
)


def application() -> QApplication:
    """The QApplication (created once), with a font that shows Chinese well."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("KexieCollect")
        app.setOrganizationName("Kexie")
        app.setDesktopFileName("kexie")  # matches kexie.desktop: the taskbar shows our icon
        app.setWindowIcon(app_icon())
    from PySide6.QtGui import QFontDatabase

    families = set(QFontDatabase.families())
    for name in UI_FONTS:
        if name in families:
            font = QFont(name)
            font.setPointSize(max(app.font().pointSize(), 10))
            app.setFont(font)
            break
    notifier().install_qt_translator(i18n.get_language())
    return app  # type: ignore[return-value]


def app_icon() -> QIcon:
    """The application icon (desktop/resources; inside the frozen program too)."""
    folder = Path(__file__).resolve().parent / "resources"
    icon = QIcon()
    for name in ("kexie.svg", "kexie.png"):
        if (folder / name).exists():
            icon.addFile(str(folder / name))
    return icon


def open_data(data_dir: str | Path | None) -> Any:
    """Open the store of ``data_dir`` (the default data folder when None)."""
    from kexie.logs import ERROR_LOG
    from kexie.paths import resolve_data_dir
    from localdb import open_store

    folder = resolve_data_dir(data_dir)
    errors.LOG_FILE = folder / ERROR_LOG
    return open_store(folder, create=True)


def start(store: Any, *, first_run_parent: Any = None) -> Any:
    """The main window for ``store``, after the first-run dialog when no unit is set yet.
    Returns None when the user closes the first-run dialog."""
    saved = store.get_setting("language")
    if saved and not _language_forced():
        i18n.set_language(str(saved))
    if not store.unit_code:
        from desktop.firstrun import FirstRunDialog

        dialog = FirstRunDialog(store, first_run_parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        store.set_setting("language", i18n.get_language())
    from desktop.mainwindow import MainWindow

    return MainWindow(store)


def _language_forced() -> bool:
    return bool(os.environ.get("KEXIE_LANG")) or any(a.startswith("--lang") for a in sys.argv)


def run_app(data_dir: str | None = None) -> int:
    """Open the desktop app on ``data_dir``; returns the process exit code."""
    app = application()
    try:
        store = open_data(data_dir)
    except StorageError as exc:
        dialogs.warn(None, tr("ui.error.cannot_open"), exc.message())
        return 1
    except KexieError as exc:
        errors.show_error(None, exc)
        return 1
    from kexie import logs

    logs.start(store.folder)  # kexie.log and crash reports in the data folder
    sys.excepthook = _excepthook
    window = None
    try:
        window = start(store)
        if window is None:
            return 0
        window.show()
        if os.environ.get(READY_PROBE):
            # Benchmarks: report once the event loop runs with the window shown, then leave.
            QTimer.singleShot(0, lambda: _report_ready(app, window))
        return int(app.exec())
    finally:
        if window is not None and shiboken6.isValid(window):
            window.db.hand_back()  # queued writes are made; the UI thread closes the store
            shiboken6.delete(window)  # before the store closes: nothing may query it after
        store.close()
        logs.stop()  # a clean end: no crash report left


READY_PAGE = "KEXIE_READY_PAGE"
READY_SCREENSHOT = "KEXIE_READY_SCREENSHOT"


def _report_ready(app: QApplication, window: Any) -> None:
    """The ready probe: print KEXIE-READY and quit. For the frozen program's checks
    (scripts/build_app.py) it can first open a page (``KEXIE_READY_PAGE``: records, dashboard
    or about) and save a screenshot of it (``KEXIE_READY_SCREENSHOT``: a .png path)."""
    page = os.environ.get(READY_PAGE, "")
    shown = window
    if page in ("records", "dashboard"):
        window.nav.setCurrentRow(1 if page == "records" else 2)
    elif page == "about":
        window.about()
        shown = window.findChild(QDialog, "about_dialog") or window
    app.processEvents()
    shot = os.environ.get(READY_SCREENSHOT)
    if shot:
        shown.grab().save(shot)
    print("KEXIE-READY", flush=True)
    app.quit()


def _excepthook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
    # An exception escaping a slot: show it instead of losing it (or crashing the app).
    errors.show_error(QApplication.activeWindow(), exc.with_traceback(tb))
