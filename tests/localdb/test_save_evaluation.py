"""A save evaluates the form once: the store takes the evaluation the caller already has."""

from __future__ import annotations

import pytest

import localdb.records
from forms.engine import FormEngine
from i18n.errors import ValidationError


@pytest.fixture
def evaluations(monkeypatch):
    """Counts the store's own evaluations."""
    calls = []
    real = localdb.records._evaluate

    def counting(form, values, previous=None):
        calls.append(form.form_id)
        return real(form, values, previous)

    monkeypatch.setattr(localdb.records, "_evaluate", counting)
    return calls


def test_the_callers_evaluation_is_used_instead_of_a_second_one(store, evaluations):
    engine = FormEngine(store.form("t_survey"), {"resp_name": "甲", "age": 30})
    ev = engine.evaluation()
    uuid = store.save("t_survey", ev.values, evaluation=ev)
    assert evaluations == []
    assert store.get("t_survey", uuid)["age"] == 30
    store.save("t_survey", ev.values, uuid=uuid, status="finalised", evaluation=ev)
    assert evaluations == []
    assert store.get("t_survey", uuid)["_status"] == "finalised"


def test_finalising_with_the_callers_evaluation_still_refuses_errors(store, evaluations):
    ev = FormEngine(store.form("t_survey"), {"age": 30}).evaluation()  # the name is required
    with pytest.raises(ValidationError) as err:
        store.save("t_survey", ev.values, status="finalised", evaluation=ev)
    assert err.value.code == "db.has_errors"
    assert evaluations == []


def test_an_evaluation_of_other_values_or_another_version_is_not_trusted(store, evaluations):
    ev = FormEngine(store.form("t_survey"), {"resp_name": "甲"}).evaluation()
    with pytest.raises(ValidationError):  # these values have no name: the store evaluates them
        store.save("t_survey", {"age": 30}, status="finalised", evaluation=ev)
    assert evaluations == ["t_survey"]
    ev.form_version = "0"  # as if made with an older version of the form
    store.save("t_survey", ev.values, evaluation=ev)
    assert evaluations == ["t_survey", "t_survey"]


def test_without_an_evaluation_the_store_evaluates_once(store, evaluations):
    store.save("t_survey", {"resp_name": "甲"})
    assert evaluations == ["t_survey"]
