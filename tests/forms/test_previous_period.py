"""Period-over-period plausibility (与上期比较): kexie:previous(), the kexie::previous column,
the store's lookup and the built-in forms' warnings."""

from __future__ import annotations

import pytest
from forms_helpers import form, xlsx

from forms import check_form, load_builtin
from forms.engine import FormEngine, evaluate
from forms.expr import compile_expression

VOLUNTEER = "kexie_volunteer_monthly"


def _volunteer(**changes):
    answers = {
        "vol_registered": 1000,
        "vol_new": 20,
        "vol_female": 400,
        "vol_young": 400,
        "vol_retired": 80,
        "vol_active": 200,
        "vol_orgs": 10,
        "activities": 20,
        "activities_rural": 10,
        "activities_online": 2,
        "people_served": 2000,
        "service_hours": 800.0,
        "unit_head": "王伟",
        "filled_by": "李娜",
        "phone": "0851-85551234",
        "fill_date": "2025-06-30",
    }
    answers.update(changes)
    return answers


def _warned(result) -> dict[str, str]:
    return {p.location.field: p.message() for p in result.warnings}


def test_drop_of_more_than_half_since_last_month_is_a_warning():
    f = load_builtin(VOLUNTEER)
    last = {"vol_registered": 2400, "vol_new": 30}
    result = evaluate(f, _volunteer(vol_registered=1000, vol_new=20), previous=last)
    assert result.errors == []
    warned = _warned(result)
    assert "registered_change" in warned
    assert "注册志愿者人数较上月下降超过 50%" in warned["registered_change"]
    assert result.values["registered_change"] == pytest.approx(-58.3)
    # a fall of 40 % is plausible (no warning); without a previous report nothing is compared
    ok = evaluate(f, _volunteer(vol_registered=1440, vol_new=20), previous={"vol_registered": 2400})
    assert "registered_change" not in _warned(ok)
    alone = evaluate(f, _volunteer())
    assert alone.warnings == [] and alone.values["registered_change"] is None


def test_stock_continuity_registered_is_last_month_plus_new():
    f = load_builtin(VOLUNTEER)
    last = {"vol_registered": 1000}
    fine = evaluate(f, _volunteer(vol_registered=1018, vol_new=20), previous=last)  # 2 left
    assert fine.warnings == [] and fine.values["registered_gap"] == -2
    off = evaluate(f, _volunteer(vol_registered=1100, vol_new=20), previous=last)
    warned = _warned(off)
    assert set(warned) == {"registered_gap"} and off.values["registered_gap"] == 80
    assert "上月注册人数＋本月新增" in warned["registered_gap"]
    lost = evaluate(f, _volunteer(vol_registered=900, vol_new=20), previous=last)
    assert "registered_gap" in _warned(lost)


def test_a_nil_or_missing_previous_report_compares_nothing():
    f = load_builtin(VOLUNTEER)
    for previous in (None, {}, {"vol_registered": None}):
        result = evaluate(f, _volunteer(vol_registered=10, vol_new=1), previous=previous)
        assert result.warnings == [], previous


def test_org_annual_members_against_last_year():
    f = load_builtin("kexie_org_annual")
    assert f.question("prev_members").previous == "members"
    engine = FormEngine(f, {"established": "yes", "members": 300}, previous={"members": 900})
    state = engine.state("members_change")
    assert state.value == pytest.approx(-66.7) and state.severity == "warning"


def test_builtin_forms_stay_valid_xlsforms_elsewhere():
    """Other tools compute the row's own calculation (''), so the checks are skipped there."""
    f = load_builtin(VOLUNTEER)
    q = f.question("prev_registered")
    assert q.type == "calculate" and q.calculation == "''" and q.previous == "vol_registered"


# -- kexie:previous() and the kexie::previous column in any form ------------------------------

HEADER = [
    "type",
    "name",
    "label",
    "calculation",
    "constraint",
    "kexie::severity",
    "kexie::previous",
]


def test_previous_function_and_column():
    f = form(
        [
            HEADER,
            [
                "integer",
                "n",
                "N",
                "",
                "kexie:previous(${n}) = '' or . >= kexie:previous(${n}) * 0.5",
                "warning",
                "",
            ],
            ["calculate", "n_last", "", "", "", "", "n"],
            ["calculate", "growth", "", "${n} - ${n_last}", "", "", ""],
        ],
        settings=[["form_id", "kexie::kind", "kexie::period"], ["p", "report", "month"]],
    )
    engine = FormEngine(f, {"n": 40}, previous={"n": 100})
    assert engine.state("n_last").value == "100"
    assert engine.state("growth").value == -60
    assert not engine.state("n").valid and engine.state("n").severity == "warning"
    engine.set_answer("n", 60)
    assert engine.state("n").valid and engine.state("growth").value == -40
    assert FormEngine(f, {"n": 40}).state("n").valid  # no previous value: nothing to compare


