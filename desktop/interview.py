"""Interview mode for respondent surveys: one section per page, skip logic live, the interviewer
ID, start/end time, progress, Back/Next by keyboard, and a review page listing every problem
with jump-to-question. Rules are the form engine's; this page renders its verdicts."""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from desktop import dialogs
from desktop.errors import show_error
from desktop.lang import notifier
from desktop.widgets import LIKERT_COLUMN, Editor, is_likert, is_shown, type_error_text
from i18n import tr
from i18n.errors import ValidationError
from kexie import lifecycle

ERROR_STYLE = "color: #b3261e;"
WARNING_STYLE = "color: #8a5a00;"
FIELD_ROLE = Qt.ItemDataRole.UserRole + 2


def _same_scale(a: Any, b: Any) -> bool:
    return a.list_name == b.list_name and a.parent == b.parent


def build_pages(form: Any) -> list[tuple[Any, list[Any]]]:
    """Pages of an interview: each top-level group is a page, each loose question its own page.
    Returns (group or None, questions shown on the page) in form order."""
    pages: list[tuple[Any, list[Any]]] = []
    for top in form.children:
        if top.is_group:
            questions = [
                q
                for q in top.walk()
                if q is not top
                and (is_shown(q) or q.type == "note")
                and form.repeat_of(q.name) is None
            ]
            if questions:
                pages.append((top, questions))
        elif is_shown(top) or top.type == "note":
            pages.append((None, [top]))
    return pages


class _Question:
    def __init__(
        self,
        question: Any,
        editor: Editor | None,
        box: QWidget,
        label: QLabel,
        message: QLabel,
        explain: QLineEdit,
    ) -> None:
        self.question, self.editor, self.box, self.label = question, editor, box, label
        self.message, self.explain = message, explain
        self.hint: QLabel | None = None
        self.type_error: str | None = None


