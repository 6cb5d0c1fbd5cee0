"""Import several bundles at once: pick files (multi-select), a whole folder, or drop them on
the window; the list shows each file's unit, periods and record count before anything runs;
one background job imports them in turn; the summary says which expected subordinate units
have still not reported ("已报 3/24"). A bundle from outside this unit is accepted only with
the explicit checkbox, which names those units."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from desktop import dialogs
from desktop.ops import Op, run_op
from i18n import compose, shown, tr

PATH_ROLE = Qt.ItemDataRole.UserRole


def peek(path: str) -> dict | None:
    """A bundle's manifest (unit, unit name, periods, counts), read without importing it
    (milliseconds); None when the file is not a readable bundle (the import then says why)."""
    try:
        from exports.reader import BundleReader

        return dict(BundleReader(path).manifest)
    except Exception:
        return None


def describe(path: str, manifest: dict | None = None, *, full: bool = False) -> str:
    """One line for a file list: its unit, periods and records, then the file (its name, or
    the whole path with ``full``; control and bidi characters shown escaped)."""
    m = manifest if manifest is not None else peek(path)
    name = shown(path if full else Path(path).name)
    if not m:
        return tr("ui.import.item_unknown", file=name)
    periods = sorted(m.get("periods") or [])
    span = (periods[0] if len(periods) == 1 else f"{periods[0]}~{periods[-1]}") if periods else "-"
    count = sum(int(v or 0) for v in (m.get("counts") or {}).values())
    unit = m.get("unit_name") or m.get("unit") or "?"
    return tr("ui.import.item", file=name, unit=unit, periods=span, count=count)


def bundle_paths(paths: list[str]) -> list[str]:
    """Files as given, and every ``*.xlsx`` in a folder given (not its Excel lock files)."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out += sorted(
                str(f) for f in path.glob("*.xlsx") if not f.name.startswith("~$") and f.is_file()
            )
        elif p:
            out.append(p)
    return list(dict.fromkeys(out))


def missing_units(store: Any, manifests: list[dict]) -> tuple[int, int, list[str]] | None:
    """(reported, expected, names still missing) of this unit's direct subordinates, for the
    newest month (else year) the imported bundles cover; None when nothing to judge."""
    units = store.units
    me = store.unit_code
    children = units.children(me) if me else []
    periods = sorted({p for m in manifests for p in (m.get("periods") or [])})
    if not children or not periods:
        return None
    monthly = [p for p in periods if len(p) == 7 and p[4] == "-"]
    period = (monthly or periods)[-1]
    reported: set[str] = set()
    for form in store.forms():
        if form.kind != "report":
            continue
        for row in store.records(form.form_id, period=period):
            code = row.get("_unit") or ""
            for child in children:
                if code.startswith(child.prefix):
                    reported.add(child.code)
    missing = [c.name for c in children if c.code not in reported]
    return len(children) - len(missing), len(children), missing


def outside_units(store: Any, manifests: list[dict | None]) -> list[str]:
    """ "name（code）" of every bundle's unit that is not this unit or below it."""
    own = store.units.get(store.unit_code) if store.unit_code else None
    prefix = own.prefix if own else ""
    out = []
    for m in manifests:
        code = str((m or {}).get("unit") or "")
        if code and not code.startswith(prefix):
            out.append(f"{(m or {}).get('unit_name') or code}（{code}）")
    return list(dict.fromkeys(out))


class Parcel(NamedTuple):
    """What importing a file that is not a bundle did (a return, a form package, a template)."""

    kind: str
    data: dict
    refused: list


