"""Fixtures for the desktop tests: a fresh data folder, an open store, and scripted answers to
modal dialogs (so tests never block in a nested event loop)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

pytest.importorskip("PySide6")


@dataclass
class Answers:
    """What the scripted user answers, and every dialog that was shown."""

    confirm: bool = True
    text: str | None = "更正录入错误"
    open_file: str | None = None
    open_files: list[str] = field(default_factory=list)
    save_file: str | None = None
    shown: list[tuple[str, str, str]] = field(default_factory=list)

    def kinds(self, kind: str) -> list[tuple[str, str]]:
        return [(title, text) for k, title, text in self.shown if k == kind]


@pytest.fixture
def answers(monkeypatch) -> Answers:
    from desktop import dialogs

    a = Answers()
    monkeypatch.setattr(dialogs, "warn", lambda p, t, x: a.shown.append(("warn", t, x)))
    monkeypatch.setattr(dialogs, "inform", lambda p, t, x: a.shown.append(("inform", t, x)))

    def confirm(p, t, x):
        a.shown.append(("confirm", t, x))
        return a.confirm

    def ask_text(p, t, label, text=""):
        a.shown.append(("ask", t, label))
        return a.text

    monkeypatch.setattr(dialogs, "confirm", confirm)
    monkeypatch.setattr(dialogs, "ask_text", ask_text)
    monkeypatch.setattr(dialogs, "open_file", lambda *args: a.open_file)
    monkeypatch.setattr(dialogs, "open_files", lambda *args: list(a.open_files))
    monkeypatch.setattr(dialogs, "save_file", lambda *args: a.save_file)
    return a


def type_text(widget, text: str) -> None:
    """Type ``text`` into ``widget`` key by key, as an input method delivers Chinese characters
    (QTest.keyClicks handles Latin-1 only)."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for ch in text:
        QApplication.sendEvent(
            widget, QKeyEvent(QEvent.Type.KeyPress, 0, Qt.KeyboardModifier.NoModifier, ch)
        )


# The offscreen platform plugin warns about a feature it lacks whenever a window is shown;
# every other Qt warning still fails the test (qt_log_level_fail = WARNING).
OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/gui/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture
def typer():
    """``typer(widget, text)`` types any text, Chinese included."""
    return type_text


@pytest.fixture
def store(tmp_path):
    from localdb import open_store

    s = open_store(tmp_path / "data")
    yield s
    s.close()


COUNTY = "110108000000"  # 北京市海淀区


@pytest.fixture
def county_store(store):
    """A store whose unit (a county) and clerk are set, as after the first run."""
    store.set_unit(COUNTY)
    store.set_clerk("王小明")
    return store


@pytest.fixture
def window(qtbot, county_store, answers):
    from desktop.mainwindow import MainWindow

    w = MainWindow(county_store)
    w.show()
    qtbot.waitExposed(w)
    assert w.stack.currentWidget() is w.home
    yield w
    destroy(w)


def destroy(widget) -> None:
    """Destroy a widget and its children now (before the store closes), so nothing listens
    for a language switch any more."""
    import shiboken6

    widget.close()
    if shiboken6.isValid(widget):
        shiboken6.delete(widget)
