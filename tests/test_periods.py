"""Reporting periods: parsing, ordering, containment, labels."""

from __future__ import annotations

from datetime import date

import pytest

from forms import periods
from i18n.errors import UsageError

TODAY = date(2026, 11, 21)


@pytest.mark.parametrize(
    ("text", "kind"), [("2026-10", "month"), ("2026-Q3", "quarter"), ("2026", "year")]
)
def test_period_types(text, kind):
    assert periods.period_type(text) == kind


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "26", "2026/10", "", "2026-1"])
def test_bad_periods_get_a_message_with_the_fix(bad):
    with pytest.raises(UsageError) as err:
        periods.parse_period(bad)
    assert "2026-Q3" in err.value.message("en")


def test_parse_normalises_and_checks_the_type():
    assert periods.parse_period(" 2026-q3 ") == "2026-Q3"
    with pytest.raises(UsageError):
        periods.parse_period("2026", expected_type="month")


def test_previous_and_last_periods_cross_year_boundaries():
    assert periods.previous_period("2026-01") == "2025-12"
    assert periods.previous_period("2026-Q1") == "2025-Q4"
    assert periods.last_periods("month", 3, TODAY) == ["2026-09", "2026-10", "2026-11"]


def test_future_periods():
    assert periods.is_future("2026-12", TODAY)
    assert not periods.is_future("2026-11", TODAY)
    assert periods.is_future("2027-Q1", TODAY)
    assert not periods.is_future("2026-Q4", TODAY)


def test_containment():
    assert periods.contains("2026", "2026-03")
    assert periods.contains("2026-Q1", "2026-03")
    assert not periods.contains("2026-Q2", "2026-03")
    assert not periods.contains("2025", "2026-03")


def test_labels_in_both_languages():
    assert periods.label("2026-03", "zh_CN") == "2026年3月"
    assert periods.label("2026-Q3", "en") == "2026 Q3"
    assert periods.label("2026", "zh_CN") == "2026年"
