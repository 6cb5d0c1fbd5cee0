"""The four built-in forms: structure, translations, checks, skip logic and sample answers."""

from __future__ import annotations

import importlib.util
import random
import re
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path

import openpyxl
import pytest
from pyxform import xls2xform

from forms import builtin_form_paths, load_builtin
from forms.builtin.samples import sample_answers
from forms.engine import evaluate
from forms.model import AGGREGATIONS

REPO = Path(__file__).resolve().parents[2]
BUILTIN = REPO / "forms" / "builtin"
FORM_IDS = ("kexie_survey", "kexie_volunteer_monthly", "kexie_venue_monthly", "kexie_org_annual")
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
UNITS = ("520102", "520102001000", "520100", "520000")  # county, township, city, province

# Functions a built-in form may use: the tier-1 list of reference/features.md §6.2.
TIER1 = {
    "if", "selected", "count-selected", "selected-at", "jr:choice-name", "concat", "coalesce",
    "regex", "contains", "starts-with", "ends-with", "substr", "string-length", "normalize-space",
    "string", "number", "int", "round", "floor", "ceiling", "abs", "pow", "today", "now",
    "decimal-date-time", "date", "format-date", "format-date-time", "true", "false", "boolean",
    "boolean-from-string", "once", "uuid", "position", "count", "sum", "max", "min", "join",
    "not", "and", "or", "div", "mod",
}  # fmt: skip


