"""Small modal questions and notices. Tests replace these functions to answer them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget

from i18n import tr


def warn(parent: QWidget | None, title: str, text: str) -> None:
    """A warning the user must acknowledge."""
    QMessageBox.warning(parent, title, text)


def inform(parent: QWidget | None, title: str, text: str) -> None:
    """A notice (e.g. the summary at the end of a job)."""
    QMessageBox.information(parent, title, text)


def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    """Yes/No question; True for yes."""
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    """One line of text (e.g. the reason for editing a finalised record); None if cancelled."""
    value, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, text)
    return value.strip() if ok and value.strip() else None


# The folder each kind of file dialog last used ("open", "save"), remembered between runs by
# the main window (``remember``); the dialogs start there.
_folders: dict[str, str] = {}
_on_folder: Any = None


def remember(folders: dict[str, str], on_change: Any) -> None:
    """Start file dialogs in ``folders`` ({kind: folder}); ``on_change(folders)`` after each
    choice (the main window stores them)."""
    global _on_folder
    _folders.clear()
    _folders.update({k: v for k, v in (folders or {}).items() if isinstance(v, str)})
    _on_folder = on_change


def last_folder(kind: str) -> str:
    """The folder the ``kind`` dialog used last ("" for none, or when it has gone)."""
    folder = _folders.get(kind) or _folders.get("open") or ""
    return folder if folder and Path(folder).is_dir() else ""


def _chosen(kind: str, path: str | None) -> None:
    if not path:
        return
    folder = str(Path(path) if Path(path).is_dir() else Path(path).parent)
    if _folders.get(kind) != folder:
        _folders[kind] = folder
        if _on_folder is not None:
            _on_folder(dict(_folders))


def open_file(parent: QWidget | None, title: str, filters: str) -> str | None:
    """Pick one existing file."""
    from PySide6.QtWidgets import QFileDialog

    path, _ = QFileDialog.getOpenFileName(parent, title, last_folder("open"), filters)
    _chosen("open", path)
    return path or None


def open_files(parent: QWidget | None, title: str, filters: str) -> list[str]:
    """Pick several existing files."""
    from PySide6.QtWidgets import QFileDialog

    paths, _ = QFileDialog.getOpenFileNames(parent, title, last_folder("open"), filters)
    if paths:
        _chosen("open", paths[0])
    return list(paths)


def open_backup(parent: QWidget | None, title: str, folder: str) -> str | None:
    """Pick a backup file (``*.sqlite``), starting in the data folder's backups."""
    from PySide6.QtWidgets import QFileDialog

    filters = tr("ui.filter.backup") + " (*.sqlite)"
    path, _ = QFileDialog.getOpenFileName(parent, title, folder, filters)
    return path or None


def open_folder(parent: QWidget | None, title: str) -> str | None:
    """Pick a folder (e.g. every bundle in it)."""
    from PySide6.QtWidgets import QFileDialog

    path = QFileDialog.getExistingDirectory(parent, title, last_folder("open"))
    _chosen("open", path)
    return path or None


def save_file(parent: QWidget | None, title: str, suggested: str, filters: str) -> str | None:
    """Choose where to write a file (``suggested``: a name, or a path whose folder is used
    unless a folder was chosen last time)."""
    from PySide6.QtWidgets import QFileDialog

    folder = last_folder("save")
    start = str(Path(folder) / Path(suggested).name) if folder and suggested else suggested
    path, _ = QFileDialog.getSaveFileName(parent, title, start, filters)
    _chosen("save", path)
    return path or None


XLSX_FILTER_KEY = "ui.filter.xlsx"


def xlsx_filter() -> str:
    """File-dialog filter for Excel workbooks, translated."""
    return tr(XLSX_FILTER_KEY) + " (*.xlsx)"
