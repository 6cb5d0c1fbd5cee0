"""Settings, backup and restore, from the app (no command line needed).

Settings: the unit (after 区划调整 or a wrong first pick, through the first-run picker), the
clerk's name, durability (``synchronous = FULL``: a save survives a power cut, at an fsync per
save) and the language. Backup copies the database into ``DATA/backups``; restore replaces it
with a chosen backup after a safety backup of what is there. Every write goes through the
window's DB worker (``window.db``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import i18n
from desktop import dialogs
from i18n import tr


class SettingsDialog(QDialog):
    """The installation's settings; ``apply()`` stores what changed (OK does)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.setObjectName("settings_dialog")
        self.window_ = window
        self.store = window.store
        self.code: str | None = self.store.unit_code
        self.unit = QLabel(objectName="settings_unit", wordWrap=True)
        self.btn_unit = QPushButton(objectName="settings_change_unit")
        self.btn_unit.clicked.connect(self.pick_unit)
        unit_row = QWidget()
        lay = QHBoxLayout(unit_row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.unit, 1)
        lay.addWidget(self.btn_unit)
        self.clerk = QLineEdit(self.store.clerk or "", objectName="settings_clerk")
        self.durable = QCheckBox(objectName="settings_durable")
        self.durable.setChecked(self.store.get_setting("synchronous", "normal") == "full")
        self.language = QComboBox(objectName="settings_language")
        self.language.addItem("中文", "zh_CN")
        self.language.addItem("English", "en")
        self.language.setCurrentIndex(max(self.language.findData(i18n.get_language()), 0))
        self.form = QFormLayout()
        self.labels = [QLabel() for _ in range(4)]
        for label, field in zip(
            self.labels, (unit_row, self.clerk, self.durable, self.language), strict=True
        ):
            self.form.addRow(label, field)
        self.durable_hint = QLabel(wordWrap=True)
        self.durable_hint.setStyleSheet("color: #555;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.durable_hint)
        layout.addWidget(self.buttons)
        self.retranslate()
        self.resize(560, 260)

    def retranslate(self) -> None:
        self.setWindowTitle(tr("ui.settings.title"))
        for label, key in zip(
            self.labels,
            (
                "ui.settings.unit",
                "ui.settings.clerk",
                "ui.settings.durable",
                "ui.settings.language",
            ),
            strict=True,
        ):
            label.setText(tr(key))
        self.btn_unit.setText(tr("ui.settings.change_unit"))
        self.durable.setText(tr("ui.settings.durable_box"))
        self.durable_hint.setText(tr("ui.settings.durable_hint"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("ui.button.cancel"))
        self._show_unit()

    def _show_unit(self) -> None:
        units = self.store.units
        if not self.code:
            self.unit.setText(tr("ui.firstrun.none"))
            return
        try:
            path = " › ".join(u.name for u in units.path(self.code))
        except Exception:
            path = self.code
        self.unit.setText(tr("ui.firstrun.chosen", path=path, code=self.code))

    def pick_unit(self) -> None:
        """Choose another unit with the first-run picker (search, scope, tree)."""
        from desktop.firstrun import FirstRunDialog

        picker = FirstRunDialog(self.store, self, save=False)
        picker.clerk.setText(self.clerk.text())
        if self.code:
            picker.search.setText(self.code)
        if picker.exec() == QDialog.DialogCode.Accepted and picker.code:
            self.code = picker.code
            self._show_unit()

    def accept(self) -> None:
        if self.apply():
            super().accept()

    def apply(self) -> bool:
        """Store the settings through the DB worker; False (and a message) if refused."""
        from desktop.errors import show_error

        code, clerk = self.code, self.clerk.text().strip()
        durable = self.durable.isChecked()
        language = self.language.currentData()

        def job(s: Any) -> None:
            if code and code != s.unit_code:
                s.set_unit(code)
            if clerk and clerk != s.clerk:
                s.set_clerk(clerk)
            s.set_setting("synchronous", "full" if durable else "normal")
            s.db.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")

        result: list[bool] = []
        self.window_.db.write(
            job,
            done=lambda _r: result.append(True),
            failed=lambda exc: (result.append(False), show_error(self, exc)),
        )
        if language != i18n.get_language():
            self.window_.set_language(language)
        self.window_.notify_changed("")
        self.window_.retranslate()
        return result != [False]


def backup_now(window: Any) -> None:
    """Copy the database into the data folder's backups and say where it went."""
    from desktop.errors import show_error

    def done(path: Path) -> None:
        dialogs.inform(window, tr("ui.backup.title"), tr("ui.backup.done", path=str(path)))

    window.db.write(lambda s: s.backup("manual"), done=done, failed=lambda e: show_error(window, e))


def restore_from_backup(window: Any, path: str | None = None) -> None:
    """Replace the data with a chosen backup (after a safety backup of what is there)."""
    from desktop.errors import show_error

    folder = window.store.folder / "backups"
    path = path or dialogs.open_backup(window, tr("ui.restore.title"), str(folder))
    if not path:
        return
    if not dialogs.confirm(window, tr("ui.restore.title"), tr("ui.restore.confirm", file=path)):
        return

    def done(safety: Path) -> None:
        window.notify_changed("")
        window.retranslate()
        dialogs.inform(window, tr("ui.restore.title"), tr("ui.restore.done", safety=str(safety)))

    window.db.write(
        lambda s: s.restore_backup(path), done=done, failed=lambda e: show_error(window, e)
    )
