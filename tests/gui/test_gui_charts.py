"""Charts are plain matplotlib Figures that draw Chinese text with a real CJK font."""

from __future__ import annotations

import warnings

from desktop import charts


def _draw(fig) -> list[str]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FigureCanvasAgg(fig).draw()
    return [str(w.message) for w in caught]


def test_font_notice_matches_font_discovery():
    assert (charts.font_notice() is None) == (charts.cjk_font() is not None)


def test_volunteer_chart_draws_chinese_without_missing_glyphs():
    fig = charts.volunteers_figure(
        {"注册志愿者": [("2026-01", 120.0), ("2026-02", 131.0)], "活跃志愿者": [("2026-02", 40.0)]}
    )
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "科技志愿者人数（按月）"
    assert [line.get_label() for line in ax.get_lines()] == ["注册志愿者", "活跃志愿者"]
    missing = [m for m in _draw(fig) if "missing from" in m]
    if charts.cjk_font():
        assert missing == []


def test_respondents_chart_keeps_the_largest_units_and_sums_the_rest():
    counts = [(f"乡镇{i}", i) for i in range(1, 21)]
    fig = charts.respondents_figure(counts, limit=5)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "乡镇20"  # largest on top
    assert labels[0] == "其他"
    widths = [p.get_width() for p in ax.patches]
    assert sum(widths) == sum(range(1, 21))


def test_empty_data_says_so():
    fig = charts.venue_visits_figure({})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["暂无数据"]


def test_charts_follow_the_language():
    import i18n

    i18n.set_language("en")
    fig = charts.venue_visits_figure({"visitors": [("2026-03", 10.0)]})
    assert fig.axes[0].get_title(loc="left") == "Science venue visits by month"


def test_a_cjk_font_installed_after_the_first_run_is_found(monkeypatch):
    """matplotlib's font cache was written before the Chinese font was installed: the chart
    module rebuilds it once instead of telling the clerk no font was found."""
    from matplotlib import font_manager

    from desktop import charts

    real = font_manager.fontManager
    if charts._cjk_in(real) is None:
        import pytest

        pytest.skip("no CJK font installed on this machine")

    class Stale:  # the cache as written before the font was installed
        def __init__(self) -> None:
            self.ttflist = [
                f for f in real.ttflist if charts._cjk_in(type("M", (), {"ttflist": [f]})) is None
            ]

    rebuilt = []
    monkeypatch.setattr(font_manager, "fontManager", Stale())
    monkeypatch.setattr(charts, "_rebuilt", False)
    charts.cjk_font.cache_clear()  # a new run
    monkeypatch.setattr(
        font_manager, "_load_fontmanager", lambda try_read_cache=True: rebuilt.append(1) or real
    )
    assert charts.cjk_font() is not None
    assert rebuilt == [1] and font_manager.fontManager is real
    assert charts.font_notice() is None
    assert rebuilt == [1]  # once per run
    charts.cjk_font.cache_clear()
