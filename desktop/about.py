"""Help → About: the version, this build, and the data folder (where logs and crash reports go),
with a button that opens the folder so a clerk can send the files to support."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from i18n import tr


class AboutDialog(QDialog):
    """Version, build, data folder, log files; "Open data folder" and "Copy details"."""

    def __init__(self, parent: QWidget | None, folder: Path) -> None:
        super().__init__(parent)
        from desktop.app import app_icon
        from kexie import __version__, logs

        self.setObjectName("about_dialog")
        self.folder = Path(folder)
        self.setWindowTitle(tr("ui.about.title"))
        icon = QLabel(objectName="about_icon")
        icon.setPixmap(app_icon().pixmap(64, 64))
        head = QLabel(objectName="about_text")
        head.setText(tr("ui.about.text", version=__version__))
        head.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(head, 1)

        self.version = QLabel(tr("ui.about.version", version=__version__), objectName="version")
        self.build = QLabel(tr("ui.about.build", build=logs.build_description()))
        self.build.setObjectName("build")
        self.build.setWordWrap(True)
        self.path = QLabel(str(self.folder), objectName="data_folder")
        self.path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path.setWordWrap(True)
        files = ", ".join((logs.LOG_NAME, logs.ERROR_LOG, f"{logs.CRASH_PREFIX}….log"))
        self.logs = QLabel(tr("ui.about.logs", files=files), objectName="logs")
        self.logs.setWordWrap(True)
        crashes = logs.crash_reports(self.folder)
        self.crashes = QLabel(tr("ui.about.crashes", count=len(crashes)), objectName="crashes")
        self.crashes.setWordWrap(True)
        self.crashes.setVisible(bool(crashes))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.open_button = QPushButton(tr("ui.about.open_folder"), objectName="open_folder")
        self.open_button.clicked.connect(self.open_folder)
        self.copy_button = QPushButton(tr("ui.about.copy"), objectName="copy_details")
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.version)
        layout.addWidget(self.build)
        layout.addSpacing(8)
        layout.addWidget(QLabel(tr("ui.about.data_folder")))
        layout.addWidget(self.path)
        layout.addWidget(self.logs)
        layout.addWidget(self.crashes)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def details(self) -> str:
        """The text "Copy details" puts on the clipboard (for a support request)."""
        return "\n".join((self.version.text(), self.build.text(), str(self.folder)))

    def open_folder(self) -> bool:
        """Show the data folder in the system's file manager."""
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details())


def show_about(parent: Any, folder: Path) -> AboutDialog:
    """Open the About dialog (window-modal) and return it."""
    dialog = AboutDialog(parent, folder)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
