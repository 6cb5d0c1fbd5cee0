"""Whose record is it: one reconciliation rule for import and merge, and the rows a bundle may
carry (units inside its own, canonical uuids, sane clocks, periods of the form's type, one
report per identity). Issue 10, "Whose record is it"."""

from __future__ import annotations

import pytest
import python_calamine
from bundle_fakes import FakeStore, RealStore, annual_form, report_form, survey_form

from exports import export_bundle, import_bundle, inspect_bundle, merge_bundles

CITY, COUNTY1, COUNTY2 = "330100000000", "330102000000", "330105000000"  # 杭州市, 上城区, 拱墅区
T1, T2 = "330102001000", "330105001000"
UID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.fixture(autouse=True)
def _merge_in_process(monkeypatch):
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "0")


def _bundle(store, path):
    export_bundle(store, path)
    return path


def _sheet(path, name):
    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def _codes(problems):
    return sorted({p.code for p in problems})


# -- one rule ---------------------------------------------------------------------------------
def test_uuid_from_another_unit_is_a_conflict_never_a_supersede(tmp_path):
    """County 2's bundle carries a (newer) record under county 1's uuid: the city keeps county
    1's record, on import and on merge, and names both units."""
    a = RealStore(T1)
    a.add("t_survey", {"age": 30}, uuid=UID, modified="2026-03-01T00:00:00Z")
    b = RealStore(T2)
    b.add("t_survey", {"age": 99}, uuid=UID, modified="2026-05-01T00:00:00Z")
    pa, pb = _bundle(a, tmp_path / "a.xlsx"), _bundle(b, tmp_path / "b.xlsx")
    city = RealStore(CITY)
    assert import_bundle(city, pa).added == 1
    s = import_bundle(city, pb)
    assert not s.superseded and len(s.conflicts) == 1
    c = s.conflicts[0]
    assert c.reason == "bundle.change.other_unit" and c.fields["_unit"] == (T1, T2)
    assert city.tables["t_survey"][UID]["age"] == 30 and city.tables["t_survey"][UID]["_unit"] == T1
    for order in ([pa, pb], [pb, pa]):
        m = merge_bundles(RealStore(CITY), order, tmp_path / "m.xlsx")
        assert not m.superseded and [c.reason for c in m.conflicts] == ["bundle.change.other_unit"]
        assert set(m.conflicts[0].fields["_unit"]) == {T1, T2}
        grid = _sheet(tmp_path / "m.xlsx", "测试调查")
        assert len(grid) == 2 and grid[1][0] == T1 and int(grid[1][3]) == 30


def test_a_deletion_from_another_unit_deletes_nothing(tmp_path):
    a = RealStore(T1)
    a.add("t_survey", {"age": 30}, uuid=UID, modified="2026-03-01T00:00:00Z")
    b = RealStore(T2)
    b.add("t_survey", {"age": 30}, uuid=UID, modified="2026-03-01T00:00:00Z", unit=T2)
    b.tables["t_survey"][UID].update(_deleted=1, _modified="2026-06-01T00:00:00Z")
    pa, pb = _bundle(a, tmp_path / "a.xlsx"), _bundle(b, tmp_path / "b.xlsx")
    city = RealStore(CITY)
    import_bundle(city, pa)
    s = import_bundle(city, pb)
    assert s.deleted == 0 and [c.reason for c in s.conflicts] == ["bundle.change.other_unit"]
    assert not city.tables["t_survey"][UID]["_deleted"]
    m = merge_bundles(RealStore(CITY), [pb, pa], tmp_path / "m.xlsx")
    assert m.counts["t_survey"] == 1


def test_import_and_merge_pick_the_same_report_on_a_same_time_conflict(tmp_path):
    """Two reports of one unit × period (different uuids), modified at the same instant written
    two ways: import (either order) keeps exactly what merge keeps."""
    a, b = RealStore(T1), RealStore(T1)
    a.add("t_report", {"activities": 1}, period="2026-01", modified="2026-02-01T00:00:00Z")
    b.add("t_report", {"activities": 2}, period="2026-01", modified="2026-02-01T00:00:00.000Z")
    pa, pb = _bundle(a, tmp_path / "a.xlsx"), _bundle(b, tmp_path / "b.xlsx")
    m = merge_bundles(RealStore(COUNTY1), [pa, pb], tmp_path / "m.xlsx")
    assert [c.reason for c in m.conflicts] == ["bundle.change.same_report"]
    kept = _sheet(tmp_path / "m.xlsx", "测试月报")[1][-1]
    for first, second in ((pa, pb), (pb, pa)):
        store = RealStore(COUNTY1)
        import_bundle(store, first)
        s = import_bundle(store, second)
        assert [c.reason for c in s.conflicts] == ["bundle.change.same_report"]
        live = [u for u, r in store.tables["t_report"].items() if not r["_deleted"]]
        assert live == [kept]


