"""Dashboard: charts (matplotlib Figures from ``desktop.charts`` in Qt canvases) and the
completeness board (which subordinate units reported for which period, nil, missing)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.lang import notifier
from forms.periods import label as period_label
from forms.periods import last_periods
from i18n import tr
from kexie import lifecycle

STATE_COLORS = {
    "data": "#d8efdc",
    "nil": "#e7eaf0",
    "returned": "#fbe7b5",
    "missing": "#f8d9d6",
    "pending": "#ffffff",
}
BOARD_PERIODS = 6
# The board shows reported reports and returned ones (退回: their own state, as in 上报情况).
REPORTED = tuple(s for s in lifecycle.STATUSES if s in lifecycle.REPORTED | {lifecycle.RETURNED})
DEFAULT_BOARD_FORM = "kexie_volunteer_monthly"


def not_yet_due(form: Any, period: str, today: Any = None) -> bool:
    """Whether a missing report for ``period`` is simply not due yet: before the form's
    deadline (``kexie::due``), or — for a form without one — before the period has ended."""
    from exports.timeliness import due_of, today_cst
    from forms.periods import current_period, is_future

    rule = (getattr(form, "settings", None) or {}).get("kexie::due")
    due = due_of(rule, period)
    if due is not None:
        return today_cst(today) <= due
    kind = form.period_type or "month"
    return period == current_period(kind, today) or is_future(period, today)


def _board_units(store: Any) -> tuple[list[tuple[str, str]], Any]:
    """The board's rows (this unit, then its direct subordinates) and the grouping that puts
    any unit below a subordinate on that subordinate's row (the rest on this unit's own)."""
    me = store.unit_code
    units = store.units
    expected = [(me, units.get(me).name if units.get(me) else me)]
    expected += [(u.code, u.name) for u in units.children(me)]
    codes = {c for c, _ in expected}

    def group(code: str | None) -> tuple[str, str]:
        if code:
            for u in units.path(code):
                if u.code in codes and u.code != me:
                    return u.code, u.name
        return me, expected[0][1]

    return expected, group


def completeness(
    store: Any, form: Any, periods: list[str], today: Any = None
) -> list[tuple[str, str, list[str]]]:
    """(unit code, unit name, state per period) for this unit and its direct subordinates;
    states are ``data``, ``nil``, ``returned`` or ``missing`` (``exports.rollup.Completeness``
    decides, as for the bundle's 上报情况), and ``pending`` for a missing report that is not
    due yet (a period not over, or before its deadline), which is not 未报."""
    from exports.rollup import Completeness

    expected, group = _board_units(store)

    board = Completeness(expected, group, None)
    wanted = set(periods)
    # Drafts are not reported yet; a returned report shows as 退回 until it comes back.
    for row in store.records(form.form_id, status=list(REPORTED)):
        if row.get("_period") in wanted:
            board.add(form.form_id, form.title(), row)
    waiting = {p for p in periods if not_yet_due(form, p, today)}

    def state(code: str, period: str) -> str:
        found = board.status(form.form_id, code, period)
        return "pending" if found == "missing" and period in waiting else found

    return [(code, name, [state(code, p) for p in periods]) for code, name in expected]


def timeliness_board(store: Any, form: Any, periods: list[str]) -> tuple[list, bool]:
    """([(code, name, [cell per period], rates)], whether the form states a deadline): the
    cells of ``exports.rollup.Completeness.cell`` (state, on time / late) and the rates of
    ``exports.timeliness.rates``, as ``kexie status`` and the bundle's 上报情况 show them."""
    from exports.rollup import Completeness
    from exports.timeliness import arrivals, arrived_row, rates

    expected, group = _board_units(store)

    rule = form.settings.get("kexie::due") or None
    board = Completeness(expected, group, None)
    board.declare(form.form_id, form.title(), form.period_type, due=rule)
    wanted = set(periods)
    arrived = arrivals(store)
    for row in store.records(form.form_id, status=list(REPORTED)):
        if row.get("_period") in wanted:
            board.add(
                form.form_id, form.title(), arrived_row(row, group(row.get("_unit"))[0], arrived)
            )
    out = []
    for code, name in expected:
        cells = [board.cell(form.form_id, code, p) for p in periods]
        out.append((code, name, cells, rates(cells)))
    return out, bool(rule)


class DashboardPage(QWidget):
    """Charts and the completeness board; redrawn when records change."""

    def __init__(self, window: Any) -> None:
        super().__init__(objectName="dashboard")
        self.window_ = window
        self.store = window.store
        self.notice = QLabel(objectName="font_notice", wordWrap=True)
        self.notice.setStyleSheet("color: #8a5a00;")
        self.charts = QGridLayout()
        self.canvases: list[Any] = []
        self.board_title = QLabel()
        self.board_title.setStyleSheet("font-weight: 600;")
        self.board_form = QComboBox(objectName="board_form")
        self.board_form.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.board_form.currentIndexChanged.connect(lambda _i: self.refresh_board())
        self.board = QTableWidget(objectName="completeness")
        self.board.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.board.verticalHeader().setVisible(False)
        # Each column as wide as its text (a squeezed "已报（逾期3天）" reads "已报…"); on a
        # small screen the board scrolls sideways instead.
        self.board.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.board.horizontalHeader().setStretchLastSection(True)
        from desktop.printing import print_buttons

        self.btn_print, self.btn_pdf = print_buttons(self, self.summary_papers, self._pdf_name)
        head = QHBoxLayout()
        head.addWidget(self.board_title)
        head.addWidget(self.board_form)
        head.addStretch(1)
        from PySide6.QtWidgets import QPushButton

        self.btn_templates = QPushButton(objectName="btn_templates")
        self.btn_templates.clicked.connect(self.make_templates)
        head.addWidget(self.btn_templates)
        head.addWidget(self.btn_print)
        head.addWidget(self.btn_pdf)
        board_box = QVBoxLayout()
        board_box.addLayout(head)
        board_box.addWidget(self.board)
        self.charts.addLayout(board_box, 1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addLayout(self.charts, 1)
        self._stale = True
        notifier().changed.connect(self.retranslate)
        window.data_changed.connect(self._mark_stale)
        self.retranslate()

    def _mark_stale(self, _form_id: str = "") -> None:
        self._stale = True
        if self.isVisible():
            self.refresh()

    def activated(self) -> None:
        if self._stale:
            self.refresh()

    def summary_period(self) -> str | None:
        """The period the 汇总表 buttons print: the board's selected column, else the latest."""
        form_id = self.board_form.currentData()
        if not form_id:
            return None
        form = self.store.form(form_id)
        periods = last_periods(form.period_type or "month", BOARD_PERIODS)
        col = self.board.currentColumn()
        if 1 <= col <= len(periods):
            return periods[col - 1]
        # none chosen: the latest period anyone has reported for (the current month is
        # usually still being filled in)
        rows = completeness(self.store, form, periods)
        reported = [
            p for i, p in enumerate(periods) if any(r[2][i] in ("data", "nil") for r in rows)
        ]
        return reported[-1] if reported else periods[-1]

    def summary_papers(self) -> list[Any]:
        """This unit's 汇总表 of the board's form for :meth:`summary_period`."""
        from exports.paper import summary_paper

        period = self.summary_period()
        if period is None:
            return []
        return [summary_paper(self.store, self.board_form.currentData(), period)]

    def _pdf_name(self) -> str:
        return f"{self.board_form.currentText()}-{tr('paper.summary.total')}-{self.summary_period()}.pdf"

    def retranslate(self, *_: object) -> None:
        """Re-read texts and redraw (chart titles are translated when drawn)."""
        from desktop.printing import retranslate_buttons

        retranslate_buttons(self.btn_print, self.btn_pdf)
        self.board_title.setText(tr("ui.dash.board"))
        self.btn_templates.setText(tr("template.ui.action"))
        current = self.board_form.currentData()
        self.board_form.blockSignals(True)
        self.board_form.clear()
        for form in self.store.forms():
            if form.kind == "report":
                self.board_form.addItem(form.title(), form.form_id)
        index = self.board_form.findData(current or DEFAULT_BOARD_FORM)
        self.board_form.setCurrentIndex(max(index, 0))
        self.board_form.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        """Redraw the charts and the board from the store."""
        from desktop import charts

        notice = charts.font_notice()
        self.notice.setText(notice or "")
        self.notice.setVisible(bool(notice))
        figures = [
            charts.volunteers_figure(charts.volunteer_series(self.store)),
            charts.venue_visits_figure(charts.venue_series(self.store)),
            charts.respondents_figure(charts.respondents_by_unit(self.store)),
        ]
        self._show_figures(figures)
        self.refresh_board()
        self._stale = False

    def _show_figures(self, figures: list[Any]) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        for canvas in self.canvases:
            self.charts.removeWidget(canvas)
            canvas.setParent(None)
            canvas.deleteLater()
        self.canvases = []
        for i, fig in enumerate(figures):
            canvas = FigureCanvasQTAgg(fig)
            canvas.setObjectName(f"chart_{i}")
            canvas.setMinimumSize(360, 240)
            self.charts.addWidget(canvas, i // 2, i % 2)
            self.canvases.append(canvas)

    def make_templates(self) -> None:
        """Fill-in templates of the board's form for the last period, one per subordinate."""
        from desktop.returns import start_templates
        from forms.periods import current_period, previous_period

        form_id = self.board_form.currentData()
        if not form_id:
            return
        form = self.store.form(form_id)
        start_templates(
            self.window_, form, previous_period(current_period(form.period_type or "month"))
        )

    def refresh_board(self) -> None:
        """Fill the completeness board for the chosen report form and recent periods."""
        form_id = self.board_form.currentData()
        if not form_id or not self.store.unit_code:
            self.board.setRowCount(0)
            return
        form = self.store.form(form_id)
        periods = last_periods(form.period_type or "month", BOARD_PERIODS)
        self.periods = periods
        waiting = {p for p in periods if not_yet_due(form, p)}  # 未到期, not 未报
        rows, timed = timeliness_board(self.store, form, periods)
        extra = [tr("timely.col.rate_reported"), tr("timely.col.rate_on_time")] if timed else []
        self.board.setColumnCount(1 + len(periods) + len(extra))
        self.board.setHorizontalHeaderLabels(
            [tr("ui.dash.unit")] + [period_label(p) for p in periods] + extra
        )
        self.board.setRowCount(len(rows))
        for r, (_code, name, cells, rate) in enumerate(rows):
            unit_item = QTableWidgetItem(name)
            unit_item.setToolTip(name)
            self.board.setItem(r, 0, unit_item)
            for c, cell in enumerate(cells, start=1):
                state = cell["state"]
                if state == "missing" and periods[c - 1] in waiting:
                    state = "pending"
                text = tr(f"ui.dash.state.{state}")
                if cell["timely"] == "late":
                    text += tr("timely.late_days", n=cell["days_late"])
                item = QTableWidgetItem(text)
                item.setToolTip(f"{name} · {period_label(periods[c - 1])}：{text}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(QBrush(QColor(STATE_COLORS[state])))
                if cell["timely"] == "late":
                    item.setForeground(QBrush(QColor("#8c1d18")))
                self.board.setItem(r, c, item)
            for c, value in enumerate((rate["rate_reported"], rate["rate_on_time"]) if timed else (),
                                      start=1 + len(periods)):  # fmt: skip
                item = QTableWidgetItem("-" if value is None else f"{value * 100:.0f}%")
                item.setToolTip(f"{name} · {extra[c - 1 - len(periods)]}：{item.text()}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.board.setItem(r, c, item)
