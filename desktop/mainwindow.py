"""The main window: navigation (home, records, dashboard), menus, the language switch, and the
page stack where report entry and interviews open."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QWidget,
)

import i18n
from desktop import dialogs, importlog
from desktop.lang import notifier, switch_language
from i18n import tr
from i18n.errors import KexieError

NAV_KEYS = ("ui.nav.home", "ui.nav.records", "ui.nav.dashboard")
PREFERRED = QSize(1180, 740)
FRAME = QSize(16, 40)  # window frame and title bar, roughly


def initial_size(available: QSize) -> QSize:
    """The first window size on a screen whose free area (taskbar excluded) is ``available``:
    the preferred size, shrunk so that the window and its frame fit."""
    return QSize(
        min(PREFERRED.width(), available.width() - FRAME.width()),
        min(PREFERRED.height(), available.height() - FRAME.height()),
    )


class MainWindow(QMainWindow):
    """Signals:
    data_changed: (form_id or "") after any change to records; open views refresh.
    """

    data_changed = Signal(str)

    def __init__(self, store: Any) -> None:
        super().__init__()
        self.setObjectName("main_window")
        self.setAcceptDrops(True)  # bundles dropped on the window are imported
        self.store = store
        from desktop.home import HomePage
        from desktop.ops import DbWriter

        # From here on the worker thread is the store's only writer; every write of this
        # window goes through self.db.write(...), and the UI thread reads read-only.
        self.db = DbWriter(store, self)
        from desktop.widgets import install_focus_follow

        install_focus_follow()  # Enter, arrows and jumps scroll the focused field into view
        self.db.pending_changed.connect(self._on_pending)
        self._audit_at_start = self._audit_mark()

        self.nav = QListWidget(objectName="nav")
        for _ in NAV_KEYS:
            self.nav.addItem("")
        self.stack = QStackedWidget(objectName="pages")
        self.home = HomePage(self)
        self.stack.addWidget(self.home)
        self._records: QWidget | None = None
        self._dashboard: QWidget | None = None
        self.nav.currentRowChanged.connect(self._on_nav)

        self.nav.setMinimumWidth(96)
        self.nav.setMaximumWidth(260)
        self.splitter = QSplitter(objectName="main_splitter")
        self.splitter.addWidget(self.nav)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([150, 1000])
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(6, 6, 6, 0)
        row.addWidget(self.splitter)
        self.setCentralWidget(central)
        self.status_unit = QLabel(objectName="status_unit")
        self.statusBar().addPermanentWidget(self.status_unit)
        self._build_menus()
        notifier().changed.connect(self.retranslate)
        notifier().install_qt_translator(i18n.get_language())  # Qt's own standard buttons
        self.retranslate()
        self.nav.setCurrentRow(0)
        self._restore_layout()

    # size and layout, remembered -----------------------------------------------------------
    def _restore_layout(self) -> None:
        screen = self.screen() or QApplication.primaryScreen()
        avail = screen.availableGeometry()
        self.resize(initial_size(avail.size()))
        saved = self.store.get_setting("ui.geometry")
        if isinstance(saved, str) and saved:
            self.restoreGeometry(QByteArray.fromBase64(saved.encode("ascii")))
            # a geometry remembered on a bigger screen is shrunk to this one
            if self.width() > avail.width() or self.height() > avail.height():
                self.resize(initial_size(avail.size()))
        self._restore_splitters(self)
        folders = self.store.get_setting("ui.folders") or {}
        dialogs.remember(
            folders if isinstance(folders, dict) else {},
            lambda f: self.db.write(lambda s: s.set_setting("ui.folders", f), failed=_ignore),
        )

    def _restore_splitters(self, root: QWidget) -> None:
        """Give every named splitter under ``root`` its remembered sizes."""
        states = self.store.get_setting("ui.splitters") or {}
        for splitter in root.findChildren(QSplitter):
            state = states.get(splitter.objectName()) if isinstance(states, dict) else None
            if state:
                splitter.restoreState(QByteArray.fromBase64(state.encode("ascii")))

    def _save_layout(self) -> None:
        geometry = bytes(self.saveGeometry().toBase64()).decode("ascii")
        states = dict(self.store.get_setting("ui.splitters") or {})
        for splitter in self.findChildren(QSplitter):
            if splitter.objectName():
                states[splitter.objectName()] = bytes(splitter.saveState().toBase64()).decode()

        def job(s: Any) -> None:
            s.set_setting("ui.geometry", geometry)
            s.set_setting("ui.splitters", states)

        self.db.write(job, failed=_ignore)  # a convenience: never worth a dialog

    # menus -------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("")
        self.act_add_form = QAction(self, objectName="act_add_form")
        self.act_add_form.triggered.connect(self.add_form)
        self.act_export = QAction(self, objectName="act_export")
        self.act_export.setShortcut(QKeySequence("Ctrl+E"))
        self.act_export.triggered.connect(self.export)
        self.act_import = QAction(self, objectName="act_import")
        self.act_import.setShortcut(QKeySequence("Ctrl+I"))
        self.act_import.triggered.connect(self.import_)
        self.act_merge = QAction(self, objectName="act_merge")
        self.act_merge.setShortcut(QKeySequence("Ctrl+M"))
        self.act_merge.triggered.connect(self.merge)
        self.act_settings = QAction(self, objectName="act_settings")
        self.act_settings.triggered.connect(self.settings)
        self.act_backup = QAction(self, objectName="act_backup")
        self.act_backup.triggered.connect(self.backup)
        self.act_restore = QAction(self, objectName="act_restore")
        self.act_restore.triggered.connect(self.restore)
        self.act_quit = QAction(self, objectName="act_quit")
        self.act_quit.setShortcut(QKeySequence.StandardKey.Quit)
        self.act_quit.triggered.connect(self.close)
        for act in (self.act_add_form, None, self.act_export, self.act_import, self.act_merge):
            self.file_menu.addAction(act) if act else self.file_menu.addSeparator()
        self.file_menu.addSeparator()
        for act in (self.act_settings, self.act_backup, self.act_restore):
            self.file_menu.addAction(act)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.act_quit)
        importlog.install(self, after=self.act_merge)  # 导入记录…

        self.lang_menu = bar.addMenu("")
        self.lang_menu.setObjectName("lang_menu")
        group = QActionGroup(self)
        self.lang_actions: dict[str, QAction] = {}
        for code, text in (("zh_CN", "中文"), ("en", "English")):
            act = QAction(text, self, checkable=True, objectName=f"lang_{code}")
            act.setChecked(i18n.get_language() == code)
            act.triggered.connect(lambda _=False, c=code: self.set_language(c))
            group.addAction(act)
            self.lang_menu.addAction(act)
            self.lang_actions[code] = act

        self.help_menu = bar.addMenu("")
        self.act_guide = QAction(self, objectName="act_guide")
        self.act_guide.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.act_guide.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.act_guide.triggered.connect(self.guide)
        self.act_about = QAction(self, objectName="act_about")
        self.act_about.triggered.connect(self.about)
        self.help_menu.addAction(self.act_guide)
        self.help_menu.addAction(self.act_about)

    def set_language(self, code: str) -> None:
        """Switch the whole app's language now, and remember it for the next start."""
        switch_language(code)
        # remembering is a convenience only: a failure to store it is not worth a dialog
        self.db.write(lambda s: s.set_setting("language", code), failed=lambda _exc: None)

    def retranslate(self, *_: object) -> None:
        """Re-read every text this window owns; pages retranslate themselves."""
        demo = self.store.get_setting("demo") is True  # made by kexie demo: say so
        self.setWindowTitle(tr("ui.demo.title", app=tr("app.name")) if demo else tr("app.name"))
        for row, key in enumerate(NAV_KEYS):
            self.nav.item(row).setText(tr(key))
        self.file_menu.setTitle(tr("ui.menu.file"))
        self.act_add_form.setText(tr("ui.action.add_form"))
        self.act_export.setText(tr("ui.action.export"))
        self.act_import.setText(tr("ui.action.import"))
        self.act_merge.setText(tr("ui.action.merge"))
        self.act_quit.setText(tr("ui.action.quit"))
        self.act_settings.setText(tr("ui.action.settings"))
        self.act_backup.setText(tr("ui.action.backup"))
        self.act_restore.setText(tr("ui.action.restore"))
        self.lang_menu.setTitle(tr("ui.menu.language"))
        self.help_menu.setTitle(tr("ui.menu.help"))
        self.act_about.setText(tr("ui.action.about"))
        self.act_guide.setText(tr("ui.action.guide"))
        for code, act in self.lang_actions.items():
            act.setChecked(i18n.get_language() == code)
        self.status_unit.setText(self._unit_text())

    def _unit_text(self) -> str:
        code = getattr(self.store, "unit_code", None)
        if not code:
            return ""
        unit = self.store.units.get(code)
        name = unit.name if unit else code
        return tr("ui.status.unit", unit=name, code=code, clerk=self.store.clerk or "")

    # navigation --------------------------------------------------------------------------
    def _on_nav(self, row: int) -> None:
        if row == 0:
            self.show_page(self.home)
        elif row == 1:
            self.show_page(self.records_page())
        elif row == 2:
            self.show_page(self.dashboard_page())

    def records_page(self) -> QWidget:
        """The records page (created on first use)."""
        if self._records is None:
            from desktop.records import RecordsPage

            self._records = RecordsPage(self)
            self.stack.addWidget(self._records)
        return self._records

    def dashboard_page(self) -> QWidget:
        """The dashboard page (created on first use: matplotlib loads lazily)."""
        if self._dashboard is None:
            from desktop.dashboard import DashboardPage

            self._dashboard = DashboardPage(self)
            self.stack.addWidget(self._dashboard)
        return self._dashboard

    def show_page(self, page: QWidget) -> None:
        """Bring ``page`` to the front (adding it to the stack if new)."""
        if self.stack.indexOf(page) < 0:
            self.stack.addWidget(page)
        self.stack.setCurrentWidget(page)
        if hasattr(page, "activated"):
            page.activated()

    def close_page(self, page: QWidget) -> None:
        """Close an entry page and return home."""
        self.stack.removeWidget(page)
        page.deleteLater()
        self.nav.setCurrentRow(0)
        self.show_page(self.home)

    def go_home(self) -> None:
        self.nav.setCurrentRow(0)
        self.show_page(self.home)

    def open_records(self, form_id: str) -> None:
        """Show the records of one form."""
        page = self.records_page()
        page.select_form(form_id)
        self.nav.setCurrentRow(1)

    def open_entry(self, form_id: str, *, uuid: str | None = None, period: str | None = None):
        """Open a record: a report in the grid, a survey in interview mode."""
        form = self.store.form(form_id)
        if form.kind == "report":
            from desktop.report import ReportPage
            from exports.packages import form_for_period
            from forms.periods import current_period

            # The version that applies to the period (a form package may start from a period);
            # an existing report keeps the version it was entered with.
            record = self.store.get(form_id, uuid) if uuid else None
            version = (record or {}).get("_form_version")
            try:
                form = (self.store.form(form_id, version) if version
                        else form_for_period(self.store, form_id, period
                                             or current_period(form.period_type or "month")))  # fmt: skip
            except KexieError:
                form = self.store.form(form_id)

            page = ReportPage(self, form, uuid=uuid, period=period)
        else:
            from desktop.interview import InterviewPage

            page = InterviewPage(self, form, uuid=uuid)
        self.show_page(page)
        return page

    def _audit_mark(self) -> int:
        """The newest audit row: it moves when records change (save, delete, import...)."""
        try:
            row = self.store.db.execute("SELECT max(id) FROM _audit").fetchone()
        except Exception:
            return 0
        return int(row[0] or 0)

    def _on_pending(self, count: int) -> None:
        # saves queued behind an import have been made: the open views read them now
        if count == 0:
            self.notify_changed("")

    def notify_changed(self, form_id: str = "") -> None:
        """Tell open views that records changed."""
        self.data_changed.emit(form_id)

    # actions -----------------------------------------------------------------------------
    def add_form(self) -> None:
        from desktop.addform import add_form

        add_form(self)

    def guide(self) -> Any:
        """F1: the bundled guide, at the part for the current screen."""
        from desktop.helpguide import show_help

        return show_help(self)

    def settings(self) -> None:
        from desktop.settings import SettingsDialog

        SettingsDialog(self).open()

    def backup(self) -> None:
        from desktop.settings import backup_now

        backup_now(self)

    def restore(self) -> None:
        from desktop.settings import restore_from_backup

        restore_from_backup(self)

    def export(self) -> None:
        from desktop.transfer import ExportDialog

        ExportDialog(self).open()

    def import_(self, paths: list[str] | None = None) -> None:
        """Import bundles: several at once, from files, a folder or a drop on the window."""
        from desktop.importing import ImportDialog

        ImportDialog(self, paths).open()

    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        """Files dropped on the window go to the import dialog, listed and described."""
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_(paths)

    def merge(self) -> None:
        from desktop.transfer import MergeDialog

        MergeDialog(self).open()

    def about(self) -> None:
        from desktop.about import show_about

        show_about(self, self.store.folder)

    def closeEvent(self, event: Any) -> None:
        page = self.stack.currentWidget()
        if hasattr(page, "save_draft"):
            page.save_draft()
        self._save_layout()
        if self._audit_mark() != self._audit_at_start:
            # records changed in this session: a backup on the way out (kept: newest 20)
            self.db.write(lambda s: s.backup("on-close"), failed=_ignore)
        # every queued write is made before the window goes; then the UI thread writes again
        # (closing the store marks a clean shutdown)
        self.db.hand_back()
        super().closeEvent(event)


def _ignore(_exc: BaseException) -> None:
    """For writes that are a convenience (window size, folders): a failure is not shown."""