def test_times_compare_as_instants_not_as_text(tmp_path):
    """``10:00:00.500Z`` is later than ``10:00:00Z`` although it sorts lower as text."""
    a, b = RealStore(T1), RealStore(T1)
    a.add("t_survey", {"age": 1}, uuid=UID, modified="2026-03-01T10:00:00Z")
    b.add("t_survey", {"age": 2}, uuid=UID, modified="2026-03-01T10:00:00.500Z")
    pa, pb = _bundle(a, tmp_path / "a.xlsx"), _bundle(b, tmp_path / "b.xlsx")
    store = RealStore(COUNTY1)
    import_bundle(store, pa)
    s = import_bundle(store, pb)
    assert len(s.superseded) == 1 and store.tables["t_survey"][UID]["age"] == 2
    m = merge_bundles(RealStore(COUNTY1), [pa, pb], tmp_path / "m.xlsx")
    assert len(m.superseded) == 1 and int(_sheet(tmp_path / "m.xlsx", "测试调查")[1][3]) == 2


# -- what a bundle may carry ------------------------------------------------------------------
def _refused_everywhere(path, tmp_path, code, receiver=COUNTY1):
    """Invalid for inspect, refused by import (nothing written) and by merge."""
    ins = inspect_bundle(path)
    assert not ins.valid and code in _codes(ins.findings), _codes(ins.findings)
    store = RealStore(receiver)
    s = import_bundle(store, path)
    assert code in _codes(s.refused) and not store.tables
    m = merge_bundles(RealStore(receiver), [path], tmp_path / "out.xlsx")
    assert code in _codes(m.refused)
    return [p for p in ins.findings if p.code == code]


def test_row_of_another_unit_is_refused_naming_the_row(tmp_path):
    """A township's bundle with a row of a township in another county (the bundle's
    ``contains`` lists it, too): refused, naming the row and the contains entry."""
    t = RealStore(T1)
    t.add("t_survey", {"age": 1})
    t.add("t_survey", {"age": 2}, unit=T2)
    found = _refused_everywhere(
        _bundle(t, tmp_path / "t.xlsx"), tmp_path, "bundle.check.unit_outside", CITY
    )
    rows = {(p.location.sheet, p.location.row, p.params["unit"]) for p in found}
    assert ("测试调查", 3, T2) in rows and ("_manifest", None, T2) in rows


def test_sibling_county_inside_a_county_bundle_is_refused(tmp_path):
    """County 1's bundle whose contains lists county 2: refused (even by the city, for whom
    both are inside)."""
    t = RealStore(COUNTY1)
    t.add("t_report", {"activities": 1}, period="2026-01", unit=COUNTY2)
    _refused_everywhere(
        _bundle(t, tmp_path / "c.xlsx"), tmp_path, "bundle.check.unit_outside", CITY
    )


@pytest.mark.parametrize("column", ["_created", "_modified"])
def test_timestamps_from_the_future_are_refused(tmp_path, column):
    t = FakeStore(T1)
    uid = t.add("t_survey", {"age": 1})
    t.tables["t_survey"][uid][column] = "2099-01-01T00:00:00Z"
    found = _refused_everywhere(
        _bundle(t, tmp_path / "t.xlsx"), tmp_path, "bundle.check.future_time"
    )
    assert [(p.location.row, p.location.field) for p in found] == [(2, column)]


def test_a_bundle_created_in_the_future_is_refused(tmp_path, monkeypatch):
    import exports.content as content

    real = content.datetime

    class Late(real):
        @classmethod
        def now(cls, tz=None):
            return real(2099, 1, 1, tzinfo=tz)

    t = RealStore(T1)
    t.add("t_survey", {"age": 1})
    monkeypatch.setattr(content, "datetime", Late)
    path = _bundle(t, tmp_path / "t.xlsx")
    monkeypatch.setattr(content, "datetime", real)
    _refused_everywhere(path, tmp_path, "bundle.check.future_time")