def _build_script():
    spec = importlib.util.spec_from_file_location(
        "build_builtin_forms", REPO / "scripts" / "build_builtin_forms.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _sheet(form_id: str, name: str) -> list[dict[str, str]]:
    wb = openpyxl.load_workbook(BUILTIN / f"{form_id}.xlsx", read_only=True)
    rows = [
        [("" if v is None else str(v)) for v in r] for r in wb[name].iter_rows(values_only=True)
    ]
    wb.close()
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


def _periods(form_id: str) -> list[str | None]:
    return {"kexie_survey": [None], "kexie_org_annual": ["2023", "2024", "2025"]}.get(
        form_id, MONTHS
    )


def _base(form_id: str, **changes: object) -> dict:
    """A clean sample (no warnings, consent given, established) with ``changes`` applied."""
    for seed in range(1000):
        answers, explanations = sample_answers(
            form_id, random.Random(seed), unit_code="520102", period=_periods(form_id)[-1]
        )
        if explanations or answers.get("consent") == "no" or answers.get("established") == "no":
            continue
        if form_id == "kexie_venue_monthly" and answers["venue_type"] != "museum":
            continue
        answers.update(changes)
        return answers
    raise AssertionError("no clean sample found")


def _state(form_id: str, answers: dict, name: str):
    return evaluate(load_builtin(form_id), answers).fields[name]


# --- the workbooks ------------------------------------------------------------------------------


def test_committed_workbooks_are_what_the_script_builds():
    script = _build_script()
    for make in script.FORMS:
        spec = make()
        built = script.build_workbook(spec)
        assert built == script.build_workbook(make()), "output must be deterministic"
        assert (BUILTIN / f"{spec.form_id}.xlsx").read_bytes() == built, (
            f"{spec.form_id}.xlsx is stale: run python scripts/build_builtin_forms.py"
        )


def test_builtin_form_ids():
    assert set(FORM_IDS) <= set(builtin_form_paths())
    for form_id in FORM_IDS:
        assert load_builtin(form_id).form_id == form_id


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_pyxform_converts_without_warnings(form_id):
    result = xls2xform.convert(xlsform=str(BUILTIN / f"{form_id}.xlsx"))
    assert "<h:title>" in result.xform
    assert result.warnings == []


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_loads_cleanly_with_expected_settings(form_id):
    form = load_builtin(form_id)
    assert form.warnings == []
    assert form.version == "2026.1"
    assert form.default_language == "zh_CN"
    assert set(form.languages) == {"zh_CN", "en"}
    settings = _sheet(form_id, "settings")[0]
    assert form.title("zh_CN") == settings["form_title"]
    assert form.title("en") == settings["kexie::title::English (en)"] != settings["form_title"]
    expected = {
        "kexie_survey": ("survey", None, []),
        "kexie_volunteer_monthly": ("report", "month", []),
        "kexie_venue_monthly": ("report", "month", ["venue_name"]),
        "kexie_org_annual": ("report", "year", []),
    }[form_id]
    assert (form.kind, form.period_type, form.report_key) == expected


def test_survey_size_and_groups():
    form = load_builtin("kexie_survey")
    stored = [q for q in form.walk() if q.stores_value]
    assert 70 <= len(stored) <= 95
    groups = [q.name for q in form.walk() if q.is_group]
    assert groups[:2] == ["interview", "basic"]
    # everything after the interview block is asked only with consent
    for name in ("basic", "work", "association", "hopes", "followup"):
        assert form.question(name).relevant == "${consent} = 'yes'"


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_text_is_in_chinese_and_english(form_id):
    for i, row in enumerate(_sheet(form_id, "survey"), start=2):
        where = f"{form_id} survey row {i} ({row['name']})"
        if row["type"] not in ("end_group", "calculate", "start", "end", "today"):
            assert row["label::中文 (zh)"] and row["label::English (en)"], where
        for base in ("hint", "kexie::unit"):
            assert bool(row[f"{base}::中文 (zh)"]) == bool(row[f"{base}::English (en)"]), where
        if row["constraint"]:
            assert (
                row["constraint_message::中文 (zh)"] and row["constraint_message::English (en)"]
            ), where
        for text in (row["label::中文 (zh)"], row["constraint_message::中文 (zh)"]):
            assert not re.search(r"[A-Za-z]{4,}", text.replace("${", "").replace("e站", "")), where
    for row in _sheet(form_id, "choices"):
        assert row["label::中文 (zh)"] and row["label::English (en)"], row


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_kexie_columns_are_valid(form_id):
    form = load_builtin(form_id)
    numeric = {q.name for q in form.walk() if q.type in ("integer", "decimal")}
    for q in form.walk():
        assert q.aggregate in (None, "", *AGGREGATIONS), q.name
        assert q.severity in ("error", "warning"), q.name
        if q.of:
            assert q.type in ("integer", "decimal") and q.of in numeric, q.name
            assert form.question(q.of).aggregate == q.aggregate or q.aggregate == "sum", q.name
            assert q.label("zh_CN").startswith("其中："), q.name
        if q.severity == "warning":
            assert q.constraint and q.read_only, f"warnings sit on derived read-only rows: {q.name}"
        if form.kind == "report" and q.type in ("integer", "decimal"):
            assert q.aggregate in AGGREGATIONS, q.name
            assert q.unit("zh_CN") or q.aggregate == "none", q.name
    sensitive = {q.name for q in form.walk() if q.sensitive}
    assert sensitive == ({"contact_name", "contact_mobile"} if form_id == "kexie_survey" else set())


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_expressions_use_tier1_functions_only(form_id):
    used: set[str] = set()
    for row in _sheet(form_id, "survey"):
        for column in ("relevant", "constraint", "calculation", "required", "choice_filter"):
            used |= set(re.findall(r"([A-Za-z][\w:-]*)\s*\(", row.get(column, "")))
    used |= set(
        re.findall(r"([A-Za-z][\w:-]*)\s*\(", _sheet(form_id, "settings")[0]["instance_name"])
    )
    assert used <= TIER1, used - TIER1


def test_stocks_and_flows():
    vol = load_builtin("kexie_volunteer_monthly")
    assert vol.question("vol_registered").aggregate == "last"
    assert vol.question("vol_orgs").aggregate == "last"
    assert vol.question("vol_new").aggregate == "sum"
    for flow in ("activities", "people_served", "service_hours"):
        assert vol.question(flow).aggregate == "sum"
    assert vol.question("hours_per_active").aggregate == "none"
    venue = load_builtin("kexie_venue_monthly")
    assert venue.question("visitors").aggregate == "sum"
    assert venue.question("venue_name").aggregate == "none"
    org = load_builtin("kexie_org_annual")
    assert org.question("members").aggregate == "last"
    assert org.question("funds").aggregate == "sum"


# --- the samples ----------------------------------------------------------------------------------


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_samples_pass_every_error_check(form_id):
    form = load_builtin(form_id)
    records = warned = 0
    fields_warned: Counter[str] = Counter()
    for seed in range(200):
        rng = random.Random(seed)
        previous = None
        for period in _periods(form_id):
            answers, explanations = sample_answers(
                form_id, rng, unit_code=UNITS[seed % 4], period=period, previous=previous
            )
            result = evaluate(form, answers, previous=previous)  # 与上期比较 included
            assert result.errors == [], (seed, period, [str(p) for p in result.errors])
            warnings = {p.location.field for p in result.warnings}
            assert warnings == set(explanations), (seed, period, warnings, explanations)
            for text in explanations.values():
                assert re.search(r"[\u4e00-\u9fff]", text)
            records += 1
            warned += bool(warnings)
            fields_warned.update(warnings)
            previous = dict(result.values)
    assert 0.02 <= warned / records <= 0.08, warned / records
    assert len(fields_warned) >= (1 if form_id in ("kexie_survey", "kexie_org_annual") else 2)


def test_samples_are_deterministic_and_realistic():
    first = sample_answers("kexie_survey", random.Random(7), unit_code="520102", period=None)
    assert first == sample_answers(
        "kexie_survey", random.Random(7), unit_code="520102", period=None
    )
    people = [
        sample_answers("kexie_survey", random.Random(s), unit_code="520102", period=None)[0]
        for s in range(400)
    ]
    consented = [p for p in people if p["consent"] == "yes"]
    assert 0.9 < len(consented) / len(people) < 1
    assert all(1960 <= p["birth_year"] <= 2000 for p in consented)
    assert 0.45 < sum(p["sex"] == "male" for p in consented) / len(consented) < 0.7
    assert len({p["employer_type"] for p in consented}) == 8
    assert len({p["title"] for p in consented}) == 5
    for p in consented:
        if p["employer_type"] == "enterprise":
            assert p["ent_ownership"] and p["ent_size"]
        if p["followup_ok"] == "yes":
            assert re.fullmatch(r"1[3-9]\d{9}", p["contact_mobile"])
            assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", p["contact_name"])
        else:
            assert p.get("contact_name") is None and p.get("contact_mobile") is None
    names = [
        k
        for p in people
        for k, v in p.items()
        if isinstance(v, str) and re.fullmatch(r"[\u4e00-\u9fff]{2,3}", v)
    ]
    assert set(names) <= {"contact_name", "site_name", "employer_other"}


def test_monthly_stocks_evolve_and_flows_follow_the_season():
    rng = random.Random(11)
    previous = None
    registered, active = [], []
    for period in MONTHS:
        answers, _ = sample_answers(
            "kexie_volunteer_monthly", rng, unit_code="520102", period=period, previous=previous
        )
        registered.append(answers["vol_registered"])
        active.append(answers["vol_active"])
        previous = answers
    changes = [b / a - 1 for a, b in pairwise(registered)]
    assert all(-0.01 < c < 0.05 for c in changes) or max(changes) > 0.3  # slow growth or one drive
    assert registered[-1] > registered[0]
    assert active[8] > active[1]  # 全国科普日 (September) busier than Spring Festival (February)


def test_unknown_form_has_no_samples():
    with pytest.raises(KeyError):
        sample_answers("nope", random.Random(1), unit_code="520102", period=None)


# --- checks and skip logic ------------------------------------------------------------------------


def test_of_item_above_total_is_an_error():
    base = _base("kexie_volunteer_monthly")
    state = _state(
        "kexie_volunteer_monthly", {**base, "vol_female": base["vol_registered"] + 1}, "vol_female"
    )
    assert (state.valid, state.severity) == (False, "error")
    state = _state(
        "kexie_volunteer_monthly", {**base, "vol_active": base["vol_registered"] + 1}, "vol_active"
    )
    assert (state.valid, state.severity) == (False, "error")
    assert _state("kexie_volunteer_monthly", {**base, "vol_new": -1}, "vol_new").severity == "error"


def test_implausible_jump_is_a_warning_not_an_error():
    base = _base("kexie_volunteer_monthly")
    jump = {**base, "vol_registered": 1000, "vol_new": 400, "vol_female": 400, "vol_young": 400,
            "vol_retired": 50, "vol_active": 300}  # fmt: skip
    result = evaluate(load_builtin("kexie_volunteer_monthly"), jump)
    assert result.errors == []
    assert [p.location.field for p in result.warnings] == ["new_share"]
    assert result.fields["new_share"].value == pytest.approx(40.0)
    hours = {**base, "vol_active": 10, "service_hours": 2500.0}
    assert _state("kexie_volunteer_monthly", hours, "hours_per_active").severity == "warning"
    assert _state("kexie_volunteer_monthly", {**base, "vol_active": 0, "service_hours": 5.0},
                  "service_hours").severity == "error"  # fmt: skip


def test_venue_type_drives_the_questions():
    base = _base("kexie_venue_monthly")
    museum = evaluate(load_builtin("kexie_venue_monthly"), base).fields
    assert museum["open_days"].relevant and not museum["caravan_trips"].relevant
    caravan = {**base, "venue_type": "caravan", "caravan_trips": 4, "caravan_km": 520.0}
    fields = evaluate(load_builtin("kexie_venue_monthly"), caravan).fields
    assert not fields["open_days"].relevant and fields["caravan_trips"].relevant
    assert fields["km_per_trip"].value == pytest.approx(130.0)
    assert _state("kexie_venue_monthly", {**base, "open_days": 32}, "open_days").severity == "error"
    closed = {**base, "open_days": 0}
    assert _state("kexie_venue_monthly", closed, "visitors").severity == "error"
    minors = {**base, "visitors_minor": base["visitors"] + 1}
    assert _state("kexie_venue_monthly", minors, "visitors_minor").severity == "error"
    far = {**caravan, "caravan_trips": 1, "caravan_km": 2000.0}
    assert _state("kexie_venue_monthly", far, "km_per_trip").severity == "warning"
    crowd = {**base, "open_days": 1, "visitors": 30000, "visitors_minor": 0, "visitors_school": 0}
    assert _state("kexie_venue_monthly", crowd, "visitors_per_day").severity == "warning"


def test_org_report_skip_logic_and_four_lacks():
    form = load_builtin("kexie_org_annual")
    base = _base("kexie_org_annual")
    not_yet = evaluate(form, {**base, "established": "no"}).fields
    assert not not_yet["members"].relevant and not not_yet["four_lacks"].relevant
    assert not_yet["estations"].relevant
    assert (
        _state("kexie_org_annual", {**base, "four_lacks": "none no_staff"}, "four_lacks").severity
        == "error"
    )
    staffed = {**base, "staff_fulltime": 2, "staff_parttime": 1, "posts": 3, "funds": 10.0,
               "funds_kepu": 2.0, "office_area": 50.0}  # fmt: skip
    assert _state("kexie_org_annual", {**staffed, "four_lacks": "none"}, "lacks_count").valid
    wrong = _state("kexie_org_annual", {**staffed, "four_lacks": "no_staff"}, "lacks_count")
    assert (wrong.valid, wrong.severity) == (False, "warning")
    empty = {**staffed, "staff_fulltime": 0, "staff_parttime": 0, "posts": 0}
    assert (
        _state("kexie_org_annual", {**empty, "four_lacks": "none"}, "lacks_count").severity
        == "warning"
    )
    assert _state(
        "kexie_org_annual", {**empty, "four_lacks": "no_posts no_staff"}, "lacks_count"
    ).valid
    assert evaluate(form, staffed).values["sanzhang_total"] == (
        staffed["sz_hospital"] + staffed["sz_school"] + staffed["sz_agri"]
    )
    assert (
        _state("kexie_org_annual", {**staffed, "funds_kepu": 11.0}, "funds_kepu").severity
        == "error"
    )


def test_survey_consent_gates_the_interview():
    form = load_builtin("kexie_survey")
    refused = evaluate(form, {**_base("kexie_survey"), "consent": "no", "refusal_reason": "busy"})
    assert refused.errors == []
    assert not refused.fields["sex"].relevant and not refused.fields["contact_mobile"].relevant
    missing = evaluate(form, {"consent": "no"})
    assert "refusal_reason" in {p.location.field for p in missing.errors}


def test_survey_follow_ups_depend_on_employer():
    form = load_builtin("kexie_survey")
    base = _base("kexie_survey", employer_type="enterprise", ent_ownership=None, ent_size=None)
    fields = evaluate(form, base).fields
    assert (
        fields["ent_size"].relevant and fields["ent_size"].required and not fields["ent_size"].valid
    )
    assert not fields["uni_type"].relevant and not fields["teaching_hours"].relevant
    fields = evaluate(form, {**base, "employer_type": "university"}).fields
    assert fields["teaching_hours"].relevant and not fields["ent_size"].relevant


def test_survey_checks():
    form = load_builtin("kexie_survey")
    base = _base("kexie_survey")
    assert evaluate(form, base).errors == []
    values = evaluate(form, {**base, "birth_year": 1985}).values
    assert values["age"] == pytest.approx(float(__import__("datetime").date.today().year - 1985))

    def severity(**changes):
        state = evaluate(form, {**base, **changes}).fields
        return {name: state[name].severity for name in changes if not state[name].valid}

    timed = {**base, "start": "2026-10-01T09:00:00+08:00", "end": "2026-10-01T09:31:30+08:00"}
    assert evaluate(form, timed).values["duration_min"] == pytest.approx(31.5)
    assert severity(birth_year=1930) == {"birth_year": "error"}
    assert severity(birth_year=1990, work_years=40) == {"work_years": "error"}
    assert severity(concerns="income title housing health") == {"concerns": "error"}
    assert severity(concerns="income other", concerns_other=None) == {"concerns_other": "error"}
    assert severity(followup_ok="yes", contact_name="王芳", contact_mobile="12345678901") == {
        "contact_mobile": "error"
    }
    assert severity(followup_ok="yes", contact_name="王芳", contact_mobile="13912345678") == {}
    assert severity(share_research=50, share_teaching=30, share_admin=10, share_other=0) == {
        "share_other": "error"
    }
    assert severity(kexie_services="none academic") == {"kexie_services": "error"}
    long_week = evaluate(form, {**base, "work_days": 7, "daily_hours": 12.0}).fields["weekly_hours"]
    assert (long_week.value, long_week.valid, long_week.severity) == (84.0, False, "warning")
