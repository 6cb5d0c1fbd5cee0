"""Charts as matplotlib ``Figure`` objects (never pyplot): volunteers over time, venue visits
over time, respondents by unit. The desktop wraps them in a canvas (they serve only the desktop, so they live here).

Data functions read the local store; figure functions are pure functions of that data.
matplotlib is imported lazily so the CLI and the app start fast. Chinese text needs a CJK font:
:func:`cjk_font` finds one (Microsoft YaHei, SimHei, PingFang, Noto Sans CJK, WenQuanYi) and
:func:`font_notice` says clearly when none is installed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from i18n import tr
from kexie.lifecycle import COMPLETE, NIL

CJK_FONTS = (
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "PingFang",
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
)
VOLUNTEER_FORM = "kexie_volunteer_monthly"
VENUE_FORM = "kexie_venue_monthly"
SURVEY_FORM = "kexie_survey"
COUNTED = tuple(sorted(COMPLETE))  # finished records with data
COLORS = ("#2f6db5", "#e07b39", "#3a9a5b", "#8e5ab5")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font that has Chinese glyphs, or None."""
    from matplotlib import font_manager

    found = _cjk_in(font_manager.fontManager)
    if found is None and not _rebuilt:
        # matplotlib caches the font list on first use; a Chinese font installed since then
        # (the README's fonts-noto-cjk, after a first start) is missing from that stale cache
        # until it is rebuilt: rebuild once per run and look again
        found = _cjk_in(_rebuild_font_cache())
    return found


_rebuilt = False


