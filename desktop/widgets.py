"""Input widgets for form questions: one small editor per question type.

An editor only renders a ``forms.model.Question`` and reports raw text; turning text into a typed
value and checking it is the form engine's job (``forms.types.coerce_answer``, ``FormEngine``).
"""

from __future__ import annotations

import contextlib
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from forms.model import METADATA_TYPES
from i18n import tr

NUMERIC = {"integer", "decimal", "range"}
# questions the interviewer never types into: worked out, or filled in by the app
HIDDEN_TYPES = METADATA_TYPES | {"calculate", "hidden"}
RADIO_MAX = 8


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
        self, question: Any, choices: list[Any] | None = None, *, radio_max: int = RADIO_MAX
    ) -> None:
        super().__init__()
        self.question = question
        self.radio_max = radio_max
        self.widget = self._build(choices or [])
        self._setting = False

    # construction ----------------------------------------------------------------------
    def _build(self, choices: list[Any]) -> QWidget:
        q = self.question
        self.choices = list(choices)
        if q.type == "select_one" and len(self.choices) <= self.radio_max:
            return self._build_radios()
        if q.type == "select_one":
            box = QComboBox(objectName=f"q_{q.name}")
            self._fill_combo(box)
            box.currentIndexChanged.connect(lambda _i: self._emit(box.currentData()))
            return box
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
        for c in self.choices:
            box.addItem(c.label(), c.name)
        box.blockSignals(False)

    def _build_radios(self) -> QWidget:
        box = QWidget(objectName=f"q_{self.question.name}")
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        self.group = QButtonGroup(box)
        for i, c in enumerate(self.choices):
            button = QRadioButton(f"{i + 1}. {c.label()}", objectName=f"opt_{c.name}")
            button.setProperty("choice", c.name)
            button.installEventFilter(self)
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
            check = QCheckBox(f"{i + 1}. {c.label()}", objectName=f"opt_{c.name}")
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
        # Digit keys pick the n-th option, so a choice needs no mouse.
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            text = event.text()
            if text.isdigit() and text != "0":
                index = int(text) - 1
                buttons = self._option_buttons()
                if index < len(buttons):
                    buttons[index].setFocus()
                    if isinstance(buttons[index], QCheckBox):
                        buttons[index].toggle()
                    else:
                        buttons[index].setChecked(True)
                    return True
        return False

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
        return not (isinstance(w, QLineEdit) and w.isReadOnly())

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
