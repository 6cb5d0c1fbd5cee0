"""Property tests (issue 10, "Done means"): for random trees of units (townships → counties →
city), random reports with gaps, nil reports, returns, corrections and deletions, and random
merge orders, every figure of every bundle equals the figure computed straight from the
records, for every aggregate type, and a unit's figure is the same in every bundle that
contains it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
import python_calamine
from bundle_fakes import FakeStore, FakeUnit
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from exports import export_bundle, import_bundle, merge_bundles

CITY = "110100000000"
MONTHS = ("2026-01", "2026-02", "2026-03")
INDICATORS = {"registered": "last", "activities": "sum", "hours": "sum", "rate": "average"}
HEAD = {"registered": "注册志愿者（人）", "activities": "活动次数", "hours": "服务时长",
        "rate": "满意率"}  # fmt: skip
# Derandomised under CI (the `ci` profile); a tenth of the profile's examples: each example
# writes and merges a dozen bundles.
EXAMPLES = max(6, settings().max_examples // 10)


class Tree:
    """City → counties → townships with the given shape (codes as the NBS builds them)."""

    def __init__(self, shape: list[int]) -> None:
        units = [FakeUnit("110000000000", "省", "province", None),
                 FakeUnit(CITY, "市", "city", "110000000000")]  # fmt: skip
        self.counties: dict[str, list[str]] = {}
        for c, n in enumerate(shape, start=1):
            county = f"1101{c:02d}000000"
            units.append(FakeUnit(county, f"{c}县", "county", CITY))
            self.counties[county] = []
            for t in range(1, n + 1):
                code = f"1101{c:02d}{t:03d}000"
                units.append(FakeUnit(code, f"{c}县{t}镇", "township", county))
                self.counties[county].append(code)
        self.by_code = {u.code: u for u in units}

    def get(self, code):
        return self.by_code.get(code)

    def path(self, code):
        chain, unit = [], self.get(code)
        while unit is not None:
            chain.append(unit)
            unit = self.get(unit.parent) if unit.parent else None
        return chain[::-1]

    def children(self, code):
        return sorted((u for u in self.by_code.values() if u.parent == code), key=lambda u: u.code)

    def county_of(self, code: str) -> str:
        return self.get(code).parent


def store(code: str, tree: Tree) -> FakeStore:
    s = FakeStore(code)
    s.units = tree
    return s


values = st.fixed_dictionaries(
    {
        "registered": st.one_of(st.none(), st.integers(0, 500)),
        "activities": st.one_of(st.none(), st.integers(0, 40)),
        "hours": st.one_of(st.none(), st.integers(0, 80).map(lambda n: n / 4)),
        "rate": st.one_of(st.none(), st.integers(0, 100).map(lambda n: n / 100)),
    }
)
report = st.one_of(
    st.none(),  # a gap: nothing reported for that month
    st.tuples(st.sampled_from(["finalised", "finalised", "returned"]), values),
    st.just(("nil", {})),
)
later = st.one_of(st.none(), st.just("delete"), values)  # what the township does afterwards


@dataclass
class Town:
    code: str
    reports: list  # per month: None | (status, values)
    later: list  # per month: None | "delete" | corrected values
    direct: bool  # the corrected bundle goes straight to the city (the county has the old one)


@st.composite
def scenario(draw):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    tree = Tree(shape)
    towns = []
    for codes in tree.counties.values():
        for code in codes:
            reps = draw(st.lists(report, min_size=len(MONTHS), max_size=len(MONTHS)))
            after = draw(st.lists(later, min_size=len(MONTHS), max_size=len(MONTHS)))
            direct = draw(st.sampled_from([False, False, False, True]))
            towns.append(Town(code, reps, after, direct))
    # a county may report for itself too (its own data joins its merge)
    own = {c: draw(st.lists(report, min_size=len(MONTHS), max_size=len(MONTHS)))
           for c in tree.counties if draw(st.booleans())}  # fmt: skip
    return tree, towns, own, draw(st.randoms(use_true_random=False))


def build(tmp, tree, towns, own, rng):
    """Township bundles (first and, after corrections/deletions, second), county and city
    merges in random orders. Returns (truth rows, {bundle path: its unit}, city paths)."""
    truth: list[dict] = []
    clock = iter(range(10_000))

    def stamp() -> str:
        n = next(clock)
        return f"2026-06-{1 + n // 1440:02d}T{n // 60 % 24:02d}:{n % 60:02d}:00Z"

    to_county: dict[str, list] = {c: [] for c in tree.counties}
    to_city: list = []
    for town in towns:
        s = store(town.code, tree)
        for month, rep in zip(MONTHS, town.reports, strict=True):
            if rep is not None:
                status, vals = rep
                s.add("t_report", dict(vals), period=month, status=status, modified=stamp())
        first = tmp / f"{town.code}-1.xlsx"
        export_bundle(s, first)
        to_county[tree.county_of(town.code)].append(first)
        changed = False
        for row in list(s.tables.get("t_report", {}).values()):
            what = town.later[MONTHS.index(row["_period"])]
            if what == "delete":
                row.update(_deleted=1, _modified=stamp())
                changed = True
            elif what is not None:
                row.update(**what, _status="finalised", _modified=stamp())
                changed = True
        if changed:
            second = tmp / f"{town.code}-2.xlsx"
            export_bundle(s, second)
            (to_city if town.direct else to_county[tree.county_of(town.code)]).append(second)
        truth += [dict(r) for r in s.tables.get("t_report", {}).values() if not r["_deleted"]]
    counties = {}
    for county, paths in to_county.items():
        rng.shuffle(paths)
        out = tmp / f"{county}.xlsx"
        mine = store(county, tree)
        for month, rep in zip(MONTHS, own.get(county, [None] * len(MONTHS)), strict=True):
            if rep is not None:
                mine.add("t_report", dict(rep[1]), period=month, status=rep[0], modified=stamp())
        truth += [dict(r) for r in mine.tables.get("t_report", {}).values()]
        summary = merge_bundles(mine, paths, out)
        assert not summary.refused, [p.message() for p in summary.refused]
        counties[out] = county
    city_inputs = list(counties) + to_city
    rng.shuffle(city_inputs)
    city = tmp / "city.xlsx"
    summary = merge_bundles(store(CITY, tree), city_inputs, city)
    assert not summary.refused, [p.message() for p in summary.refused]
    return truth, counties, city, city_inputs, summary.sha256


def group_of(tree: Tree, bundle_unit: str, unit: str) -> str:
    chain = [u.code for u in tree.path(unit)]
    i = chain.index(bundle_unit)
    return chain[i + 1] if i + 1 < len(chain) else bundle_unit


def expected(tree, bundle_unit, rows) -> dict:
    """Figures straight from the records: {(group | 合计, period | span): {indicator: v}}."""
    counted = [r for r in rows if r["_status"] not in ("nil", "returned")]
    periods = sorted({r["_period"] for r in counted})
    if not periods:
        return {}
    span = periods[0] if len(periods) == 1 else f"{periods[0]}~{periods[-1]}"
    out = {}

    def figure(items):
        fig = {}
        for name, agg in INDICATORS.items():
            if agg == "last":
                latest = {}
                for r in sorted(items, key=lambda r: r["_period"]):
                    if r.get(name) is not None:
                        latest[r["_unit"]] = r[name]
                fig[name] = sum(latest.values()) if latest else None
            else:
                vals = [r[name] for r in items if r.get(name) is not None]
                if not vals:
                    fig[name] = None
                elif agg == "sum":
                    fig[name] = math.fsum(vals)
                else:
                    fig[name] = math.fsum(vals) / len(vals)
        return fig

    groups = {}
    for r in counted:
        groups.setdefault(group_of(tree, bundle_unit, r["_unit"]), []).append(r)
    for g, items in groups.items():
        for p in periods:
            mine = [r for r in items if r["_period"] == p]
            if mine and len(periods) > 1:
                out[(g, p)] = figure(mine)
        out[(g, span)] = figure(items)
    if len(periods) > 1:
        for p in periods:
            out[("合计", p)] = figure([r for r in counted if r["_period"] == p])
    out[("合计", span)] = figure(counted)
    return out


def printed(path) -> dict:
    """The 汇总 sheet of a bundle as {(group | 合计, period): {indicator: value}}."""
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    if "汇总-测试月报" not in wb.sheet_names:
        return {}
    grid = wb.get_sheet_by_name("汇总-测试月报").to_python()
    header = grid[2]
    out = {}
    for r in grid[3:]:
        if not any(v != "" for v in r):
            continue
        key = (r[0] or r[1], r[2])
        assert key not in out, f"{key} printed twice in {path.name}"
        out[key] = {n: (None if r[header.index(h)] == "" else r[header.index(h)])
                    for n, h in HEAD.items()}  # fmt: skip
    return out


def same(a: dict, b: dict, where: str) -> None:
    assert set(a) == set(b), f"{where}: rows {sorted(set(a) ^ set(b))}"
    for key in a:
        for name in INDICATORS:
            x, y = a[key][name], b[key][name]
            assert (x is None) == (y is None), f"{where} {key} {name}: {x} != {y}"
            if x is not None:
                assert x == pytest.approx(y, rel=1e-9, abs=1e-9), f"{where} {key} {name}"


def live_rows(path) -> list[dict]:
    """The report rows a bundle carries (its own records, the truth it speaks for)."""
    from exports.reader import BundleReader

    rows = []
    reader = BundleReader(path)
    reader.scan(lambda t, row, *_: rows.append(row) if t == "t_report" else None)
    assert reader.valid, [p.message() for p in reader.findings]
    return rows


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(scenario())
def test_figures_at_every_level_equal_the_records(tmp_path_factory, monkeypatch, case):
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "0")
    tree, towns, own, rng = case
    tmp = tmp_path_factory.mktemp("tree")
    truth, counties, city, city_inputs, sha = build(tmp, tree, towns, own, rng)
    # The city's figures are those computed straight from the townships' final records.
    same(printed(city), expected(tree, CITY, truth), "city")
    assert sorted(r["_uuid"] for r in live_rows(city)) == sorted(r["_uuid"] for r in truth)
    city_fig = printed(city)
    city_span = next((p for g, p in city_fig if g == "合计" and "~" in p), None)
    city_span = city_span or next((p for g, p in city_fig if g == "合计"), None)
    seen: list = []
    for path, county in counties.items():
        mine = [r for r in truth if county in (r["_unit"], tree.county_of(r["_unit"]))]
        fig = printed(path)
        # Every county bundle's figures are those of the records it carries...
        same(fig, expected(tree, county, live_rows(path)), county)
        # ...and when it carries its townships' final records, its figures are the city's.
        stale = any(t.direct and tree.county_of(t.code) == county and any(t.later)
                    for t in towns)  # fmt: skip
        if not stale:
            same(fig, expected(tree, county, mine), county)
            own_span = next((p for g, p in fig if g == "合计" and "~" in p), None)
            for (g, p), v in fig.items():
                if g != "合计":
                    continue
                targets = {p} if p in MONTHS and len(fig) > 2 else set()
                if p == own_span or own_span is None:  # its span: the city's span
                    targets.add(city_span)
                for at in targets & {k[1] for k in city_fig if k[0] == county}:
                    seen.append((county, p))
                    same({0: v}, {0: city_fig[(county, at)]}, f"{county} {p} in the city")
    note(f"{len(truth)} records, {len(city_fig)} city figures, {len(seen)} compared up")
    event(f"county figures compared with the city's: {min(len(seen), 5)}+")
    for status in ("nil", "returned"):
        if any(r["_status"] == status for r in truth):
            event(f"has {status}")
    if any(t.direct and any(t.later) for t in towns):
        event("a corrected bundle straight to the city")
    if any("delete" in t.later for t in towns):
        event("deletions")
    if own:
        event("a county's own reports")
    # Any other merge order gives the same bundle.
    rng.shuffle(city_inputs)
    again = merge_bundles(store(CITY, tree), city_inputs, tmp / "again.xlsx")
    assert again.sha256 == sha


UID = "0f8fad5b-d9cb-469f-a165-70867728950e"
TOWN = "110101001000"
version = st.tuples(
    st.integers(0, 3),  # _modified: few distinct times, so same-time conflicts happen
    st.sampled_from(["", ".000", ".0"]),  # the same instant written differently
    st.integers(0, 2),  # content
    st.booleans(),  # a deletion
)


@settings(max_examples=EXAMPLES * 2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(st.lists(version, min_size=2, max_size=4), st.randoms(use_true_random=False))
def test_import_in_any_order_keeps_what_merge_keeps(tmp_path_factory, monkeypatch, versions, rng):
    """One record arriving in several versions (edits, same-time conflicts, deletions): the
    county that imports the bundles one by one, in any order, ends with what merging them
    gives — one rule, one outcome."""
    monkeypatch.setenv("KEXIE_MERGE_WORKERS", "0")
    tmp = tmp_path_factory.mktemp("versions")
    paths = []
    for i, (t, frac, content, deleted) in enumerate(versions):
        s = FakeStore(TOWN)
        s.add("t_survey", {"age": 20 + content}, uuid=UID,
              modified=f"2026-03-0{1 + t}T10:00:00{frac}Z")  # fmt: skip
        if deleted:
            s.tables["t_survey"][UID]["_deleted"] = 1
        paths.append(tmp / f"v{i}.xlsx")
        export_bundle(s, paths[-1])
    merged = merge_bundles(FakeStore("110101000000"), paths, tmp / "m.xlsx")
    assert not merged.refused
    if merged.counts.get("t_survey"):
        grid = python_calamine.CalamineWorkbook.from_path(str(tmp / "m.xlsx"))
        kept = int(grid.get_sheet_by_name("测试调查").to_python()[1][3])
    else:
        kept = None  # deleted
    order = list(paths)
    rng.shuffle(order)
    county = FakeStore("110101000000")
    for p in order:
        assert not import_bundle(county, p).refused
    row = county.tables["t_survey"][UID]
    assert (None if row["_deleted"] else row["age"]) == kept
