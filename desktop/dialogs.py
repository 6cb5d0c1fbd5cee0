"""Small modal questions and notices. Tests replace these functions to answer them."""

from __future__ import annotations

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


def open_file(parent: QWidget | None, title: str, filters: str) -> str | None:
    """Pick one existing file."""
    from PySide6.QtWidgets import QFileDialog

    path, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
    return path or None


def open_files(parent: QWidget | None, title: str, filters: str) -> list[str]:
    """Pick several existing files."""
    from PySide6.QtWidgets import QFileDialog

    paths, _ = QFileDialog.getOpenFileNames(parent, title, "", filters)
    return list(paths)


def save_file(parent: QWidget | None, title: str, suggested: str, filters: str) -> str | None:
    """Choose where to write a file."""
    from PySide6.QtWidgets import QFileDialog

    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path or None


XLSX_FILTER_KEY = "ui.filter.xlsx"


def xlsx_filter() -> str:
    """File-dialog filter for Excel workbooks, translated."""
    return tr(XLSX_FILTER_KEY) + " (*.xlsx)"
