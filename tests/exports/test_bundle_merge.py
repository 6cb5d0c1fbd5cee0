"""Merging: order-free, idempotent, supersedes and reports, three levels, totals that add up."""

from __future__ import annotations

import itertools

import pytest
import python_calamine
from bundle_fakes import FakeStore, RealStore

from exports import export_bundle, import_bundle, inspect_bundle, merge_bundles
from i18n.errors import Cancelled
from kexie.tasks import TaskState

CITY, COUNTY1, COUNTY2 = "330100000000", "330102000000", "330105000000"  # 杭州市, 上城区, 拱墅区
TOWNS1 = ["330102001000", "330102003000", "330102004000"]
TOWNS2 = ["330105001000", "330105002000"]


@pytest.fixture(autouse=True)
def _merge_in_process(monkeypatch):
    """Inputs are read in this process (worker processes are tested on their own)."""
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "0")


def _town(code: str, months=(1, 2, 3), base: int = 100, **values) -> RealStore:
    s = RealStore(code)
    for m in months:
        s.add("t_report", {"registered": base + m, "female": 10, "activities": m, "hours": 1.5,
                           "rate": 0.5 + m / 10, "contact": "李", **values},
              period=f"2026-{m:02d}", modified=f"2026-{m:02d}-28T10:00:00Z")  # fmt: skip
    s.add("t_survey", {"age": 40, "note": f"来自{code}"},
          repeats={"kids": [{"kid_name": "甲", "kid_age": 1}]})  # fmt: skip
    return s


def _bundle(store: RealStore, path):
    export_bundle(store, path)
    return path


@pytest.fixture
def towns(tmp_path):
    return [
        _bundle(_town(c, base=100 * i), tmp_path / f"t{i}.xlsx") for i, c in enumerate(TOWNS1, 1)
    ]


def test_merge_is_order_free_and_idempotent(tmp_path, towns):
    county = RealStore(COUNTY1)
    shas = set()
    for n, order in enumerate(itertools.permutations(towns)):
        s = merge_bundles(county, list(order), tmp_path / f"c{n}.xlsx")
        shas.add(s.sha256)
        assert not s.refused
    assert len(shas) == 1
    twice = merge_bundles(county, towns + towns[:1], tmp_path / "twice.xlsx")
    assert twice.sha256 in shas and len(twice.skipped_same) == 1
    assert twice.counts == {"t_report": 9, "t_survey": 3}
    # Merging the merged bundle again adds nothing either.
    again = merge_bundles(county, [tmp_path / "c0.xlsx", *towns], tmp_path / "again.xlsx")
    assert again.sha256 in shas and again.counts == twice.counts
    assert any(w.code == "bundle.merge.unit_twice" for w in again.warnings)
    assert inspect_bundle(tmp_path / "c0.xlsx").valid


def test_three_levels_with_corrected_township_report(tmp_path, towns):
    county1 = RealStore(COUNTY1)
    merge_bundles(county1, towns, tmp_path / "county1.xlsx")
    county2 = RealStore(COUNTY2)
    t2 = [_bundle(_town(c, base=1000), tmp_path / f"u{i}.xlsx") for i, c in enumerate(TOWNS2)]
    merge_bundles(county2, t2, tmp_path / "county2.xlsx")
    # The first township corrects its March report and re-sends it straight to the city.
    old = inspect_bundle(towns[0])
    county_data = RealStore(TOWNS1[0])
    import_bundle(county_data, towns[0])
    march = next(r for r in county_data.tables["t_report"].values() if r["_period"] == "2026-03")
    march.update(activities=30, _modified="2026-04-02T08:00:00Z")
    resent = _bundle(county_data, tmp_path / "resent.xlsx")
    assert inspect_bundle(resent).sha256 != old.sha256
    city = RealStore(CITY)
    merged = merge_bundles(city, [tmp_path / "county1.xlsx", tmp_path / "county2.xlsx", resent],
                           tmp_path / "city.xlsx")  # fmt: skip
    assert not merged.refused
    assert merged.counts == {"t_report": 15, "t_survey": 5}
    assert [c.fields["activities"] for c in merged.superseded] == [(3, 30)]
    assert any(w.code == "bundle.merge.unit_twice" for w in merged.warnings)
    assert set(merged.contains) >= {CITY, COUNTY1, COUNTY2, *TOWNS1, *TOWNS2}
    result = inspect_bundle(tmp_path / "city.xlsx")
    assert result.valid and result.unit == CITY
    assert {s["unit"] for s in result.manifest["sources"]} == {COUNTY1, COUNTY2, TOWNS1[0]}
    # Roll-up: by county, March activities of county 1 = 3 + 3 + 3 - 3 + 30.
    grid = _sheet(tmp_path / "city.xlsx", "汇总-测试月报")
    header = grid[2]
    act = header.index("活动次数")
    reg = header.index("注册志愿者（人）")
    rows = {(r[0], r[2]): r for r in grid[3:] if r[0]}
    assert rows[(COUNTY1, "2026-03")][act] == 3 + 3 + 30
    totals = [r for r in grid[3:] if r[1] == "合计"]
    # Every 合计 equals the sum of the rows above it (per period and over the span).
    for total in totals:
        parts = [r for r in grid[3:] if r[0] and r[2] == total[2]]
        assert total[act] == sum(p[act] for p in parts)
        assert total[reg] == sum(p[reg] for p in parts)
    # Stocks are not summed over time: a county's span value is its March value.
    span = rows[(COUNTY1, "2026-01~2026-03")]
    assert span[reg] == rows[(COUNTY1, "2026-03")][reg]
    assert span[act] == sum(rows[(COUNTY1, f"2026-0{m}")][act] for m in (1, 2, 3))
    # The city bundle merges again at province level.
    province = RealStore("330000000000")
    up = merge_bundles(province, [tmp_path / "city.xlsx"], tmp_path / "province.xlsx")
    assert up.sha256 == merged.sha256 and up.counts == merged.counts


