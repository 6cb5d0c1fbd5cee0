"""Report entry: a grid that looks like the paper table (indicator, unit of measure, value),
"其中" items indented under their total, driven entirely by the keyboard.

Enter or ↓ moves to the next value, ↑ to the previous, Tab also visits an explanation box when a
warning needs one. Errors block finalising; warnings need an explanation typed beside them. The
rules come from the form (``forms.engine.FormEngine``); this page only shows their verdicts and
saves drafts on every change.
"""

from __future__ import annotations

import html
import uuid as uuidlib
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop import dialogs
from desktop.errors import show_error
from desktop.lang import notifier
from desktop.widgets import Editor, is_shown, type_error_text, value_text
from forms.periods import label as period_label
from forms.periods import last_periods
from i18n import tr
from i18n.errors import ValidationError
from kexie import lifecycle

# the report cover (built-in forms' question names)
COVER_FROM_CLERK = ("filled_by",)  # 填表人
COVER_TODAY = ("fill_date",)  # 填报日期
COVER_CARRIED = ("unit_head", "phone")  # 单位负责人, 联系电话: as last time
GRID_RADIO_MAX = 3  # longer choice lists are a drop-down, so the table stays compact
ERROR_STYLE = "color: #b3261e;"
WARNING_STYLE = "color: #8a5a00;"
PREVIOUS_STYLE = "color: #5f6368;"
# item, unit, value, last period's value (上期), explanation, check
COLUMNS = 6


class _Row:
    """One line of the paper table."""

    def __init__(
        self,
        question: Any,
        editor: Editor,
        label: QLabel,
        unit: QLabel,
        explain: QLineEdit,
        message: QLabel,
        depth: int,
        previous: QLabel | None = None,
    ) -> None:
        self.question, self.editor, self.label, self.unit = question, editor, label, unit
        self.explain, self.message, self.depth = explain, message, depth
        self.previous = previous or QLabel()
        self.type_error: str | None = None


def _depth(form: Any, q: Any) -> int:
    depth, seen = 0, set()
    while q is not None and q.of and q.of not in seen:
        seen.add(q.of)
        q = form.get(q.of)
        depth += 1
    return depth


