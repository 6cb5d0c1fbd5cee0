"""Language switching for the desktop: one Qt signal every open widget listens to.

``i18n.set_language`` tells plain callbacks; registering one callback per widget would leave
dangling references when widgets close, so the desktop registers exactly one bridge and widgets
connect to its Qt signal (Qt drops the connection when a widget is destroyed).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QObject, QTranslator, Signal

import i18n


class LanguageNotifier(QObject):
    """Signals:
    changed: (language code) after the app language changed; widgets retranslate.
    """

    changed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._translator: QTranslator | None = None
        i18n.on_language_changed(self._on_changed)

    def _on_changed(self, language: str) -> None:
        self.install_qt_translator(language)
        self.changed.emit(language)

    def install_qt_translator(self, language: str) -> None:
        """Load Qt's own translation (standard buttons) for ``language``, if shipped."""
        app = QCoreApplication.instance()
        if app is None:
            return
        if self._translator is not None:
            app.removeTranslator(self._translator)
            self._translator = None
        if language != "zh_CN":
            return
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        translator = QTranslator(self)
        if translator.load("qtbase_zh_CN", folder):
            app.installTranslator(translator)
            self._translator = translator


_notifier: LanguageNotifier | None = None


def notifier() -> LanguageNotifier:
    """The process-wide language notifier (created on first use)."""
    global _notifier
    if _notifier is None:
        _notifier = LanguageNotifier()
    return _notifier


def switch_language(language: str) -> None:
    """Switch every layer's language; open widgets retranslate themselves."""
    notifier()
    i18n.set_language(language)