def test_a_clock_a_few_hours_ahead_is_accepted(tmp_path):
    from datetime import UTC, datetime, timedelta

    t = RealStore(T1)
    uid = t.add("t_survey", {"age": 1})
    soon = (datetime.now(UTC) + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    t.tables["t_survey"][uid]["_modified"] = soon
    assert inspect_bundle(_bundle(t, tmp_path / "t.xlsx")).valid


def test_two_live_reports_with_one_identity_make_the_bundle_invalid(tmp_path):
    t = FakeStore(T1)
    t.add("t_report", {"activities": 1}, period="2026-01")
    t.add("t_report", {"activities": 2}, period="2026-01", modified="2026-01-06T00:00:00Z")
    t.add("t_report", {"activities": 3}, period="2026-02")
    found = _refused_everywhere(
        _bundle(t, tmp_path / "t.xlsx"), tmp_path, "bundle.check.duplicate_report"
    )
    assert [(p.location.row, p.params["first"]) for p in found] == [(3, 2)]


def test_a_deleted_report_beside_its_replacement_is_fine(tmp_path):
    t = RealStore(T1)
    gone = t.add("t_report", {"activities": 1}, period="2026-01")
    t.tables["t_report"][gone].update(_deleted=1, _modified="2026-01-06T00:00:00Z")
    t.add("t_report", {"activities": 2}, period="2026-01", modified="2026-01-07T00:00:00Z")
    assert inspect_bundle(_bundle(t, tmp_path / "t.xlsx")).valid


@pytest.mark.parametrize(
    "bad",
    [UID.upper(), "{" + UID + "}", " " + UID, UID + " ", UID.replace("-", ""), "not-a-uuid"],
)
def test_malformed_uuids_are_refused_naming_the_row(tmp_path, bad):
    t = RealStore(T1)
    t.add("t_survey", {"age": 1})
    t.add("t_survey", {"age": 2}, uuid=bad)
    found = _refused_everywhere(_bundle(t, tmp_path / "t.xlsx"), tmp_path, "bundle.check.bad_uuid")
    assert [p.location.field for p in found] == ["_uuid"]


def test_uuid_variants_never_become_two_records(tmp_path):
    """A re-sent copy whose uuid differs only in case is refused, so the county never holds
    the same record twice."""
    a = RealStore(T1)
    a.add("t_survey", {"age": 1}, uuid=UID)
    b = RealStore(T1)
    b.add("t_survey", {"age": 1}, uuid=UID.upper())
    store = RealStore(COUNTY1)
    import_bundle(store, _bundle(a, tmp_path / "a.xlsx"))
    s = import_bundle(store, _bundle(b, tmp_path / "b.xlsx"))
    assert s.refused and list(store.tables["t_survey"]) == [UID]
    m = merge_bundles(
        RealStore(COUNTY1), [tmp_path / "a.xlsx", tmp_path / "b.xlsx"], tmp_path / "m.xlsx"
    )
    assert m.refused and m.counts["t_survey"] == 1


@pytest.mark.parametrize(
    ("form", "period"),
    [("t_report", "2026"), ("t_report", "2026-Q1"), ("t_annual", "2026-03")],
)
def test_a_period_of_another_type_is_refused(tmp_path, form, period):
    t = RealStore(T1, forms=[survey_form(), report_form(), annual_form()])
    t.add(form, {}, period=period)
    found = _refused_everywhere(
        _bundle(t, tmp_path / "t.xlsx"), tmp_path, "bundle.check.period_type"
    )
    assert [p.location.field for p in found] == ["_period"]


def test_a_local_unit_unknown_here_is_judged_by_its_code(tmp_path):
    """A county added a township locally (code in the local band, unknown to the city): its
    records travel up and the city takes them; a code outside stays refused."""
    local = "330102901000"  # a local unit under 上城区
    county = FakeStore(COUNTY1)
    county.add("t_report", {"activities": 4}, period="2026-01", unit=local)
    path = _bundle(county, tmp_path / "c.xlsx")
    assert inspect_bundle(path).valid
    city = FakeStore(CITY)
    s = import_bundle(city, path)
    assert not s.refused and s.added == 1
    assert not merge_bundles(FakeStore(CITY), [path], tmp_path / "m.xlsx").refused
