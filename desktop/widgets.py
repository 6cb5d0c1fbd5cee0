"""Input widgets for form questions: one small editor per question type.

An editor only renders a ``forms.model.Question`` and reports raw text; turning text into a typed
value and checking it is the form engine's job (``forms.types.coerce_answer``, ``FormEngine``).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from forms.model import METADATA_TYPES
from i18n import tr

NUMERIC = {"integer", "decimal", "range"}
# questions the interviewer never types into: worked out, or filled in by the app
HIDDEN_TYPES = METADATA_TYPES | {"calculate", "hidden"}
RADIO_MAX = 8
TYPE_AHEAD_S = 0.9  # a second digit within this time extends the first ("1","2" -> option 12)
MULTILINE_LINES = 3


def is_multiline(question: Any) -> bool:
    """A text question meant for several lines (XLSForm appearance ``multiline``)."""
    return question.type == "text" and "multiline" in (question.appearance or "").split()


def is_likert(question: Any) -> bool:
    """A single-choice question shown as one row of a likert grid."""
    return question.type == "select_one" and "likert" in (question.appearance or "").split()


# -- the focused field is always on screen ------------------------------------------------------
SCROLL_MARGIN = 24


def ensure_visible(widget: QWidget | None) -> None:
    """Scroll every scroll area holding ``widget`` so that it is in view (with a margin).

    Qt does this for Tab only; the app's own keyboard moves (Enter, arrows, "cursor moved to
    the first error", jump to a question) call ``setFocus()``, and the focus hook below makes
    each of them follow the cursor."""
    if widget is None:
        return
    # a page shown just now has its layout requests still queued: lay it out first, or the
    # positions (and the scroll range) are those of an empty page
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    child: QWidget = widget
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea) and parent.widget() is not None:
            if parent.widget().isAncestorOf(child):
                _scroll_to(parent, child)
            child = parent
        parent = parent.parentWidget()


def _scroll_to(area: QScrollArea, child: QWidget) -> None:
    # QScrollArea.ensureWidgetVisible shows only a text box's cursor line; the whole box
    # (a multi-line box, a row of options) is what the user needs to see
    top_left = child.mapTo(area.widget(), QPoint(0, 0))
    viewport = area.viewport().size()
    for bar, start, length, room in (
        (area.verticalScrollBar(), top_left.y(), child.height(), viewport.height()),
        (area.horizontalScrollBar(), top_left.x(), child.width(), viewport.width()),
    ):
        margin = min(SCROLL_MARGIN, max(0, (room - length) // 2))
        low, high = start - margin, start + length + margin
        value = bar.value()
        if high - low > room or low < value:
            value = low  # too tall to fit: show its top
        elif high > value + room:
            value = high - room
        bar.setValue(max(bar.minimum(), min(bar.maximum(), value)))


def _focus_changed(_old: QWidget | None, new: QWidget | None) -> None:
    if new is None:
        return
    ensure_visible(new)
    # a page shown just now is laid out on the next turn of the event loop: look again then
    guard = new

    def again() -> None:
        import shiboken6

        if shiboken6.isValid(guard) and (guard.hasFocus() or guard.window().focusWidget() is guard):
            ensure_visible(guard)

    QTimer.singleShot(0, again)


_hooked = False


def install_focus_follow() -> None:
    """Make the view follow the keyboard focus in every scroll area (once per application)."""
    global _hooked
    app = QApplication.instance()
    if app is None or _hooked:
        return
    app.focusChanged.connect(_focus_changed)
    _hooked = True


LIKERT_COLUMN = 88


def option_text(index: int, label: str) -> str:
    """An option as shown: its number (the digit key that picks it) and its label."""
    return f"{index + 1}. {label}"


def type_error_text(question: Any, raw: Any, exc: Any) -> str:
    """What is wrong with text that is not an answer of the question's type, and what to type
    instead ("请输入整数"), rather than the "required" its empty value would give."""
    kind = {"integer": "integer", "decimal": "decimal", "range": "decimal"}.get(question.type)
    kind = kind or (question.type if question.type in ("date", "time") else None)
    if kind is None:
        return exc.message()
    return tr(f"ui.input.{kind}", text=str(raw).strip())


def is_shown(question: Any) -> bool:
    """Whether a question gets an editor (calculations and metadata do not)."""
    return question.type not in HIDDEN_TYPES and not question.is_group and not question.is_repeat


def value_text(value: Any) -> str:
    """An answer value as editor text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Editor(QObject):
    """Signals:
    edited: (raw value: str | None) when the user changed the answer.
    """

    edited = Signal(object)

    def __init__(
        self,
        question: Any,
        choices: list[Any] | None = None,
        *,
        radio_max: int = RADIO_MAX,
        compact: bool = False,
    ) -> None:
        super().__init__()
        self.question = question
        self.radio_max = radio_max
        self.compact = compact  # a likert row: options side by side, numbered only
        self._typed = ""
        self._typed_at = 0.0
        self._typed_toggle: int | None = None
        self.text_box: QPlainTextEdit | None = None
        self.widget = self._build(choices or [])
        self._setting = False

    # construction ----------------------------------------------------------------------
    def _build(self, choices: list[Any]) -> QWidget:
        q = self.question
        self.choices = list(choices)
        if q.type == "select_one" and (self.compact or len(self.choices) <= self.radio_max):
            return self._build_radios()
        if q.type == "select_one":
            box = QComboBox(objectName=f"q_{q.name}")
            self._fill_combo(box)
            box.currentIndexChanged.connect(lambda _i: self._emit(box.currentData()))
            box.installEventFilter(self)  # digits pick an option here too
            self.combo = box
            return box
        if is_multiline(q):
            text = QPlainTextEdit(objectName=f"q_{q.name}")
            text.setTabChangesFocus(True)
            line = text.fontMetrics().lineSpacing()
            text.setFixedHeight(line * MULTILINE_LINES + 14)
            text.installEventFilter(self)  # leaving the box commits it
            self.text_box = text
            return text
        if q.type == "select_multiple":
            return self._build_checks()
        if q.type == "acknowledge":
            check = QCheckBox(tr("ui.answer.acknowledge"), objectName=f"q_{q.name}")
            check.toggled.connect(lambda on: self._emit("OK" if on else None))
            return check
        edit = QLineEdit(objectName=f"q_{q.name}")
        if q.type in NUMERIC:
            edit.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        elif q.type == "date":
            edit.setPlaceholderText(tr("ui.answer.date_hint"))
        elif q.type == "time":
            edit.setPlaceholderText("HH:MM")
        edit.editingFinished.connect(lambda: self._emit(edit.text().strip() or None))
        self.line = edit
        return edit

    def _fill_combo(self, box: QComboBox) -> None:
        box.blockSignals(True)
        box.clear()
        box.addItem("", None)
        for i, c in enumerate(self.choices):
            box.addItem(option_text(i, c.label()), c.name)
        box.blockSignals(False)

    def relabel(self) -> None:
        """Re-read the options' labels (after a language switch)."""
        if hasattr(self, "combo"):
            for i, c in enumerate(self.choices):
                self.combo.setItemText(i + 1, option_text(i, c.label()))
        for i, b in enumerate(self._option_buttons()):
            label = self.choices[i].label()
            b.setText(str(i + 1) if self.compact else option_text(i, label))
            b.setToolTip(label)

    def _build_radios(self) -> QWidget:
        box = QWidget(objectName=f"q_{self.question.name}")
        lay = QHBoxLayout(box) if self.compact else QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        self.group = QButtonGroup(box)
        for i, c in enumerate(self.choices):
            text = str(i + 1) if self.compact else option_text(i, c.label())
            button = QRadioButton(text, objectName=f"opt_{c.name}")
            button.setToolTip(c.label())
            button.setProperty("choice", c.name)
            button.installEventFilter(self)
            if self.compact:
                button.setFixedWidth(LIKERT_COLUMN)
            self.group.addButton(button, i)
            lay.addWidget(button)
        self.group.idToggled.connect(self._radio_toggled)
        return box

    def _radio_toggled(self, index: int, on: bool) -> None:
        if on and not self._setting:
            self._emit(self.choices[index].name)

    def _build_checks(self) -> QWidget:
        box = QWidget(objectName=f"q_{self.question.name}")
        lay = QVBoxLayout(box) if len(self.choices) > 4 else QHBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        self.checks: list[QCheckBox] = []
        for i, c in enumerate(self.choices):
            check = QCheckBox(option_text(i, c.label()), objectName=f"opt_{c.name}")
            check.setProperty("choice", c.name)
            check.installEventFilter(self)
            check.toggled.connect(lambda _on: self._checks_changed())
            self.checks.append(check)
            lay.addWidget(check)
        return box

    def _checks_changed(self) -> None:
        if self._setting:
            return
        names = [c.property("choice") for c in self.checks if c.isChecked()]
        self._emit(" ".join(names) or None)

    def eventFilter(self, obj: QObject, event: Any) -> bool:
        if event.type() == QEvent.Type.FocusOut and obj is self.text_box:
            self.commit()
            return False
        # Digit keys pick the n-th option, so a choice needs no mouse; with more than nine
        # options a second digit typed quickly extends the first (type-ahead: 1, 2 -> 12).
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QKeyEvent.Type.KeyPress
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            text = event.text()
            if len(text) == 1 and text.isdigit() and (self.choices and obj is not self.text_box):
                return self._digit(text)
        return False

    def _digit(self, digit: str) -> bool:
        count = len(self.choices)
        now = time.monotonic()
        extended = self._typed + digit
        if self._typed and now - self._typed_at <= TYPE_AHEAD_S and int(extended) <= count:
            number, previous = int(extended), self._typed_toggle
        elif digit != "0" and int(digit) <= count:
            number, previous, extended = int(digit), None, digit
        else:
            return True  # no such option: the digit is not typed into a choice either
        self._typed, self._typed_at = extended, now
        index = number - 1
        if hasattr(self, "combo"):
            self.combo.setCurrentIndex(index + 1)
            return True
        buttons = self._option_buttons()
        buttons[index].setFocus()
        if isinstance(buttons[index], QCheckBox):
            if previous is not None and previous != index:
                buttons[previous].toggle()  # "1" then "2": not option 1 after all, but 12
            buttons[index].toggle()
            self._typed_toggle = index
        else:
            buttons[index].setChecked(True)
        return True

    def commit(self) -> None:
        """Report the text typed so far (line and multi-line boxes; Enter and leaving do)."""
        if self.text_box is not None:
            self._emit(self.text_box.toPlainText().strip() or None)
        elif isinstance(self.widget, QLineEdit):
            self._emit(self.widget.text().strip() or None)

    def _option_buttons(self) -> list[Any]:
        if hasattr(self, "group"):
            return list(self.group.buttons())
        return list(getattr(self, "checks", []))

    # use ------------------------------------------------------------------------------
    def _emit(self, raw: Any) -> None:
        if self._setting:
            return
        # RuntimeError: the page is being torn down; there is nothing to save any more.
        with contextlib.suppress(RuntimeError):
            self.edited.emit(raw)

    @property
    def focusable(self) -> bool:
        """False for worked-out values the user cannot type into."""
        w = self.widget
        return not (isinstance(w, QLineEdit | QPlainTextEdit) and w.isReadOnly())

    def focus(self) -> None:
        """Put the cursor here from the keyboard (Enter, arrows, a jump): a line box's text is
        selected, so typing replaces a pre-filled value, as in a spreadsheet."""
        target = self.focus_target()
        target.setFocus(Qt.FocusReason.TabFocusReason)
        if isinstance(target, QLineEdit) and not target.isReadOnly():
            target.selectAll()
        # the focus hook scrolls too, but only while the window is active: do it here as well
        _focus_changed(None, target)

    def focus_target(self) -> QWidget:
        """The widget to focus when jumping to this question."""
        buttons = self._option_buttons()
        if buttons:
            checked = [b for b in buttons if b.isChecked()]
            return (checked or buttons)[0]
        return self.widget

    def set_value(self, value: Any) -> None:
        """Show ``value`` without emitting ``edited``."""
        self._setting = True
        try:
            w = self.widget
            if isinstance(w, QLineEdit):
                if not w.hasFocus() or w.text().strip() != value_text(value):
                    w.setText(value_text(value))
            elif isinstance(w, QPlainTextEdit):
                if w.toPlainText().strip() != value_text(value):
                    w.setPlainText(value_text(value))
            elif isinstance(w, QComboBox):
                index = w.findData(value) if value is not None else 0
                w.setCurrentIndex(max(index, 0))
            elif isinstance(w, QCheckBox):
                w.setChecked(bool(value))
            elif hasattr(self, "group"):
                names = [c.name for c in self.choices]
                self.group.setExclusive(False)
                for i, b in enumerate(self.group.buttons()):
                    b.setChecked(value is not None and names[i] == value)
                self.group.setExclusive(True)
            elif hasattr(self, "checks"):
                chosen = set(str(value).split()) if value else set()
                for c in self.checks:
                    c.setChecked(c.property("choice") in chosen)
        finally:
            self._setting = False
