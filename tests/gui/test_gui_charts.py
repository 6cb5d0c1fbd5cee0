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