def _cjk_in(manager: Any) -> str | None:
    installed = {f.name for f in manager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    for name in sorted(installed):
        if any(tag in name for tag in ("CJK", "Hei", "Song", "Kai", "Ming")):
            return name
    return None


def _rebuild_font_cache() -> Any:
    """Re-scan the system's fonts (and rewrite matplotlib's cache); the new font manager."""
    global _rebuilt
    from matplotlib import font_manager

    _rebuilt = True
    font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
    return font_manager.fontManager


def font_notice() -> str | None:
    """A translated notice when no CJK font is installed (Chinese labels would show boxes)."""
    return (
        None if cjk_font() else tr("chart.no_cjk_font", fonts=tr("ui.list_sep").join(CJK_FONTS[:5]))
    )


def _figure(width: float = 6.4, height: float = 3.6) -> Any:
    import matplotlib

    family = cjk_font()
    if family:
        fonts = list(matplotlib.rcParams["font.sans-serif"])
        if fonts[:1] != [family]:
            matplotlib.rcParams["font.sans-serif"] = [family, *[f for f in fonts if f != family]]
        matplotlib.rcParams["font.family"] = "sans-serif"
        matplotlib.rcParams["axes.unicode_minus"] = False
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#e3e6ea", linewidth=0.8)
    ax.set_axisbelow(True)


def _empty(ax: Any) -> None:
    ax.text(
        0.5,
        0.5,
        tr("chart.no_data"),
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="#888888",
    )
    ax.set_xticks([])
    ax.set_yticks([])


def _period_tick(period: str) -> str:
    if len(period) == 7 and period[4] == "-":  # month: 2026-10 → 26/10 keeps ticks short
        return f"{period[2:4]}/{period[5:]}"
    return period


# figures ----------------------------------------------------------------------------------------
def line_figure(series: dict[str, list[tuple]], title: str, ylabel: str) -> Any:
    """A line chart of one or more named series of (period, value[, partial note]), periods on
    the x axis; a point with a note ("3/24 units") is drawn hollow and labelled."""
    fig = _figure()
    ax = fig.add_subplot()
    periods = sorted({p[0] for points in series.values() for p in points})
    if not periods:
        _empty(ax)
    else:
        x = {p: i for i, p in enumerate(periods)}
        partial = False
        for n, (name, points) in enumerate(series.items()):
            pts = sorted(points)
            color = COLORS[n % len(COLORS)]
            # A period not every unit has reported for ("3/24 units") is no fall of the total:
            # the solid line joins complete periods only; such a point is hollow, labelled,
            # and joined by a dotted line.
            full = [None if len(p) > 2 and p[2] else p[1] for p in pts]
            ax.plot(
                [x[p[0]] for p in pts],
                [float("nan") if v is None else v for v in full],
                marker="o",
                markersize=3,
                linewidth=1.8,
                color=color,
                label=name,
            )
            notes = [i for i, p in enumerate(pts) if len(p) > 2 and p[2]]
            if notes:
                partial = True
                ax.plot([x[p[0]] for p in pts], [p[1] for p in pts], linestyle=":",
                        linewidth=1, color=color)  # fmt: skip
                for i in notes:
                    p = pts[i]
                    ax.plot([x[p[0]]], [p[1]], marker="o", markersize=7, color=color,
                            markerfacecolor="white", linestyle="none")  # fmt: skip
                    ax.annotate(p[2], (x[p[0]], p[1]), textcoords="offset points",
                                xytext=(0, 7), ha="center", fontsize=7, color=color)  # fmt: skip
        if partial:
            ax.set_xlabel(tr("chart.partial.note"), fontsize=7, color="#666666")
        step = max(1, (len(periods) + 6) // 7)  # at most ~7 labels: they must not collide
        ax.set_xticks(range(0, len(periods), step), [_period_tick(p) for p in periods[::step]])
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        if len(series) > 1:
            _legend(ax)
        _style(ax)
    ax.set_title(title, loc="left", fontsize=12)
    return fig


def _legend(ax: Any) -> None:
    """The legend below the plotting area (constrained layout makes room for it), in a
    smaller font with long (English) names wrapped: inside the axes it ran over the y-axis
    label and ticks at the dashboard's size."""
    import textwrap

    handles, labels = ax.get_legend_handles_labels()
    wrapped = [textwrap.fill(t, 34) if t.isascii() else t for t in labels]
    ax.figure.legend(handles, wrapped, loc="outside lower center", frameon=False, fontsize=8,
                     ncols=len(handles) if sum(map(len, labels)) <= 24 else 1)  # fmt: skip


def volunteers_figure(series: dict[str, list[tuple[str, float]]]) -> Any:
    """Registered (and active) science volunteers by month."""
    return line_figure(series, tr("chart.volunteers.title"), tr("chart.people"))


def venue_visits_figure(series: dict[str, list[tuple[str, float]]]) -> Any:
    """Visits to science venues by month."""
    return line_figure(series, tr("chart.visits.title"), tr("chart.visits.axis"))


def respondents_figure(counts: list[tuple[str, int]], limit: int = 15) -> Any:
    """Survey respondents per unit, largest first (the rest summed as "others")."""
    fig = _figure()
    ax = fig.add_subplot()
    counts = sorted(counts, key=lambda t: (-t[1], t[0]))
    if len(counts) > limit:
        rest = sum(c for _, c in counts[limit - 1 :])
        counts = [*counts[: limit - 1], (tr("chart.others"), rest)]
    if not counts:
        _empty(ax)
    else:
        names = [n for n, _ in counts][::-1]
        values = [c for _, c in counts][::-1]
        bars = ax.barh(names, values, color=COLORS[0])
        ax.bar_label(bars, padding=3, fontsize=8)
        ax.set_xlabel(tr("chart.respondents.axis"))
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    ax.set_title(tr("chart.respondents.title"), loc="left", fontsize=12)
    return fig


# data -------------------------------------------------------------------------------------------
def _table(store: Any, form_id: str) -> str | None:
    name = f"form_{form_id}"
    return name if store.db[name].exists() else None


def _field(form: Any, prefer: tuple[str, ...], aggregate: str) -> str | None:
    names = [q.name for q in form.fields() if q.type in ("integer", "decimal")]
    for wanted in prefer:
        for name in names:
            if wanted in name:
                return name
    for q in form.fields():
        if q.type in ("integer", "decimal") and q.aggregate == aggregate and not q.of:
            return q.name
    return None


def period_sums(
    store: Any, form_id: str, field: str, *, stock: bool = False
) -> list[tuple[str, float, str | None]]:
    """Per period, the sum over units of ``field`` in finalised reports (a returned report
    counts only once it comes back corrected). For a stock (``last``), a period where fewer
    units reported (data or nil) than the units reporting this form in any period carries a
    note "3/24 units" instead of passing for a fall of the total."""
    table = _table(store, form_id)
    if table is None:
        return []
    wanted = (*COUNTED, NIL)  # a nil report counts as reported, adds nothing
    marks = ", ".join("?" for _ in wanted)
    sql = (
        f"select _period, _unit, _status, [{field}] from [{table}] where _deleted = 0 "
        f"and _status in ({marks}) and _period is not null"
    )
    sums: dict[str, float] = {}
    units: dict[str, set] = {}
    for period, unit, status, value in store.db.execute(sql, wanted).fetchall():
        units.setdefault(period, set()).add(unit)
        sums[period] = sums.get(period, 0.0) + (float(value or 0) if status != NIL else 0.0)
    expected = set().union(*units.values()) if units else set()
    out = []
    for period in sorted(sums):
        done = len(units[period])
        note = (
            tr("chart.partial", done=done, expected=len(expected))
            if stock and done < len(expected)
            else None
        )
        out.append((period, sums[period], note))
    return out


def volunteer_series(store: Any) -> dict[str, list[tuple[str, float]]]:
    """Registered and active volunteers per month, from the volunteer monthly report."""
    try:
        form = store.form(VOLUNTEER_FORM)
    except Exception:
        return {}
    out = {}
    registered = _field(form, ("registered",), "last")
    active = _field(form, ("active",), "last")
    for name in (registered, active):
        if name:
            stock = form.question(name).aggregate == "last"
            out[form.question(name).label()] = period_sums(store, VOLUNTEER_FORM, name, stock=stock)
    return out


def venue_series(store: Any) -> dict[str, list[tuple[str, float]]]:
    """Venue visitors per month, from the venue monthly report."""
    try:
        form = store.form(VENUE_FORM)
    except Exception:
        return {}
    name = _field(form, ("visitors", "visits"), "sum")
    if not name:
        return {}
    return {form.question(name).label(): period_sums(store, VENUE_FORM, name)}


def respondents_by_unit(store: Any) -> list[tuple[str, int]]:
    """Number of survey respondents per unit (unit names), finalised or exported records."""
    table = _table(store, SURVEY_FORM)
    if table is None:
        return []
    marks = ", ".join("?" for _ in COUNTED)
    rows = store.db.execute(
        f"select _unit, count(*) from [{table}] where _deleted = 0 and _status in ({marks}) "
        "group by _unit",
        COUNTED,
    ).fetchall()
    out = []
    for code, count in rows:
        unit = store.units.get(code) if code else None
        out.append((unit.name if unit else str(code), int(count)))
    return out