def test_completeness_shows_data_nil_and_missing(tmp_path):
    a = _town(TOWNS1[0], months=(1, 2))
    b = RealStore(TOWNS1[1])
    b.add("t_report", {}, period="2026-01", status="nil")
    county = RealStore(COUNTY1)
    merge_bundles(county, [_bundle(a, tmp_path / "a.xlsx"), _bundle(b, tmp_path / "b.xlsx")],
                  tmp_path / "c.xlsx")  # fmt: skip
    grid = _sheet(tmp_path / "c.xlsx", "上报情况")
    header = grid[2]
    state = {r[1]: dict(zip(header[3:], r[3:], strict=False)) for r in grid[3:]}
    assert state[TOWNS1[0]] == {"2026-01": "已报", "2026-02": "已报"}
    assert state[TOWNS1[1]] == {"2026-01": "空表", "2026-02": "未报"}
    assert state[TOWNS1[2]] == {"2026-01": "未报", "2026-02": "未报"}


def test_outside_bundle_refused_unless_allowed(tmp_path, towns):
    other = _bundle(_town(TOWNS2[0]), tmp_path / "other.xlsx")
    county = RealStore(COUNTY1)
    s = merge_bundles(county, [*towns, other], tmp_path / "c.xlsx")
    assert [p.code for p in s.refused] == ["bundle.import.outside"]
    assert s.counts["t_report"] == 9
    s = merge_bundles(county, [*towns, other], tmp_path / "c.xlsx", allow_outside=True)
    assert not s.refused and s.counts["t_report"] == 12
    # ...but such a bundle holds a unit outside its own: said now, refused one level up.
    assert [w.code for w in s.warnings] == ["bundle.merge.outside_kept"]
    assert not inspect_bundle(tmp_path / "c.xlsx").valid
    imp = import_bundle(county, other)
    assert imp.refused and imp.refused[0].code == "bundle.import.outside" and not county.tables


def test_same_time_different_content_is_a_conflict(tmp_path):
    a = RealStore(TOWNS1[0])
    uid = a.add("t_survey", {"age": 1}, modified="2026-03-01T00:00:00Z")
    b = RealStore(TOWNS1[0])
    b.add("t_survey", {"age": 2}, modified="2026-03-01T00:00:00Z", uuid=uid)
    county = RealStore(COUNTY1)
    pa, pb = _bundle(a, tmp_path / "a.xlsx"), _bundle(b, tmp_path / "b.xlsx")
    s1 = merge_bundles(county, [pa, pb], tmp_path / "m1.xlsx")
    s2 = merge_bundles(county, [pb, pa], tmp_path / "m2.xlsx")
    assert len(s1.conflicts) == 1 and s1.conflicts[0].fields["age"] in {(1, 2), (2, 1)}
    assert s1.sha256 == s2.sha256
    kept = int(_sheet(tmp_path / "m1.xlsx", "测试调查")[1][3])  # 年龄 of the merged winner
    # Import applies the same rule: whichever bundle comes first, it keeps merge's winner.
    for first, second in ((pa, pb), (pb, pa)):
        store = RealStore(COUNTY1)
        import_bundle(store, first)
        imp = import_bundle(store, second)
        assert len(imp.conflicts) == 1 and imp.conflicts[0].reason == "bundle.change.same_time"
        assert store.tables["t_survey"][uid]["age"] == kept