class ReportPage(QWidget):
    """The entry grid for one report (``uuid``) or a new one for ``period``."""

    def __init__(
        self, window: Any, form: Any, *, uuid: str | None = None, period: str | None = None
    ) -> None:
        super().__init__(objectName="report_page")

        self.window_ = window
        self.store = window.store
        self.form = form
        self.uuid = uuid
        self.status = "draft"
        self.reason: str | None = None
        self.explanations: dict[str, str] = {}
        self.record_unit: str | None = None  # a subordinate's report opened at the county
        self.open_ret: dict | None = None  # the unanswered return (退回) of this report
        self.record: dict | None = None
        self._edited: set[str] = set()
        if period is None:
            from desktop.home import default_period

            period = default_period(self.store, form)
        self.period = period
        # Whose report this is: a subordinate's opened at the county stays that unit's
        # (上期, 与上期比较 and another period of it), else this unit's.
        self.unit = self._unit_of(uuid)
        self.engine = self._new_engine()

        self.title = QLabel(objectName="report_title")
        self.title.setStyleSheet("font-size: 17px; font-weight: 600;")
        self.period_box = QComboBox(objectName="report_period")
        for p in reversed(last_periods(form.period_type or "month", 12)):
            self.period_box.addItem(period_label(p), p)
        if self.period_box.findData(self.period) < 0:
            self.period_box.insertItem(0, period_label(self.period), self.period)
        self.period_box.setCurrentIndex(self.period_box.findData(self.period))
        self.period_box.currentIndexChanged.connect(self._on_period)
        self.status_label = QLabel(objectName="report_status")
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        self.period_caption = QLabel()
        head.addWidget(self.period_caption)
        head.addWidget(self.period_box)
        head.addWidget(self.status_label)

        self.return_banner = QLabel(objectName="return_banner", wordWrap=True)
        self.return_banner.setStyleSheet(
            "background: #fdecea; color: #8c1d18; border: 1px solid #f4c7c3; padding: 8px;"
        )
        self.return_banner.setVisible(False)
        self.grid_host = QWidget(objectName="report_grid")
        self.grid = QGridLayout(self.grid_host)
        self.grid.setHorizontalSpacing(0)
        self.grid.setVerticalSpacing(0)
        self.rows: dict[str, _Row] = {}
        self.order: list[str] = []
        self._headers: list[QLabel] = []
        self._build_grid()
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.grid_host)

        self.btn_back = QPushButton(objectName="btn_back")
        self.btn_nil = QPushButton(objectName="btn_nil")
        self.btn_edit = QPushButton(objectName="btn_edit")
        self.btn_finalise = QPushButton(objectName="btn_finalise")
        self.btn_return = QPushButton(objectName="btn_return")
        self.btn_return.clicked.connect(self.return_report)
        self.btn_back.clicked.connect(self.close_page)
        self.btn_nil.clicked.connect(self.nil_report)
        self.btn_edit.clicked.connect(self.unlock)
        self.btn_finalise.clicked.connect(self.finalise)
        self.btn_finalise.setAutoDefault(True)  # Enter on the focused button finalises
        finalise_key = QShortcut(QKeySequence("Ctrl+Return"), self)
        finalise_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        finalise_key.activated.connect(self.finalise)
        self.summary = QLabel(objectName="report_summary", wordWrap=True)
        from desktop.printing import print_buttons

        self.btn_print, self.btn_pdf = print_buttons(self, self.papers, self._pdf_name)
        foot = QHBoxLayout()
        foot.addWidget(self.btn_back)
        foot.addWidget(self.summary, 1)
        foot.addWidget(self.btn_print)
        foot.addWidget(self.btn_pdf)
        foot.addWidget(self.btn_return)
        foot.addWidget(self.btn_nil)
        foot.addWidget(self.btn_edit)
        foot.addWidget(self.btn_finalise)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.return_banner)
        layout.addWidget(scroll, 1)
        layout.addLayout(foot)
        notifier().changed.connect(self.retranslate)
        self._load()
        self.retranslate()

    # building -----------------------------------------------------------------------------
    def _header_cell(self, col: int) -> None:
        label = QLabel()
        label.setStyleSheet(
            "background: #eef1f5; font-weight: 600; padding: 6px; border: 1px solid #c8ccd2;"
        )
        self.grid.addWidget(label, 0, col)
        self._headers.append(label)

    def _cell(self, widget: QWidget, row: int, col: int) -> None:
        frame = QFrame()
        frame.setObjectName("cell")
        frame.setStyleSheet("QFrame#cell { border: 1px solid #d5d8dd; background: white; }")
        lay = QHBoxLayout(frame)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.addWidget(widget)
        self.grid.addWidget(frame, row, col)

    def _build_grid(self) -> None:
        for col in range(COLUMNS):
            self._header_cell(col)
        row = 1
        for q in self.form.walk():
            if q.is_group and q.parent is None and q.labels:
                section = QLabel()
                section.setProperty("qname", q.name)
                section.setStyleSheet("font-weight: 600; padding: 8px 4px 4px 4px;")
                self.grid.addWidget(section, row, 0, 1, COLUMNS)
                self._headers.append(section)
                row += 1
                continue
            if not is_shown(q) or q.is_group or self.form.repeat_of(q.name) is not None:
                continue
            if q.type == "note":
                continue
            depth = _depth(self.form, q)
            label = QLabel(wordWrap=True)
            label.setContentsMargins(depth * 22, 0, 0, 0)
            editor = Editor(q, self._choices(q), radio_max=GRID_RADIO_MAX)
            editor.widget.setMinimumWidth(140)
            if q.calculation and isinstance(editor.widget, QLineEdit):
                editor.widget.setReadOnly(True)  # worked out by the form
                editor.widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                editor.widget.setStyleSheet("background: #f3f4f6;")
            editor.edited.connect(lambda raw, name=q.name: self.set_raw(name, raw))
            editor.widget.installEventFilter(self)
            for button in editor._option_buttons():
                button.installEventFilter(self)
            unit = QLabel()
            unit.setAlignment(Qt.AlignmentFlag.AlignCenter)
            explain = QLineEdit(objectName=f"explain_{q.name}")
            explain.setEnabled(False)
            explain.editingFinished.connect(lambda name=q.name: self._explained(name))
            explain.installEventFilter(self)
            message = QLabel(objectName=f"msg_{q.name}", wordWrap=True)
            previous = QLabel(objectName=f"prev_{q.name}")
            previous.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            previous.setStyleSheet(PREVIOUS_STYLE)
            for col, w in enumerate((label, unit, editor.widget, previous, explain, message)):
                self._cell(w, row, col)
            self.rows[q.name] = _Row(q, editor, label, unit, explain, message, depth, previous)
            self.order.append(q.name)
            row += 1
        self.grid.setColumnStretch(0, 4)
        self.grid.setColumnStretch(4, 3)
        self.grid.setColumnStretch(5, 5)
        self.grid.setRowStretch(row, 1)

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

    # loading and saving ---------------------------------------------------------------------
    def _on_period(self, index: int) -> None:
        self.save_draft()
        self.period = self.period_box.itemData(index)
        self.engine = self._new_engine()
        self.uuid = None
        self.reason = None
        self._edited.clear()
        self._touched = False
        self._load()
        self.retranslate()

    def _new_engine(self) -> Any:
        """An engine for this report, with the same unit's previous period (与上期比较)."""
        from forms.engine import FormEngine

        previous = None
        if self.unit and self.form.kind == "report":
            previous = self.store.previous_lookup(
                self.form.form_id, unit=self.unit, period=self.period
            )
        return FormEngine(self.form, previous=previous)

    def _unit_of(self, uuid: str | None) -> str | None:
        record = self.store.get(self.form.form_id, uuid) if uuid else None
        return (record or {}).get("_unit") or self.store.unit_code

    def _previous_text(self, name: str) -> str:
        """Last period's value of ``name`` as shown in the 上期 column ('' when none)."""
        q = self.form.get(name)
        if q is None or name in self.form.report_key:
            return ""
        value = self.engine.previous_values().get(name)
        if value is None or value == "":
            return ""
        choices = self.form.choice_lists.get(q.list_name or "")
        if choices is not None:
            picked = [choices.get(v) for v in str(value).split()]
            return "、".join(c.label() if c else "?" for c in picked)
        return value_text(value)

    def _load(self) -> None:
        if self.uuid is None and not self.form.report_key:
            self.uuid = self.store.find_report(
                self.form.form_id, unit=self.unit, period=self.period
            )
        record = self.store.get(self.form.form_id, self.uuid) if self.uuid else None
        self.status = (record or {}).get("_status", "draft")
        from exports.returns import open_return

        self.record = record
        self.record_unit = (record or {}).get("_unit") or self.unit
        returns = (record or {}).get("_returns")
        self.open_ret = open_return(returns) if self.status == lifecycle.RETURNED else None
        self.explanations = dict(_json((record or {}).get("_explanations")) or {})
        if record:
            for name in self.order:
                if record.get(name) is not None:
                    self.engine.set_answer(name, record[name])
        else:
            self._prefill_cover()
        for r in self.rows.values():
            r.type_error = None
            r.explain.setText(self.explanations.get(r.question.name, ""))
        self._refresh_all()
        self._apply_lock()

    def _prefill_cover(self) -> None:
        """A new report's cover fills itself: 填表人 is the clerk, 填报日期 today, and 单位负责人
        and 联系电话 are those of this unit's last report. Nothing is saved until the clerk
        types something (a report opened and left is no draft)."""
        from datetime import date

        last = self._last_report()
        for name in self.order:
            q = self.rows[name].question
            value: Any = None
            if name in COVER_FROM_CLERK:
                value = self.store.clerk or None
            elif name in COVER_TODAY and q.type == "date":
                value = date.today().isoformat()
            elif name in COVER_CARRIED:
                value = last.get(name)
            if value not in (None, "") and self.engine.state(name).value in (None, ""):
                self.engine.set_answer(name, value)

    def _last_report(self) -> dict:
        """This unit's most recent report (this form first, then any report form) that has a
        cover, for the values carried over."""
        unit = self.unit
        forms = [self.form] + [f for f in self.store.forms() if f.kind == "report"]
        for form in forms:
            if not any(q.name in COVER_CARRIED for q in form.fields()):
                continue
            rows = self.store.records(form.form_id, unit=unit, order_by="-_modified", limit=5)
            for row in rows:
                if any(row.get(n) for n in COVER_CARRIED):
                    return row
        return {}

    def papers(self) -> list[Any]:
        """The paper form of the report as it stands on screen (exports.paper)."""
        from exports.paper import report_paper_from

        row = {**self._values(), "_unit": self.record_unit or self.store.unit_code, "_period": self.period,
               "_status": self.status, "_explanations": self._current_explanations()}  # fmt: skip
        return [report_paper_from(self.store, self.form, row, None)]

    def _pdf_name(self) -> str:
        return f"{self.form.title()}-{self._unit_name()}-{self.period}.pdf"

    def _values(self) -> dict[str, Any]:
        return dict(self.engine.evaluation().values)

    def _save(self, *, status: str, done: Any = None, failed: Any = None) -> Any:
        """Write the grid's values with ``status`` through the DB worker (the only writer).

        The record's uuid is fixed before the first write, so saves queued behind an import
        all land on one record. ``done()`` / ``failed(exc)`` run on the UI thread once the
        write has been made (at once when the worker is idle). Returns the :class:`Write`."""
        if self.uuid is None:
            self.uuid = str(uuidlib.uuid4())
        form_id, uuid, unit, period = (
            self.form.form_id,
            self.uuid,
            self.record_unit or self.store.unit_code,
            self.period,
        )
        evaluation = self.engine.evaluation()
        # Finalising a returned report answers the return with the clerk's reason (it travels up).
        respond = (
            self.reason if status == "finalised" and self.open_ret is not None else None
        )  # a fresh object: safe to hand to the DB worker
        author, reason = self.store.clerk, self.reason
        explanations = self._current_explanations()

        def job(store: Any) -> str:
            if respond:
                from exports.returns import record_response

                with store.db.atomic():
                    store.save(form_id, evaluation.values, uuid=uuid, unit=unit, period=period,
                               status=status, author=author, reason=reason,
                               explanations=explanations, evaluation=evaluation)  # fmt: skip
                    record_response(store, form_id, uuid, respond, author=author)
                return uuid
            return store.save(
                form_id,
                evaluation.values,
                uuid=uuid,
                unit=unit,
                period=period,
                status=status,
                author=author,
                reason=reason,
                explanations=explanations,
                evaluation=evaluation,  # the store need not evaluate the form again
            )

        def on_failed(exc: BaseException) -> None:
            if failed is not None:
                failed(exc)
            show_error(self if shiboken6.isValid(self) else None, exc)

        return self.window_.db.write(
            job, done=(lambda _r: done()) if done else None, failed=on_failed
        )

    def save_draft(self) -> None:
        """Save what is typed so far (nothing to do when locked or untouched)."""
        if self.locked or not self._dirty:
            return
        self.status = "draft"
        self._dirty = False

        def failed(_exc: BaseException) -> None:
            if shiboken6.isValid(self):
                self._dirty = True  # try again with the next change

        self._save(status="draft", failed=failed)

    _dirty = False

    @property
    def locked(self) -> bool:
        return self.status in lifecycle.READ_ONLY and self.reason is None

    def _apply_lock(self) -> None:
        locked = self.locked
        for r in self.rows.values():
            r.editor.widget.setEnabled(not locked or bool(r.question.calculation))
            if locked:
                r.explain.setEnabled(False)
        self.btn_edit.setVisible(locked)
        from desktop.returns import can_return

        self.btn_return.setVisible(can_return(self.store, self.form, self.record))
        self.btn_finalise.setEnabled(not locked)
        self.btn_nil.setEnabled(not locked)

    def _current_explanations(self) -> dict[str, str]:
        out = {}
        for name, r in self.rows.items():
            text = r.explain.text().strip()
            if text:
                out[name] = text
        return out

    # editing -----------------------------------------------------------------------------
    def set_raw(self, name: str, raw: Any) -> None:
        """The user typed ``raw`` for ``name``: coerce, evaluate, show, save the draft."""
        from forms.types import coerce_answer

        row = self.rows[name]
        before, error_before = self.engine.state(name).value, row.type_error
        try:
            value = coerce_answer(row.question, raw) if raw not in (None, "") else None
            row.type_error = None
        except ValidationError as exc:
            # the typed text stays in the box, with what is wrong (not "required")
            row.type_error = type_error_text(row.question, raw, exc)
            value = None
        if value == before and row.type_error == error_before:
            return  # nothing changed (e.g. a box left without typing): no phantom draft
        changed = self.engine.set_answer(name, value)
        self._edited.add(name)
        self._refresh({name, *changed})
        if value != before:
            self._dirty = True
            self.save_draft()

    def _explained(self, name: str) -> None:
        self._dirty = True
        self.save_draft()
        self._refresh({name})

    def _refresh_all(self) -> None:
        self._refresh(set(self.rows))
        for section in self._headers[COLUMNS:]:  # a section whose group is skipped disappears
            name = section.property("qname")
            section.setVisible(bool(self.engine.state(name).relevant))

    def _refresh(self, names: set[str]) -> None:
        for name in names:
            row = self.rows.get(name)
            if row is None:
                continue
            state = self.engine.state(name)
            if not row.type_error:  # a mistyped value stays as typed, so it can be corrected
                row.editor.set_value(state.value)
            visible = state.relevant
            for w in (row.label, row.editor.widget, row.unit, row.previous, row.explain):
                w.parentWidget().setVisible(visible)
            row.message.parentWidget().setVisible(visible)
            row.previous.setText(self._previous_text(name))
            if row.type_error:
                text, style, needs = row.type_error, ERROR_STYLE, False
            elif (
                not state.valid
                and state.value is None
                and not self._touched
                and name not in self._edited
            ):
                text, style, needs = "", "", False  # "required" waits until finalising
            elif not state.valid and state.message:
                warn = state.severity == "warning"
                text = state.message
                style = WARNING_STYLE if warn else ERROR_STYLE
                needs = warn
            else:
                text, style, needs = "", "", False
            if not needs and not row.type_error and row.explain.text() and not self.locked:
                # the warning no longer applies (the value was corrected): its explanation
                # goes too, so it is neither stored nor exported with the corrected value
                row.explain.clear()
                self._dirty = True
            comment = ((self.open_ret or {}).get("fields") or {}).get(name)
            if comment:
                note = tr("returns.ui.comment", comment=comment)
                text = f"{note}\n{text}" if text else note
                style = style or ERROR_STYLE
            row.message.setText(text)
            row.message.setStyleSheet(style)
            row.explain.setEnabled(needs and not self.locked)
            row.explain.setPlaceholderText(tr("ui.report.explain_hint") if needs else "")
        self._update_summary()

    _touched = False

    def problems(self) -> tuple[list[str], list[str]]:
        """Names of fields with blocking errors, and of warnings still lacking an explanation."""
        evaluation = self.engine.evaluation()
        errors = [n for n, r in self.rows.items() if r.type_error]
        unexplained: list[str] = []
        for p in evaluation.problems:
            name = p.location.field
            if name not in self.rows:
                if p.severity == "error":
                    errors.append(name or "")
                continue
            if p.severity == "warning":
                if not self.rows[name].explain.text().strip():
                    unexplained.append(name)
            elif name not in errors:
                errors.append(name)
        return errors, unexplained

    def _update_summary(self) -> None:
        errors, unexplained = self.problems()
        blanks = 0
        if not self._touched:  # blanks are not errors yet while the clerk is still typing
            shown_errors = [
                n
                for n in errors
                if n in self._edited
                or self.rows.get(n) is None
                or self.engine.state(n).value is not None
                or self.rows[n].type_error
            ]
            blanks, errors = len(errors) - len(shown_errors), shown_errors
        # Only what there is to do; "ready" only when finalising would go through.
        if errors and unexplained:
            text = tr("ui.report.summary", errors=len(errors), warnings=len(unexplained))
        elif errors:
            text = tr("ui.report.summary_errors", errors=len(errors))
        elif unexplained:
            text = tr("ui.report.summary_warnings", warnings=len(unexplained))
        elif blanks:
            text = tr("ui.report.blanks_left", count=blanks)
        else:
            text = tr("ui.report.ready")
        self.summary.setText("" if self.locked and not (errors or unexplained) else text)
        self.summary.setStyleSheet(
            ERROR_STYLE if errors else WARNING_STYLE if unexplained or blanks else ""
        )

    def finalise(self) -> bool:
        """Finalise if nothing blocks it; otherwise say why and go to the first problem."""
        self._touched = True
        self._refresh_all()
        errors, unexplained = self.problems()
        if errors:
            self._focus(errors[0])
            dialogs.warn(
                self,
                tr("ui.report.cannot_finalise"),
                tr("ui.report.errors_block", count=len(errors)),
            )
            return False
        if unexplained:
            row = self.rows[unexplained[0]]
            row.explain.setFocus()
            dialogs.warn(
                self,
                tr("ui.report.cannot_finalise"),
                tr("ui.report.explain_needed", count=len(unexplained)),
            )
            return False
        if self.open_ret is not None and not (self.reason or "").strip():
            reason = dialogs.ask_text(self, tr("returns.ui.respond_title"),
                                      tr("returns.ui.respond", reason=self.open_ret.get("reason", "")))  # fmt: skip
            if not reason:
                return False
            self.reason = reason
        w = self._save(status="finalised", done=self._finalised)
        return w.ok if w.finished else True

    def _finalised(self) -> None:
        if not shiboken6.isValid(self):
            return
        self.status, self.reason, self._dirty = "finalised", None, False
        self.open_ret = None
        self._apply_lock()
        self.retranslate()
        self.window_.notify_changed(self.form.form_id)
        self.window_.statusBar().showMessage(tr("ui.report.finalised"), 5000)

    def nil_report(self) -> None:
        """Report "nothing to report" for this unit and period in one action."""
        if not dialogs.confirm(
            self, tr("ui.report.nil"), tr("ui.report.nil_confirm", period=period_label(self.period))
        ):
            return
        form_id, unit, period, author = (
            self.form.form_id,
            self.store.unit_code,
            self.period,
            self.store.clerk,
        )

        def done(uuid: str) -> None:
            if not shiboken6.isValid(self):
                return
            self.uuid = uuid
            self.status, self._dirty = "nil", False
            self._apply_lock()
            self.retranslate()
            self.window_.notify_changed(self.form.form_id)

        self.window_.db.write(
            lambda s: s.nil_report(form_id, unit=unit, period=period, author=author),
            done=done,
            failed=lambda exc: show_error(self if shiboken6.isValid(self) else None, exc),
        )

    def return_report(self) -> None:
        """Send this subordinate's report back for correction (退回)."""
        from desktop.returns import start_return

        def reload() -> None:
            if shiboken6.isValid(self):
                self._load()
                self.retranslate()

        if self.record is not None:
            start_return(self.window_, self.form, self.record, self, on_done=reload)

    def unlock(self) -> None:
        """Edit a finalised report: a reason is required and recorded in the audit trail.
        A nil report can simply be filled in after all."""
        if not lifecycle.edit_needs_reason(self.status):
            reason = ""
        else:
            reason = dialogs.ask_text(self, tr("ui.edit.title"), tr("ui.edit.reason"))
            if not reason:
                return
        self.reason = reason
        self._apply_lock()
        self._refresh_all()
        self.retranslate()

    def _focus(self, name: str) -> None:
        row = self.rows.get(name)
        if row is not None:
            row.editor.focus()

    def close_page(self) -> None:
        self.save_draft()
        self.window_.notify_changed(self.form.form_id)
        self.window_.close_page(self)

    # keyboard ----------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(obj, event)
        key = event.key()
        enter = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and isinstance(obj, QPlainTextEdit) and event.modifiers():
            return super().eventFilter(obj, event)  # Shift+Enter: a new line in a long text
        arrow = key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and isinstance(obj, QLineEdit)
        name = self._row_of(obj) if enter or arrow else None
        if name is None:
            return super().eventFilter(obj, event)
        row = self.rows[name]
        if obj is row.explain:
            row.explain.editingFinished.emit()  # commit before moving on
        else:
            row.editor.commit()
        self._move(name, -1 if key == Qt.Key.Key_Up else 1)
        return True

    def _row_of(self, obj: QObject) -> str | None:
        for name, r in self.rows.items():
            if obj is r.editor.widget or obj is r.explain or obj in r.editor._option_buttons():
                return name
        return None

    def _move(self, name: str, step: int) -> None:
        visible = [
            n
            for n in self.order
            if self.rows[n].editor.widget.isVisibleTo(self) and self.rows[n].editor.focusable
        ]
        if name not in visible:
            # e.g. Enter in the explanation box of a worked-out row: go on from that row
            later = self.order[self.order.index(name) + 1 :] if step > 0 else []
            before = self.order[: self.order.index(name)] if step < 0 else []
            nearby = [n for n in (later if step > 0 else reversed(before)) if n in visible]
            if nearby:
                self._focus(nearby[0])
            elif step > 0:
                self.btn_finalise.setFocus()
            return
        i = visible.index(name) + step
        if 0 <= i < len(visible):
            self._focus(visible[i])
        elif i >= len(visible):
            self.btn_finalise.setFocus()

    def focus_first(self) -> None:
        """Put the cursor in the first value cell."""
        if self.order:
            self._focus(self.order[0])

    def activated(self) -> None:
        self.focus_first()

    # text ----------------------------------------------------------------------------------
    def retranslate(self, *_: object) -> None:
        """Re-read every text from the catalogue and the form's labels."""
        self.title.setText(tr("ui.report.title", form=self.form.title(), unit=self._unit_name()))
        self.period_caption.setText(tr("ui.report.period"))
        self.status_label.setText(tr(f"ui.status.{self.status}"))
        for col, key in enumerate(
            (
                "ui.report.col.item",
                "ui.report.col.unit",
                "ui.report.col.value",
                "ui.report.col.previous",
                "ui.report.col.explain",
                "ui.report.col.check",
            )
        ):
            self._headers[col].setText(tr(key))
        for section in self._headers[COLUMNS:]:
            section.setText(self.form.question(section.property("qname")).label())
        for r in self.rows.values():
            # "其中：" is part of the form's label; the form's hint shows under it, small, and
            # as the tooltip of the row's label and value cell
            hint = r.question.hint()
            if hint:
                r.label.setTextFormat(Qt.TextFormat.RichText)
                r.label.setText(
                    f"{html.escape(r.question.label())}<br><span style='color:#666; "
                    f"font-size:11px;'>{html.escape(hint)}</span>"
                )
            else:
                r.label.setTextFormat(Qt.TextFormat.PlainText)
                r.label.setText(r.question.label())
            r.label.setToolTip(hint)
            r.editor.widget.setToolTip(hint)
            r.unit.setText(r.question.unit() or "")
            r.editor.relabel()
        self.btn_back.setText(tr("ui.button.back"))
        self.btn_nil.setText(tr("ui.report.nil"))
        self.btn_edit.setText(tr("ui.edit.button"))
        self.btn_finalise.setText(tr("ui.report.finalise"))
        self.btn_return.setText(tr("returns.ui.button"))
        if self.open_ret is not None:
            e = self.open_ret
            self.return_banner.setText(tr("returns.ui.banner", by=e.get("by_name") or e.get("by", ""),
                                          at=str(e.get("at", ""))[:10], reason=e.get("reason", "")))  # fmt: skip
        self.return_banner.setVisible(self.open_ret is not None)
        from desktop.printing import retranslate_buttons

        retranslate_buttons(self.btn_print, self.btn_pdf)
        self._refresh_all()

    def _unit_name(self) -> str:
        code = self.record_unit or self.store.unit_code
        unit = self.store.units.get(code) if code else None
        return unit.name if unit else ""


def _json(value: Any) -> Any:
    if isinstance(value, str) and value:
        import json

        try:
            return json.loads(value)
        except ValueError:
            return None
    return value