def test_previous_lookup_follows_the_report_key():
    f = form(
        [
            HEADER,
            ["text", "venue", "V", "", "", "", ""],
            ["integer", "visits", "Visits", "", "", "", ""],
            ["calculate", "visits_last", "", "", "", "", "visits"],
        ],
        settings=[
            ["form_id", "kexie::kind", "kexie::period", "kexie::key"],
            ["v", "report", "month", "venue"],
        ],
    )
    asked = []
    data = {"科技馆": {"visits": 500}, "天文馆": {"visits": 80}}

    def lookup(key):
        asked.append(dict(key))
        return data.get(key["venue"])

    engine = FormEngine(f, {"venue": "科技馆", "visits": 1}, previous=lookup)
    assert engine.state("visits_last").value == "500"
    changed = engine.set_answer("venue", "天文馆")
    assert "visits_last" in changed and engine.state("visits_last").value == "80"
    engine.set_answer("venue", "科技馆")
    assert engine.state("visits_last").value == "500"
    assert asked == [{"venue": "科技馆"}, {"venue": "天文馆"}]  # asked once per key
    engine.set_answer("venue", "新馆")
    assert engine.state("visits_last").value is None


def test_a_failing_lookup_does_not_stop_data_entry():
    f = form(
        [HEADER, ["integer", "n", "N", "", "", "", ""], ["calculate", "m", "", "", "", "", "n"]]
    )

    def broken(key):
        raise OSError("disk gone")

    assert FormEngine(f, {"n": 1}, previous=broken).state("m").value is None


def test_previous_column_mistakes_are_located():
    result = check_form(
        xlsx(
            [
                HEADER,
                ["integer", "n", "N", "", "", "", "n"],
                ["calculate", "m", "", "", "", "", "nn"],
                ["begin repeat", "r", "R", "", "", "", ""],
                ["integer", "x", "X", "", "", "", ""],
                ["end repeat", "", "", "", "", "", ""],
                ["calculate", "y", "", "kexie:previous(${x})", "", "", ""],
            ]
        )
    )
    found = {(p.code, p.location.row, p.location.column) for p in result.errors}
    assert ("forms.load.previous_type", 2, "kexie::previous") in found
    assert ("forms.expr.unknown_ref", 3, "kexie::previous") in found
    assert ("forms.expr.previous_in_repeat", 7, "calculation") in found


def test_previous_in_a_free_standing_expression():
    from forms.expr import MapContext

    compiled = compile_expression("kexie:previous(${a}) + 1")
    assert compiled.uses_previous
    assert compiled(MapContext({"a": 3}, previous={"a": 41})) == 42


# -- the store supplies the previous period ----------------------------------------------------


@pytest.fixture
def store(tmp_path):
    from localdb import open_store

    s = open_store(tmp_path / "data")
    s.set_unit("520102000000")
    s.set_clerk("小王")
    yield s
    s.close()


def test_store_previous_values_same_unit_previous_period(store):
    assert store.previous_values(VOLUNTEER, unit="520102000000", period="2025-06") is None
    store.save(VOLUNTEER, _volunteer(vol_registered=2400, vol_new=30), period="2025-05")
    store.save(VOLUNTEER, _volunteer(vol_registered=9), period="2025-05", unit="520103000000")
    last = store.previous_values(VOLUNTEER, unit="520102000000", period="2025-06")
    assert last["vol_registered"] == 2400 and last["vol_new"] == 30
    assert store.previous_values(VOLUNTEER, unit="520102000000", period="2025-07") is None
    store.nil_report(VOLUNTEER, period="2025-06")
    assert store.previous_values(VOLUNTEER, unit="520102000000", period="2025-07") == {}


def test_finalising_needs_an_explanation_for_a_drop_since_last_month(store):
    from i18n.errors import ValidationError

    store.save(VOLUNTEER, _volunteer(vol_registered=2400, vol_new=30), period="2025-05")
    values = _volunteer(vol_registered=1000, vol_new=20)
    with pytest.raises(ValidationError) as err:
        store.save(VOLUNTEER, values, period="2025-06", status="finalised")
    assert err.value.code == "db.unexplained_warnings"
    fields = {p.location.field for p in err.value.problems}
    assert "registered_change" in fields
    explanations = dict.fromkeys(fields, "本月清理了长期未参加活动的志愿者账号。")
    uuid = store.save(
        VOLUNTEER, values, period="2025-06", status="finalised", explanations=explanations
    )
    assert store.get(VOLUNTEER, uuid)["_status"] == "finalised"