def test_import_supersedes_newer_and_keeps_ours_when_newer(tmp_path):
    town = RealStore(TOWNS1[0])
    uid = town.add("t_survey", {"age": 1}, modified="2026-03-01T00:00:00Z")
    first = _bundle(town, tmp_path / "1.xlsx")
    town.tables["t_survey"][uid].update(age=2, _modified="2026-03-02T00:00:00Z")
    second = _bundle(town, tmp_path / "2.xlsx")
    county = RealStore(COUNTY1)
    assert import_bundle(county, second).added == 1
    s = import_bundle(county, first)
    assert s.kept_newer == 1 and county.tables["t_survey"][uid]["age"] == 2
    county2 = RealStore(COUNTY1)
    import_bundle(county2, first)
    s = import_bundle(county2, second)
    assert [c.fields for c in s.superseded] == [{"_modified": ("2026-03-01T00:00:00Z",
            "2026-03-02T00:00:00Z"), "age": (1, 2)}]  # fmt: skip


def _sheet(path, name):
    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def test_worker_processes_give_the_same_bundle(tmp_path, towns, monkeypatch):
    county = RealStore(COUNTY1)
    one = merge_bundles(county, towns, tmp_path / "one.xlsx")
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "2")
    two = merge_bundles(county, towns[::-1], tmp_path / "two.xlsx")
    assert one.sha256 == two.sha256 and one.counts == two.counts
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".kexie")] == []


def test_workers_stage_in_files_and_leave_none_behind(tmp_path, towns, monkeypatch):
    """Workers stage rows in their own files: a repeated input, a broken one and a cancelled
    merge leave no staging file behind."""
    county = RealStore(COUNTY1)
    one = merge_bundles(county, towns, tmp_path / "one.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(towns[0].read_bytes()[:5000])
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "2")
    two = merge_bundles(county, [*towns, towns[0], broken], tmp_path / "two.xlsx")
    assert two.sha256 == one.sha256 and two.skipped_same == [str(towns[0])]
    assert [p.code for p in two.refused] == ["bundle.file.truncated"]
    with pytest.raises(Cancelled):
        merge_bundles(county, towns, tmp_path / "three.xlsx", task=_CancelAfter(2))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".kexie")] == []


class _CancelAfter(TaskState):
    def __init__(self, reports: int) -> None:
        super().__init__()
        self.left = reports

    def on_progress(self, fraction: float, label: str) -> None:
        self.left -= 1
        if self.left <= 0:
            self.cancel()


@pytest.mark.parametrize("after", [1, 3, 5])
def test_cancel_leaves_nothing_behind(tmp_path, towns, after):
    county = RealStore(COUNTY1)
    out = tmp_path / "out" / "c.xlsx"
    out.parent.mkdir()
    with pytest.raises(Cancelled):
        merge_bundles(county, towns, out, task=_CancelAfter(after))
    with pytest.raises(Cancelled):
        export_bundle(_town(TOWNS1[0]), out, task=_CancelAfter(after))
    assert list(out.parent.iterdir()) == []


def test_choice_labels_shown_codes_carried(tmp_path):
    town = RealStore(TOWNS1[0])
    uid = town.add("t_survey", {"sex": "f", "hobby": "read run", "age": 3})
    town.add("t_survey", {"sex": "x", "hobby": None, "age": 4})
    bundle = _bundle(town, tmp_path / "t.xlsx")
    grid = _sheet(bundle, "测试调查")
    header = grid[0]
    shown, code = header.index("性别"), header.index("性别（代码）")
    hobby = header.index("爱好")
    rows = {tuple(r[shown : code + 1]) for r in grid[1:]}
    assert rows == {("女", "f"), ("x", "x")}
    assert "阅读、跑步" in {r[hobby] for r in grid[1:]}
    county = RealStore(COUNTY1)
    merged = tmp_path / "m.xlsx"
    merge_bundles(county, [bundle], merged)  # rows copied as read
    county.add("t_survey", {"sex": "m"}, unit=COUNTY1)
    merge_bundles(county, [bundle], tmp_path / "m2.xlsx")  # plus local rows
    for path in (merged, tmp_path / "m2.xlsx"):
        grid = _sheet(path, "测试调查")
        assert {r[shown] for r in grid[1:]} >= {"女", "x"}
    assert "男" in {r[shown] for r in _sheet(tmp_path / "m2.xlsx", "测试调查")[1:]}
    imported = RealStore(COUNTY1)
    import_bundle(imported, bundle)
    assert imported.tables["t_survey"][uid]["sex"] == "f"
    assert "~sex" not in imported.tables["t_survey"][uid]


