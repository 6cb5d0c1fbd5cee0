"""Fixtures for the local database: small forms built from the form model, an open store.

The forms are built directly with :mod:`forms.model` so these tests do not depend on the
XLSForm loader; validation goes through the real ``forms.engine.evaluate``.
"""

from __future__ import annotations

import pytest

from forms.model import Form, Question

UNIT = "330106000000"  # 西湖区


def survey_form(version: str = "1", *, extra: list[Question] | None = None) -> Form:
    """A respondent survey: a required name, an age that warns above 100, a repeat of children."""
    children = [
        Question("resp_name", "text", required="true()", labels={"zh_CN": "姓名"}),
        Question(
            "age",
            "integer",
            constraint=". <= 100",
            severity="warning",
            constraint_messages={"zh_CN": "年龄超过100岁", "en": "over 100"},
        ),
        Question("field", "text"),
        Question(
            "kids",
            "repeat",
            children=[
                Question("kid_name", "text", parent="kids"),
                Question("kid_age", "integer", parent="kids"),
            ],
        ),
    ]
    children += extra or []
    return Form(
        form_id="t_survey", version=version, titles={"zh_CN": "测试调查"}, children=children
    )


def report_form(version: str = "1", *, key: list[str] | None = None) -> Form:
    """A monthly report with two counts; optionally keyed by a venue name."""
    children = [
        Question("venue", "text"),
        Question("visitors", "integer", required="true()"),
        Question("events", "integer"),
    ]
    return Form(
        form_id="t_report",
        version=version,
        titles={"zh_CN": "测试月报"},
        children=children,
        kind="report",
        period_type="month",
        report_key=key or [],
    )


@pytest.fixture
def store(tmp_path):
    """An open store in a temporary data folder, unit 西湖区, clerk 小王, test forms registered."""
    from localdb import open_store

    s = open_store(tmp_path / "data")
    s.set_unit(UNIT)
    s.set_clerk("小王")
    s.register_form(survey_form())
    s.register_form(report_form())
    yield s
    s.close()