class ImportDialog(QDialog):
    """Choose bundles (files, a folder, drag and drop), see what they are, import them all."""

    def __init__(self, window: Any, paths: list[str] | None = None) -> None:
        super().__init__(window)
        self.setObjectName("import_dialog")
        self.setAcceptDrops(True)
        self.window_ = window
        self.store = window.store
        self.op: Op | None = None
        self.results: list[tuple[str, Any]] = []
        self.manifests: dict[str, dict | None] = {}
        self.files = QListWidget(objectName="import_files")
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.btn_files = QPushButton(tr("ui.merge.add"), objectName="import_add")
        self.btn_folder = QPushButton(tr("ui.import.add_folder"), objectName="import_add_folder")
        self.btn_remove = QPushButton(tr("ui.merge.remove"), objectName="import_remove")
        self.btn_files.clicked.connect(self._add_files)
        self.btn_folder.clicked.connect(self._add_folder)
        self.btn_remove.clicked.connect(self._remove)
        side = QVBoxLayout()
        for b in (self.btn_files, self.btn_folder, self.btn_remove):
            side.addWidget(b)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.files, 1)
        row.addLayout(side)
        self.outside = QCheckBox(objectName="import_allow_outside")
        self.outside.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("ui.action.import"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("ui.button.cancel"))
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(tr("ui.import.intro"), wordWrap=True))
        lay.addLayout(row, 1)
        lay.addWidget(self.outside)
        lay.addWidget(self.buttons)
        self.setWindowTitle(tr("ui.action.import"))
        self.resize(720, 420)
        self.add_paths(paths or [])

    # the list ------------------------------------------------------------------------------
    def add_paths(self, paths: list[str]) -> None:
        """Add files (and every bundle in a folder), each described from its manifest."""
        have = set(self.paths())
        for p in bundle_paths(paths):
            if p in have:
                continue
            have.add(p)
            m = self.manifests[p] = peek(p)
            item = QListWidgetItem(describe(p, m))
            item.setData(PATH_ROLE, p)
            item.setToolTip(shown(p))
            self.files.addItem(item)
        self._update_outside()

    def paths(self) -> list[str]:
        return [self.files.item(i).data(PATH_ROLE) for i in range(self.files.count())]

    def outside_units(self) -> list[str]:
        """Names of the chosen bundles' units that are not this unit or below it."""
        return outside_units(self.store, [self.manifests.get(p) for p in self.paths()])

    def _update_outside(self) -> None:
        names = self.outside_units()
        self.outside.setVisible(bool(names))
        if names:
            self.outside.setText(tr("ui.import.allow_outside", units="、".join(names)))
        else:
            self.outside.setChecked(False)

    def _add_files(self) -> None:
        self.add_paths(dialogs.open_files(self, tr("ui.merge.add"), dialogs.xlsx_filter()))

    def _add_folder(self) -> None:
        folder = dialogs.open_folder(self, tr("ui.import.add_folder"))
        if folder:
            self.add_paths([folder])

    def _remove(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))
        self._update_outside()

    # drag and drop --------------------------------------------------------------------------
    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        self.add_paths([u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()])
        event.acceptProposedAction()

    # running ------------------------------------------------------------------------------
    def start(self) -> Op | None:
        """Import every listed file, one after another, in the background."""
        paths = self.paths()
        if not paths:
            dialogs.warn(self, tr("ui.action.import"), tr("ui.import.need_files"))
            return None
        store, allow = self.store, self.outside.isChecked()

        def job(task: Any) -> list[tuple[str, Any]]:
            from exports import import_bundle
            from exports.loop_cli import import_any

            out: list[tuple[str, Any]] = []
            for i, p in enumerate(paths):
                task.check()
                task.report(i / len(paths), Path(p).name)
                try:
                    # A return (退回), a form package or a filled-in template is recognised by
                    # its manifest, as `kexie import` does; anything else is a bundle.
                    kind, other, refused = import_any(store, p, allow_outside=allow, task=None)
                    if other is not None:
                        out.append((p, Parcel(kind, other, refused or [])))
                    else:
                        out.append((p, import_bundle(store, p, allow_outside=allow)))
                except Exception as exc:  # one bad file does not stop the others
                    out.append((p, exc))
            task.report(1.0)
            return out

        self.hide()
        self.op = run_op(self.window_, job, title=tr("ui.action.import"), success=self._done)
        return self.op

    def _done(self, results: list[tuple[str, Any]]) -> None:
        from desktop import summaries
        from i18n.errors import KexieError

        self.results = results
        self.window_.notify_changed("")
        parts, refused = [], False
        for path, summary in results:
            name = shown(Path(path).name)
            if isinstance(summary, BaseException):
                refused = True
                text = summary.message() if isinstance(summary, KexieError) else str(summary)
            elif isinstance(summary, Parcel):
                refused = refused or bool(summary.refused)
                lines = [p["message"] for p in summary.refused[:20]]
                text = compose([summaries.parcel_text(summary.kind, summary.data), *lines])
            else:
                refused = refused or bool(summary.refused)
                text = summaries.import_text(self.store, summary)
            parts.append(tr("ui.import.done", file=name, summary=text))
        judged = missing_units(self.store, [m for m in self.manifests.values() if m])
        if judged is not None:
            done, expected, missing = judged
            line = tr("ui.import.reported", done=done, expected=expected)
            if missing:
                line += "\n" + tr("ui.import.missing", units="、".join(missing[:40]))
            parts.append(line)
        title = tr("ui.import.refused_title") if refused else tr("ui.import.done_title")
        (dialogs.warn if refused else dialogs.inform)(self.window_, title, "\n\n".join(parts))
        self.accept()