def test_merge_across_form_versions_keeps_every_column(tmp_path):
    from bundle_fakes import survey_form

    from forms.model import Question

    v2 = survey_form("2")
    v2.children.insert(0, Question("phone_model", "text", labels={"zh_CN": "手机型号"}))
    v2.reindex()
    old = FakeStore(TOWNS1[0])
    a = old.add("t_survey", {"age": 1, "note": "旧版"})
    new = FakeStore(TOWNS1[1], forms=[v2])
    new._forms["t_report"] = FakeStore(TOWNS1[1])._forms["t_report"]
    b = new.add("t_survey", {"age": 2, "phone_model": "华为"})
    county = FakeStore(COUNTY1)
    county._forms["t_survey"] = {"1": survey_form("1"), "2": v2}
    paths = [_bundle(old, tmp_path / "a.xlsx"), _bundle(new, tmp_path / "b.xlsx")]
    s = merge_bundles(county, paths, tmp_path / "m.xlsx")
    assert not s.refused and s.counts["t_survey"] == 2
    result = inspect_bundle(tmp_path / "m.xlsx")
    assert result.valid
    assert result.manifest["forms"]["t_survey"]["versions"] == ["1", "2"]
    grid = _sheet(tmp_path / "m.xlsx", "测试调查")
    col = grid[0].index("手机型号")
    uuid_col = len(grid[0]) - 1
    by_uuid = {r[uuid_col]: r for r in grid[1:]}
    assert by_uuid[b][col] == "华为" and by_uuid[a][col] == ""
    imported = FakeStore(COUNTY1)
    imported._forms["t_survey"] = {"1": survey_form("1"), "2": v2}
    import_bundle(imported, tmp_path / "m.xlsx")
    assert imported.tables["t_survey"][b]["phone_model"] == "华为"
    assert imported.tables["t_survey"][a]["_form_version"] == "1"


def test_explanations_travel_and_read_as_labels(tmp_path):
    town = RealStore(TOWNS1[0])
    uid = town.add("t_report", {"activities": 90}, period="2026-01",
                   explanations={"activities": "本月举办科技周，活动偏多"})  # fmt: skip
    town.tables["t_report"][uid]["_explanations"] = '{"activities": "本月举办科技周，活动偏多"}'
    bundle = _bundle(town, tmp_path / "t.xlsx")
    grid = _sheet(bundle, "测试月报")
    shown = grid[0].index("审核说明")
    assert grid[1][shown] == "活动次数：本月举办科技周，活动偏多"
    county = RealStore(COUNTY1)
    merge_bundles(county, [bundle], tmp_path / "c.xlsx")
    assert _sheet(tmp_path / "c.xlsx", "测试月报")[1][shown] == "活动次数：本月举办科技周，活动偏多"
    import_bundle(county, bundle)
    assert (
        county.tables["t_report"][uid]["_explanations"]
        == '{"activities": "本月举办科技周，活动偏多"}'
    )


def test_deleted_newer_report_does_not_hide_the_live_one(tmp_path):
    town = RealStore(TOWNS1[0])
    # the deleted version first: a store holds one live report per unit and period
    gone = town.add(
        "t_report", {"activities": 2}, period="2026-01", modified="2026-02-02T00:00:00Z"
    )
    town.tables["t_report"][gone].update(_deleted=1, _modified="2026-02-03T00:00:00Z")
    live = town.add(
        "t_report", {"activities": 1}, period="2026-01", modified="2026-02-01T00:00:00Z"
    )
    other = RealStore(TOWNS1[0])  # still holds the version before the deletion
    other.add("t_report", {"activities": 2}, period="2026-01", modified="2026-02-02T00:00:00Z",
              uuid=gone)  # fmt: skip
    county = RealStore(COUNTY1)
    s = merge_bundles(county, [_bundle(town, tmp_path / "a.xlsx"), _bundle(other, tmp_path / "b.xlsx")],
                      tmp_path / "m.xlsx")  # fmt: skip
    assert s.counts["t_report"] == 1
    grid = _sheet(tmp_path / "m.xlsx", "测试月报")
    assert grid[1][-1] == live
