"""Dashboard figures follow the bundle's rules (issue 10): a returned report shows as 退回 on
the board (as in 上报情况) and is not summed; a stock's period that not every unit reported
for is marked partial ("3/4 units") instead of drawn as a collapse."""

from __future__ import annotations

import random

import pytest

from desktop import charts
from forms.builtin.samples import sample_answers

COUNTY = "330106000000"
FORM = "kexie_volunteer_monthly"


@pytest.fixture
def county(tmp_path):
    from localdb import open_store

    store = open_store(tmp_path / "data")
    store.set_unit(COUNTY)
    yield store
    store.close()


def _report(store, unit, period, registered, rng):
    values, _ = sample_answers(FORM, rng, unit_code=unit, period=period)
    values["vol_registered"] = registered
    values["vol_female"] = min(values["vol_female"], registered)
    values["vol_young"] = min(values["vol_young"], registered)
    values["vol_retired"] = min(values["vol_retired"], registered)
    values["vol_active"] = min(values["vol_active"], registered)
    values["vol_new"] = min(values["vol_new"], registered)
    # Every warning explained, the 与上期比较 ones (on derived fields) included.
    explained = {q.name: "核实无误" for q in store.form(FORM).fields()}
    return store.save(FORM, values, unit=unit, period=period, status="finalised",
                      explanations=explained)  # fmt: skip


def test_returned_report_is_returned_on_the_board_and_not_summed(county):
    from desktop.dashboard import completeness

    rng = random.Random(3)
    towns = [u.code for u in county.units.children(COUNTY)][:2]
    _report(county, towns[0], "2026-01", 100, rng)
    back = _report(county, towns[1], "2026-01", 50, rng)
    county.set_status(FORM, back, "returned", reason="数字有误")
    rows = {
        code: states for code, _, states in completeness(county, county.form(FORM), ["2026-01"])
    }
    assert rows[towns[0]] == ["data"] and rows[towns[1]] == ["returned"]
    assert rows[COUNTY] == ["missing"]
    assert charts.period_sums(county, FORM, "vol_registered", stock=True)[0][1] == 100


def test_a_stock_period_with_missing_units_is_marked_partial(county):
    rng = random.Random(4)
    towns = [u.code for u in county.units.children(COUNTY)][:4]
    for t in towns:
        _report(county, t, "2026-01", 100, rng)
    _report(county, towns[0], "2026-02", 110, rng)  # only one of four has reported February
    points = charts.period_sums(county, FORM, "vol_registered", stock=True)
    assert points == [("2026-01", 400.0, None), ("2026-02", 110.0, "1/4 个单位")]
    fig = charts.volunteers_figure(charts.volunteer_series(county))
    ax = fig.axes[0]
    assert "1/4 个单位" in [t.get_text() for t in ax.texts]
    hollow = [ln for ln in ax.get_lines() if ln.get_markerfacecolor() == "white"]
    assert hollow and list(hollow[0].get_xdata()) == [1]
    # A flow is not marked: fewer reports are a smaller sum.
    assert all(n is None for _, _, n in charts.period_sums(county, FORM, "activities"))
