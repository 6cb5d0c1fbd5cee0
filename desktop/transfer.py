"""Export, import and merge: pick files, run the job off the UI thread with progress and
Cancel, end with a clear summary. The work itself is ``exports``' (this module only asks)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import dialogs, summaries
from desktop.ops import Op, run_op
from forms.periods import label as period_label
from forms.periods import last_periods
from i18n import compose, shown, tr


def _default_name(store: Any, kind: str) -> str:
    unit = store.unit_code or "unit"
    folder = dialogs.last_folder("save") or str(Path.home())  # where the last one went
    return str(Path(folder) / f"kexie-{kind}-{unit}-{date.today():%Y%m%d}.xlsx")


class _FileRow(QWidget):
    def __init__(self, name: str, choose: Any) -> None:
        super().__init__()
        self.edit = QLineEdit(objectName=name)
        self.button = QPushButton()
        self.button.clicked.connect(choose)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.edit, 1)
        lay.addWidget(self.button)


class ExportDialog(QDialog):
    """Choose period, personal data and the file; then run ``exports.export_bundle``.

    ``op`` is the running job (tests wait on ``op.done``); ``result`` its summary.
    """

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.setObjectName("export_dialog")
        self.window_ = window
        self.store = window.store
        self.op: Op | None = None
        self.result: Any = None
        self.period = QComboBox(objectName="export_period")
        self.period.addItem(tr("ui.export.all_periods"), None)
        for kind in ("year", "quarter", "month"):
            for p in reversed(last_periods(kind, 3 if kind != "month" else 12)):
                self.period.addItem(period_label(p), p)
        self.sensitive = QCheckBox(tr("ui.export.sensitive"), objectName="export_sensitive")
        self.file = _FileRow("export_file", self._choose)
        self.file.edit.setText(_default_name(self.store, "export"))
        self.file.button.setText(tr("ui.button.browse"))
        form = QFormLayout()
        form.addRow(tr("ui.export.period"), self.period)
        form.addRow("", self.sensitive)
        form.addRow(tr("ui.export.file"), self.file)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("ui.action.export"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("ui.button.cancel"))
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        intro = QLabel(tr("ui.export.intro"), wordWrap=True)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(form)
        lay.addWidget(self.buttons)
        self.setWindowTitle(tr("ui.action.export"))
        self.resize(560, 220)

    def _choose(self) -> None:
        path = dialogs.save_file(
            self, tr("ui.action.export"), self.file.edit.text(), dialogs.xlsx_filter()
        )
        if path:
            self.file.edit.setText(path)

    def start(self) -> Op | None:
        """Run the export in the background; the dialog closes and a summary follows."""
        out = self.file.edit.text().strip()
        if not out:
            return None
        if not out.lower().endswith(".xlsx"):
            out += ".xlsx"
        period = self.period.currentData()
        sensitive = self.sensitive.isChecked()
        store = self.store

        def job(task: Any) -> Any:
            from exports import export_bundle

            return export_bundle(store, out, period=period, include_sensitive=sensitive, task=task)

        self.hide()
        self.op = run_op(
            self.window_,
            job,
            title=tr("ui.action.export"),
            success=self._done,
            failure=self._failed,
        )
        return self.op

    def _done(self, summary: Any) -> None:
        self.result = summary
        self.window_.notify_changed("")
        dialogs.inform(
            self.window_,
            tr("ui.export.done_title"),
            tr("ui.export.done", summary=summaries.export_text(self.store, summary)),
        )
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        from desktop.errors import show_error

        self.result = exc
        show_error(self.window_, exc)
        self.reject()


def start_import(window: Any, path: str | None = None) -> Op | None:
    """Pick a bundle from a subordinate unit and import it in the background."""
    path = path or dialogs.open_file(window, tr("ui.action.import"), dialogs.xlsx_filter())
    if not path:
        return None
    store = window.store

    def job(task: Any) -> Any:
        from exports import import_bundle
        from exports.loop_cli import import_any

        # A return (退回), a form package or a filled-in template is recognised by its manifest.
        kind, other, refused = import_any(store, path, allow_outside=False, task=task)
        if other is not None:
            return ("other", kind, other, refused)
        return import_bundle(store, path, task=task)

    def done(summary: Any) -> None:
        window.notify_changed("")
        if isinstance(summary, tuple) and summary[:1] == ("other",):
            _, kind, data, refused = summary
            text = summaries.parcel_text(kind, data)
            if refused:
                text = compose([text, *(p["message"] for p in refused[:20])])
                dialogs.warn(window, tr("ui.import.refused_title"),
                             tr("ui.import.done", file=Path(path).name, summary=text))  # fmt: skip
            else:
                dialogs.inform(window, tr("ui.import.done_title"),
                               tr("ui.import.done", file=Path(path).name, summary=text))  # fmt: skip
            return
        text = summaries.import_text(store, summary)
        if summary.refused:
            dialogs.warn(window, tr("ui.import.refused_title"),
                         tr("ui.import.done", file=Path(path).name, summary=text))  # fmt: skip
        else:
            dialogs.inform(window, tr("ui.import.done_title"),
                           tr("ui.import.done", file=Path(path).name, summary=text))  # fmt: skip

    return run_op(window, job, title=tr("ui.action.import"), success=done)


class MergeDialog(QDialog):
    """Choose the subordinate bundles and the merged file; then run ``exports.merge_bundles``."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.setObjectName("merge_dialog")
        self.window_ = window
        self.store = window.store
        self.op: Op | None = None
        self.result: Any = None
        self.outside = QCheckBox(objectName="merge_allow_outside")
        self.outside.setVisible(False)
        self.files = QListWidget(objectName="merge_files")
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        add = QPushButton(tr("ui.merge.add"), objectName="merge_add")
        remove = QPushButton(tr("ui.merge.remove"), objectName="merge_remove")
        add.clicked.connect(self._add)
        remove.clicked.connect(self._remove)
        side = QVBoxLayout()
        side.addWidget(add)
        side.addWidget(remove)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.files, 1)
        row.addLayout(side)
        self.out = _FileRow("merge_out", self._choose_out)
        self.out.edit.setText(_default_name(self.store, "merged"))
        self.out.button.setText(tr("ui.button.browse"))
        form = QFormLayout()
        form.addRow(tr("ui.merge.out"), self.out)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("ui.action.merge"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("ui.button.cancel"))
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(tr("ui.merge.intro"), wordWrap=True))
        lay.addLayout(row, 1)
        lay.addLayout(form)
        lay.addWidget(self.outside)
        lay.addWidget(self.buttons)
        self.setWindowTitle(tr("ui.action.merge"))
        self.resize(640, 420)

    def add_paths(self, paths: list[str]) -> None:
        existing = set(self.paths())
        for p in paths:
            if p not in existing:
                existing.add(p)
                from desktop.importing import describe

                # unit, periods and records before running; control/bidi characters escaped
                item = QListWidgetItem(describe(p, full=True))
                item.setToolTip(shown(p))
                item.setData(Qt.ItemDataRole.UserRole, p)
                self.files.addItem(item)
        self._update_outside()

    def _update_outside(self) -> None:
        """The explicit checkbox for data from outside this unit, naming those units."""
        from desktop.importing import outside_units, peek

        names = outside_units(self.store, [peek(p) for p in self.paths()])
        self.outside.setVisible(bool(names))
        if names:
            self.outside.setText(tr("ui.import.allow_outside", units="、".join(names)))
        else:
            self.outside.setChecked(False)

    def paths(self) -> list[str]:
        """The chosen files (as given, not as shown)."""
        return [
            self.files.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.files.count())
        ]

    def _add(self) -> None:
        self.add_paths(dialogs.open_files(self, tr("ui.merge.add"), dialogs.xlsx_filter()))

    def _remove(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))
        self._update_outside()

    def _choose_out(self) -> None:
        path = dialogs.save_file(
            self, tr("ui.merge.out"), self.out.edit.text(), dialogs.xlsx_filter()
        )
        if path:
            self.out.edit.setText(path)

    def start(self) -> Op | None:
        """Run the merge in the background."""
        paths = self.paths()
        out = self.out.edit.text().strip()
        if not paths or not out:
            dialogs.warn(self, tr("ui.action.merge"), tr("ui.merge.need_files"))
            return None
        store, allow = self.store, self.outside.isChecked()

        def job(task: Any) -> Any:
            from exports import merge_bundles

            return merge_bundles(store, paths, out, allow_outside=allow, task=task)

        self.hide()
        self.op = run_op(
            self.window_, job, title=tr("ui.action.merge"), success=self._done, failure=self._failed
        )
        return self.op

    def _done(self, summary: Any) -> None:
        self.result = summary
        dialogs.inform(
            self.window_,
            tr("ui.merge.done_title"),
            tr("ui.merge.done", summary=summaries.merge_text(self.store, summary)),
        )
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        from desktop.errors import show_error

        self.result = exc
        show_error(self.window_, exc)
        self.reject()