class InterviewPage(QWidget):
    """One respondent's interview (new, or ``uuid`` to continue/edit; ``reason`` when editing a
    finalised record)."""

    def __init__(
        self, window: Any, form: Any, *, uuid: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(objectName="interview_page")
        from forms.engine import FormEngine

        self.window_ = window
        self.store = window.store
        self.form = form
        self.engine = FormEngine(form)
        self.uuid = uuid
        self.reason = reason
        self.status = "draft"
        self.started: str | None = None
        self.questions: dict[str, _Question] = {}
        self.page_of: dict[str, int] = {}
        self.left_pages: set[int] = set()  # pages left once: their "required" show from now
        self.pages = build_pages(form)
        self._likert_heads: list[tuple[QWidget, Any, list[QLabel]]] = []

        self.title = QLabel(objectName="interview_title")
        self.title.setStyleSheet("font-size: 17px; font-weight: 600;")
        self.interviewer_label = QLabel()
        self.interviewer = QLineEdit(objectName="interviewer_id")
        self.interviewer.setMaximumWidth(160)
        self._loaded_interviewer = str(self.store.get_setting("interviewer", "") or "")
        self.interviewer.setText(self._loaded_interviewer)
        self.interviewer.editingFinished.connect(self._interviewer_changed)
        self.progress = QProgressBar(objectName="interview_progress")
        self.progress.setMaximumWidth(220)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.interviewer_label)
        head.addWidget(self.interviewer)
        head.addWidget(self.progress)

        self.section = QLabel(objectName="interview_section")
        self.section.setStyleSheet("font-size: 15px; font-weight: 600; padding: 6px 0;")
        self.stack = QStackedWidget(objectName="interview_stack")
        self._page_widgets: list[QWidget] = []
        for index, (_group, questions) in enumerate(self.pages):
            self._page_widgets.append(self._build_page(index, questions))
        self.review = self._build_review()

        self.btn_back = QPushButton(objectName="btn_prev")
        self.btn_next = QPushButton(objectName="btn_next")
        self.btn_close = QPushButton(objectName="btn_close")
        self.btn_back.clicked.connect(self.go_back)
        self.btn_next.clicked.connect(self.go_next)
        self.btn_close.clicked.connect(self.close_page)
        self.btn_edit = QPushButton(objectName="btn_edit")
        self.btn_edit.clicked.connect(self.unlock)
        self.hint = QLabel(objectName="interview_hint")
        self.hint.setStyleSheet("color: #666;")
        from desktop.printing import print_buttons

        self.btn_print, self.btn_pdf = print_buttons(self, self.papers, self._pdf_name)
        foot = QHBoxLayout()
        foot.addWidget(self.btn_close)
        foot.addWidget(self.btn_edit)
        foot.addWidget(self.hint, 1)
        foot.addWidget(self.btn_print)
        foot.addWidget(self.btn_pdf)
        foot.addWidget(self.btn_back)
        foot.addWidget(self.btn_next)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.section)
        layout.addWidget(self.stack, 1)
        layout.addLayout(foot)
        for keys, slot in (
            ("Alt+Right", self.go_next),
            ("Alt+Left", self.go_back),
            ("PgDown", self.go_next),
            ("PgUp", self.go_back),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.current = 0
        self._load()
        notifier().changed.connect(self.retranslate)
        self.retranslate()
        self.show_index(self._first_relevant(0, 1) if self.pages else len(self.pages))

    # building --------------------------------------------------------------------------------
    def _build_page(self, index: int, questions: list[Any]) -> QWidget:
        host = QWidget()
        lay = QVBoxLayout(host)
        previous: Any = None
        for q in questions:
            likert = is_likert(q)
            if likert and not (previous is not None and _same_scale(previous, q)):
                lay.addWidget(self._likert_header(q))  # the scale once, over its rows
            previous = q if likert else None
            box = QWidget(objectName=f"box_{q.name}")
            row_lay = QHBoxLayout(box) if likert else None
            inner = QVBoxLayout() if likert else QVBoxLayout(box)
            if row_lay is not None:
                row_lay.setContentsMargins(0, 0, 0, 0)
                row_lay.addLayout(inner, 1)
            inner.setContentsMargins(0, 2 if likert else 6, 0, 2 if likert else 6)
            label = QLabel(wordWrap=True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setStyleSheet("font-weight: 600;" if q.type != "note" and not likert else "")
            inner.addWidget(label)
            hint = QLabel(wordWrap=True, objectName=f"hint_{q.name}")
            hint.setStyleSheet("color: #555;")
            inner.addWidget(hint)
            editor = None
            if q.type != "note" and not q.is_group:
                editor = Editor(q, self._choices(q), compact=likert)
                if q.calculation and isinstance(editor.widget, QLineEdit):
                    editor.widget.setReadOnly(True)  # worked out by the form
                    editor.widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                    editor.widget.setStyleSheet("background: #f3f4f6;")
                editor.edited.connect(lambda raw, name=q.name: self.set_raw(name, raw))
                if isinstance(editor.widget, QLineEdit | QComboBox) and q.type != "text":
                    editor.widget.setMaximumWidth(360)
                editor.widget.installEventFilter(self)
                for b in editor._option_buttons():
                    b.installEventFilter(self)
                if row_lay is not None:
                    row_lay.addWidget(editor.widget, 0, Qt.AlignmentFlag.AlignTop)
                else:
                    inner.addWidget(editor.widget)
            if q.is_group:
                label.setStyleSheet("font-weight: 600; color: #345; padding-top: 8px;")
            message = QLabel(objectName=f"msg_{q.name}", wordWrap=True)
            explain = QLineEdit(objectName=f"explain_{q.name}")
            explain.setVisible(False)
            explain.editingFinished.connect(self._save_draft)
            explain.installEventFilter(self)  # Enter keeps the explanation and goes on
            inner.addWidget(message)
            inner.addWidget(explain)
            lay.addWidget(box)
            self.questions[q.name] = _Question(q, editor, box, label, message, explain)
            self.questions[q.name].hint = hint
            self.page_of[q.name] = index
        lay.addStretch(1)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(host)
        scroll.setProperty("page", index)
        self.stack.addWidget(scroll)
        return scroll

    def _likert_header(self, q: Any) -> QWidget:
        """The scale's labels in columns over a run of likert rows."""
        head = QWidget(objectName=f"likert_head_{q.name}")
        lay = QHBoxLayout(head)
        lay.setContentsMargins(0, 8, 0, 0)
        lay.addStretch(1)
        labels = []
        for _c in self._choices(q):
            cell = QLabel(wordWrap=True)
            cell.setFixedWidth(LIKERT_COLUMN)
            cell.setStyleSheet("color: #345; font-size: 12px;")
            lay.addWidget(cell)
            labels.append(cell)
        head.setProperty("likert_of", q.name)
        self._likert_heads.append((head, q, labels))
        return head

    def _build_review(self) -> QWidget:
        host = QWidget(objectName="review_page")
        lay = QVBoxLayout(host)
        self.review_intro = QLabel(wordWrap=True)
        self.review_list = QListWidget(objectName="review_list")
        self.review_list.itemActivated.connect(self._jump_from_review)
        self.btn_finalise = QPushButton(objectName="btn_finalise")
        self.btn_finalise.clicked.connect(self.finalise)
        self.btn_finalise.setMinimumHeight(36)
        self.btn_finalise.setAutoDefault(True)  # Enter on the focused button finishes
        self.btn_finish_next = QPushButton(objectName="btn_finish_next")
        self.btn_finish_next.clicked.connect(self.finish_and_next)
        self.btn_finish_next.setMinimumHeight(36)
        self.btn_finish_next.setAutoDefault(True)
        self.summary_form = QFormLayout()
        lay.addWidget(self.review_intro)
        lay.addWidget(self.review_list, 1)
        lay.addLayout(self.summary_form)
        finish = QHBoxLayout()
        finish.addWidget(self.btn_finalise, 1)
        finish.addWidget(self.btn_finish_next, 1)
        lay.addLayout(finish)
        self.stack.addWidget(host)
        return host

    def _choices(self, q: Any) -> list[Any]:
        if not q.list_name:
            return []
        if hasattr(self.engine, "choices"):
            try:
                return list(self.engine.choices(q.name))
            except Exception:
                pass
        lst = self.form.choice_lists.get(q.list_name)
        return list(lst.choices) if lst else []

    # data ----------------------------------------------------------------------------------
    def _load(self) -> None:
        record = self.store.get(self.form.form_id, self.uuid) if self.uuid else None
        if record:
            self.status = record.get("_status", "draft")
            for q in self.form.fields():
                value = record.get(q.name)
                if value is not None and q.type not in ("calculate",):
                    self.engine.set_answer(q.name, value)
            explanations = record.get("_explanations") or {}
            if isinstance(explanations, str):
                import json

                explanations = json.loads(explanations or "{}")
            for name, text in explanations.items():
                if name in self.questions:
                    self.questions[name].explain.setText(text)
            self.started = record.get(self._meta_name("start") or "", None)
        self._refresh(set(self.questions))

    def _meta_name(self, kind: str) -> str | None:
        for q in self.form.walk():
            if q.type == kind:
                return q.name
        return None

    def _interviewer_question(self) -> str | None:
        for q in self.form.fields():
            if "interviewer" in q.name.lower() and q.type in ("text", "integer", "barcode"):
                return q.name
        return None

    def _interviewer_changed(self) -> None:
        """The interviewer ID box at the top: asked once, remembered for the next interview,
        and the answer of the form's interviewer question."""
        text = self.interviewer.text().strip()
        if text != (self.store.get_setting("interviewer", "") or ""):
            self._remember_interviewer(text)
        name = self._interviewer_question()
        if not name or not text or self.engine.state(name).value == text:
            return
        if self.engine.state(name).value in (None, "", self._loaded_interviewer):
            if self.uuid is None and text == self._loaded_interviewer:
                # the remembered ID, not typed now: filled in, saved with the first answer
                self.engine.set_answer(name, text)
                self._refresh({name})
            else:
                self.set_raw(name, text)

    def _remember_interviewer(self, text: str) -> None:
        self.window_.db.write(lambda s: s.set_setting("interviewer", text), failed=lambda _e: None)

    def _author(self) -> str | None:
        """Who the record is by: the interviewer (the form's question, else the box at the
        top), else the clerk."""
        name = self._interviewer_question()
        value = self.engine.state(name).value if name else None
        return str(value).strip() if value else self.interviewer.text().strip() or self.store.clerk

    def _start(self) -> None:
        if self.started is None:
            self.started = datetime.now().astimezone().isoformat(timespec="seconds")
            name = self._meta_name("start")
            if name:
                self.engine.set_answer(name, self.started)
            interviewer = self._interviewer_question()
            typed = self.interviewer.text().strip()
            if interviewer and typed and self.engine.state(interviewer).value in (None, ""):
                self.engine.set_answer(interviewer, typed)
                self._refresh({interviewer})

    def set_raw(self, name: str, raw: Any) -> None:
        """The user answered ``name``: coerce, re-evaluate (skip logic), show, save the draft."""
        from forms.types import coerce_answer

        item = self.questions[name]
        before, error_before = self.engine.state(name).value, item.type_error
        try:
            value = coerce_answer(item.question, raw) if raw not in (None, "") else None
            item.type_error = None
        except ValidationError as exc:
            item.type_error = type_error_text(item.question, raw, exc)  # the text stays
            value = None
        if value == before and item.type_error == error_before:
            return  # nothing changed (a box left without typing): no phantom draft
        self._start()
        changed = self.engine.set_answer(name, value)
        self._refresh({name, *changed})
        if name == self._interviewer_question() and value and not self.interviewer.text().strip():
            self.interviewer.setText(str(value))  # asked once: the next interview has it
            self._remember_interviewer(str(value))
        if value != before:
            self._save_draft()

    def _explanations(self) -> dict[str, str]:
        return {
            n: q.explain.text().strip()
            for n, q in self.questions.items()
            if q.explain.text().strip()
        }

    def papers(self) -> list[Any]:
        """This interview on paper, as saved (drafts save on every change)."""
        from exports.paper import interview_paper

        if self.uuid is None or self.store.get(self.form.form_id, self.uuid) is None:
            return []
        return [interview_paper(self.store, self.form.form_id, self.uuid)]

    def _pdf_name(self) -> str:
        return f"{self.form.title()}-{(self.uuid or '')[:8]}.pdf"

    def _save_draft(self, status: str = "draft") -> bool:
        if lifecycle.edit_needs_reason(self.status) and self.reason is None:
            return False
        if self.uuid is None:  # fixed now, so every queued save of this page is one record
            self.uuid = str(uuidlib.uuid4())
        form_id, uuid, unit = self.form.form_id, self.uuid, self.store.unit_code
        evaluation = self.engine.evaluation()  # a fresh object: safe to hand to the DB worker
        author = self._author()
        reason, explanations = self.reason, self._explanations()

        def job(store: Any) -> str:
            return store.save(
                form_id,
                evaluation.values,
                uuid=uuid,
                unit=unit,
                status=status,
                author=author,
                reason=reason,
                explanations=explanations,
                evaluation=evaluation,  # the store need not evaluate the form again
            )

        w = self.window_.db.write(job, failed=self._save_failed)
        return w.ok if w.finished else True

    def _save_failed(self, exc: BaseException) -> None:
        if shiboken6.isValid(self):
            show_error(self, exc)
        else:
            show_error(None, exc)

    save_draft = _save_draft

    def _refresh(self, names: set[str]) -> None:
        for name in names:
            item = self.questions.get(name)
            if item is None:
                continue
            state = self.engine.state(name)
            item.box.setVisible(bool(state.relevant))
            if item.editor is not None and not item.type_error:
                item.editor.set_value(state.value)  # a mistyped value stays as typed
            waiting = self.page_of.get(name) not in self.left_pages
            if item.type_error:
                text, style, warn = item.type_error, ERROR_STYLE, False
            elif not state.valid and state.value is None and waiting:
                text, style, warn = "", "", False  # "required" waits until the page is left
            elif not state.valid and state.message:
                warn = state.severity == "warning"
                text, style = state.message, WARNING_STYLE if warn else ERROR_STYLE
            else:
                text, style, warn = "", "", False
            item.message.setText(text)
            item.message.setStyleSheet(style)
            item.message.setVisible(bool(text))
            item.explain.setVisible(warn)
            item.explain.setPlaceholderText(tr("ui.report.explain_hint"))

    # navigation --------------------------------------------------------------------------------
    def page_relevant(self, index: int) -> bool:
        group, questions = self.pages[index]
        if group is not None and not self.engine.state(group.name).relevant:
            return False
        return any(self.engine.state(q.name).relevant for q in questions)

    def _first_relevant(self, start: int, step: int) -> int:
        i = start
        while 0 <= i < len(self.pages) and not self.page_relevant(i):
            i += step
        return max(i, 0) if step < 0 or i < len(self.pages) else len(self.pages)

    def show_index(self, index: int) -> None:
        """Show page ``index`` (``len(pages)`` is the review page)."""
        self.current = index
        if index >= len(self.pages):
            self.current = len(self.pages)
            for page in range(len(self.pages)):
                self._leave(page)
            self._fill_review()
            self.stack.setCurrentWidget(self.review)
            self.section.setText(tr("ui.interview.review"))
            self.btn_finalise.setFocus()
        else:
            self.stack.setCurrentWidget(self._page_widgets[index])
            group, questions = self.pages[index]
            self.section.setText(group.label() if group is not None else "")
            self._focus_first(questions)
        self.progress.setMaximum(len(self.pages))
        self.progress.setValue(min(self.current, len(self.pages)))
        self.progress.setFormat(
            tr(
                "ui.interview.progress",
                page=min(self.current + 1, len(self.pages)),
                pages=len(self.pages),
            )
        )
        self.btn_back.setEnabled(self.current > 0)
        self.btn_next.setEnabled(self.current < len(self.pages))

    def _focus_first(self, questions: list[Any]) -> None:
        for q in questions:
            item = self.questions[q.name]
            if self._focusable(q.name):
                item.editor.focus()
                return

    def _focusable(self, name: str) -> bool:
        item = self.questions[name]
        return (
            item.editor is not None
            and item.editor.focusable
            and bool(self.engine.state(name).relevant)
        )

    def go_next(self) -> None:
        """Next relevant page (skip logic decides), or the review page after the last."""
        self._start()
        if self.current >= len(self.pages):
            return
        self._leave(self.current)
        self.show_index(self._first_relevant(self.current + 1, 1))

    def _leave(self, index: int) -> None:
        if index not in self.left_pages:
            self.left_pages.add(index)
            self._refresh({q.name for q in self.pages[index][1]})

    def go_back(self) -> None:
        """Previous relevant page."""
        if self.current <= 0:
            return
        target = self.current - 1
        while target > 0 and not self.page_relevant(target):
            target -= 1
        self.show_index(target)

    def jump_to(self, name: str) -> None:
        """Show the page holding question ``name`` and put the cursor on it."""
        for index, (_group, questions) in enumerate(self.pages):
            if any(q.name == name for q in questions):
                self.show_index(index)
                item = self.questions[name]
                if item.editor is not None:
                    item.editor.focus()
                return

    # review and finalise -----------------------------------------------------------------------
    def problems(self) -> list[tuple[str, str, str]]:
        """(field, severity, message) of every open problem, in form order; explained warnings
        are not problems."""
        evaluation = self.engine.evaluation()
        out: list[tuple[str, str, str]] = []
        for name, item in self.questions.items():
            if item.type_error:
                out.append((name, "error", item.type_error))
        for p in evaluation.problems:
            name = p.location.field or ""
            explained = name in self.questions and self.questions[name].explain.text().strip()
            if p.severity == "warning" and explained:
                continue
            out.append((name, p.severity, tr(p.code, **p.params)))
        order = {n: i for i, n in enumerate(self.questions)}
        out.sort(key=lambda t: order.get(t[0], len(order)))
        return out

    def _fill_review(self) -> None:
        style = self.style()
        icons = {
            "error": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
            "warning": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning),
        }
        self.review_list.clear()
        problems = self.problems()
        for name, severity, message in problems:
            label = self.form.question(name).label() if name in self.form else name
            label = label.rstrip("?？:：")  # the line adds its own colon
            group = self.pages[self.page_of[name]][0] if name in self.page_of else None
            section = group.label() if group is not None else ""
            text = tr("ui.interview.problem", section=section, question=label, message=message)
            item = QListWidgetItem(icons.get(severity, icons["error"]), text)
            item.setData(FIELD_ROLE, name)
            self.review_list.addItem(item)
        errors = sum(1 for p in problems if p[1] == "error")
        if problems:
            self.review_intro.setText(
                tr("ui.interview.review_problems", errors=errors, warnings=len(problems) - errors)
            )
            self.review_list.setCurrentRow(0)
        else:
            self.review_intro.setText(tr("ui.interview.review_ok"))
        self.btn_finalise.setEnabled(errors == 0 and not self.locked)
        self.btn_finish_next.setEnabled(errors == 0 and not self.locked)

    def _jump_from_review(self, item: QListWidgetItem) -> None:
        self.jump_to(item.data(FIELD_ROLE))

    def finalise(self) -> bool:
        """Finalise the interview (blocked by errors; warnings need explanations)."""
        problems = self.problems()
        if problems:
            self._fill_review()
            dialogs.warn(
                self,
                tr("ui.report.cannot_finalise"),
                tr("ui.interview.fix_first", count=len(problems)),
            )
            return False
        end = self._meta_name("end")
        if end:
            self.engine.set_answer(end, datetime.now().astimezone().isoformat(timespec="seconds"))
        if not self._save_draft(status="finalised"):
            return False
        self.status = "finalised"
        self.window_.notify_changed(self.form.form_id)
        self.window_.statusBar().showMessage(tr("ui.interview.saved"), 5000)
        self.window_.close_page(self)
        return True

    def finish_and_next(self) -> bool:
        """Finish this interview and open a new one of the same form (the next respondent)."""
        window, form = self.window_, self.form
        if not self.finalise():
            return False
        page = window.open_entry(form.form_id)
        page.activated()
        return True

    # read-only ---------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        """A finished (finalised or exported) interview opens read-only until 修改."""
        return lifecycle.edit_needs_reason(self.status) and self.reason is None

    def _apply_lock(self) -> None:
        locked = self.locked
        for item in self.questions.values():
            if item.editor is not None:
                item.editor.widget.setEnabled(not locked)
            item.explain.setReadOnly(locked)
        self.interviewer.setEnabled(not locked)
        self.btn_edit.setVisible(locked)
        self.btn_close.setText(tr("ui.button.back") if locked else tr("ui.interview.close"))
        self.hint.setText(tr("ui.interview.read_only") if locked else tr("ui.interview.keys"))

    def unlock(self) -> None:
        """Edit a finished interview: a reason is required and goes to the audit trail."""
        reason = dialogs.ask_text(self, tr("ui.edit.title"), tr("ui.edit.reason"))
        if not reason:
            return
        self.reason = reason
        self._apply_lock()
        self._fill_review() if self.current >= len(self.pages) else self.activated()

    def close_page(self) -> None:
        self.window_.notify_changed(self.form.form_id)
        self.window_.close_page(self)

    # keyboard ----------------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not event.modifiers()
        ):
            explained = next((n for n, it in self.questions.items() if obj is it.explain), None)
            if explained is not None:
                self._save_draft()  # Enter in an explanation box: keep it, go on
                editor = self.questions[explained].editor
                self._next_question(editor.widget if editor is not None else obj)
                return True
            owner = self._owner(obj)
            if owner is not None and self.questions[owner].editor is not None:
                self.questions[owner].editor.commit()
            elif isinstance(obj, QLineEdit):
                obj.editingFinished.emit()
            self._next_question(obj)
            return True
        return super().eventFilter(obj, event)

    def _next_question(self, obj: QObject) -> None:
        if self.current >= len(self.pages):
            return
        names = [q.name for q in self.pages[self.current][1]]
        owner = self._owner(obj)
        if owner in names:
            for name in names[names.index(owner) + 1 :]:
                if self._focusable(name):
                    self.questions[name].editor.focus()
                    return
        self.go_next()

    def _owner(self, obj: QObject) -> str | None:
        return next(
            (
                n
                for n, it in self.questions.items()
                if it.editor is not None
                and (obj is it.editor.widget or obj in it.editor._option_buttons())
            ),
            None,
        )

    def activated(self) -> None:
        if self.current < len(self.pages):
            self._focus_first(self.pages[self.current][1])

    # text ----------------------------------------------------------------------------------
    def retranslate(self, *_: object) -> None:
        """Re-read every text from the catalogue and the form's labels."""
        self.title.setText(self.form.title())
        self.interviewer_label.setText(tr("ui.interview.interviewer"))
        for item in self.questions.values():
            q = item.question
            text = q.label()
            if item.editor is not None and q.required == "true()":
                text = tr("ui.interview.required_label", label=text)
            item.label.setText(text)
            item.hint.setText(q.hint())
            if item.editor is not None:
                item.editor.widget.setToolTip(q.hint())  # the hint under the field, and here
            item.hint.setVisible(bool(q.hint()))
            if item.editor is not None and item.editor.choices:
                item.editor.relabel()
        for _head, q, labels in self._likert_heads:
            for i, (cell, c) in enumerate(zip(labels, self._choices(q), strict=False)):
                cell.setText(f"{i + 1}. {c.label()}")
        self.btn_back.setText(tr("ui.interview.back"))
        self.btn_next.setText(tr("ui.interview.next"))
        self.btn_close.setText(tr("ui.interview.close"))
        self.btn_finalise.setText(tr("ui.interview.finalise"))
        self.btn_finish_next.setText(tr("ui.interview.finish_next"))
        self.btn_edit.setText(tr("ui.edit.button"))
        from desktop.printing import retranslate_buttons

        retranslate_buttons(self.btn_print, self.btn_pdf)
        self._refresh(set(self.questions))
        self._apply_lock()
        self.show_index(self.current)
