"""F1: the bundled user guide (``desktop/resources/guide/<language>.html``), opened at the part
for the screen in front of the user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

import i18n
from i18n import tr

GUIDE = Path(__file__).parent / "resources" / "guide"
# page objectName -> the guide's anchor
SECTIONS = {
    "home": "home",
    "report_page": "report",
    "interview_page": "interview",
    "records_page": "records",
    "dashboard": "dashboard",
    "import_dialog": "import",
    "merge_dialog": "import",
    "export_dialog": "import",
    "settings_dialog": "settings",
}


def guide_file(language: str | None = None) -> Path:
    """The guide in ``language`` (the current one), or the Chinese one."""
    path = GUIDE / f"{language or i18n.get_language()}.html"
    return path if path.is_file() else GUIDE / "zh_CN.html"


def section_for(widget: Any) -> str:
    """The guide's anchor for the screen ``widget`` (a page or dialog) belongs to."""
    while widget is not None:
        anchor = SECTIONS.get(widget.objectName())
        if anchor:
            return anchor
        widget = widget.parentWidget()
    return "home"


class HelpDialog(QDialog):
    """The guide, scrolled to ``section``."""

    def __init__(self, parent: Any, section: str = "home") -> None:
        super().__init__(parent)
        self.setObjectName("help_dialog")
        self.setWindowTitle(tr("ui.help.title"))
        self.browser = QTextBrowser(objectName="help_text")
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(guide_file().read_text(encoding="utf-8"))
        self.section = section
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("ui.help.close"))
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser, 1)
        lay.addWidget(buttons)
        self.resize(640, 520)
        self.browser.scrollToAnchor(section)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.browser.scrollToAnchor(self.section)  # once laid out


def show_help(window: Any) -> HelpDialog:
    """Open the guide at the part for what is in front of the user (F1)."""
    from PySide6.QtWidgets import QApplication

    focus = QApplication.activeModalWidget() or QApplication.focusWidget()
    page = focus if focus is not None else window.stack.currentWidget()
    if page is None or section_for(page) == "home":
        page = window.stack.currentWidget()
    dialog = HelpDialog(window, section_for(page))
    dialog.show()
    return dialog
