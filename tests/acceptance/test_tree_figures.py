"""The whole loop on real trees of units: 南昌县 (360121) with all its townships and 安义县
(360123) with some, under 南昌市. Townships skip periods and send nil reports; the county
returns one report (corrected and re-sent, also straight to the city) and a township deletes
one. Every 汇总 figure at county and city level equals the figure computed here straight
from the townships' own bundles (sum and last indicators), a unit's figure is the same in
every bundle holding it, merge order does not change the sha256, and importing one by one
then exporting gives the merge's bundle."""

from __future__ import annotations

import itertools
import random

from kit import VOL, data_rows, manifest, ok, rollup, sets, volunteer

from localdb import open_store

CITY, NC, AY = "360100000000", "360121000000", "360123000000"
MONTHS = ["2026-07", "2026-08", "2026-09"]
IND = {"vol_registered": "last", "vol_new": "sum", "vol_female": "last", "vol_young": "last",
       "vol_retired": "last", "vol_active": "last", "vol_orgs": "last", "activities": "sum",
       "activities_rural": "sum", "activities_online": "sum", "people_served": "sum",
       "service_hours": "sum"}  # fmt: skip


def expected(rows, group) -> dict:
    """Figures straight from the records, by the documented rules."""
    counted = [r for r in rows if r["_status"] not in ("nil", "returned")]
    periods = sorted({r["_period"] for r in counted})
    span = f"{periods[0]}~{periods[-1]}" if len(periods) > 1 else periods[0]

    def fig(items):
        out = {}
        for n, agg in IND.items():
            if agg == "last":
                latest: dict = {}
                for r in sorted(items, key=lambda r: r["_period"]):
                    if r.get(n) is not None:
                        latest[r["_unit"]] = r[n]
                out[n] = sum(latest.values()) if latest else None
            else:
                vals = [r[n] for r in items if r.get(n) is not None]
                out[n] = sum(vals) if vals else None
        return out

    out = {}
    for g in sorted({group(r["_unit"]) for r in counted}):
        mine = [r for r in counted if group(r["_unit"]) == g]
        for p in periods:
            if any(r["_period"] == p for r in mine):
                out[(g, p)] = fig([r for r in mine if r["_period"] == p])
        out[(g, span)] = fig(mine)
    for p in periods:
        out[("", p)] = fig([r for r in counted if r["_period"] == p])
    out[("", span)] = fig(counted)
    return out


def same(a: dict, b: dict) -> list:
    bad = [k for k in set(a) | set(b) if k not in a or k not in b]
    for k in set(a) & set(b):
        for n in IND:
            x, y = a[k][n], b[k][n]
            if (x is None) != (y is None) or (x is not None and abs(x - y) > 1e-9):
                bad.append((k, n, x, y))
    return bad


def test_real_tree_figures_orders_and_import_versus_merge(tmp_path):
    rng = random.Random(20261201)
    nc = [u for u in ok(tmp_path / "x", "units", "360121", "--json")["units"]]
    ay = [u for u in ok(tmp_path / "x", "units", "360123", "--json")["units"]][:6]
    assert len(nc) >= 20
    towns = [u["code"] for u in nc + ay]
    bundles: dict[str, object] = {}
    for t in towns:
        d = tmp_path / t
        ok(d, "init", "--unit", t, "--clerk", "张")
        for m in MONTHS:
            r = rng.random()
            if r < 0.2:
                continue  # skips the period
            if r < 0.3:
                ok(d, "report", VOL, "--period", m, "--nil")
                continue
            reg = rng.randint(50, 500)
            ok(d, "report", VOL, "--period", m,
               *sets(volunteer(reg, new=rng.randint(0, 20), acts=rng.randint(0, 20))))  # fmt: skip
        bundles[t] = tmp_path / f"{t}-1.xlsx"
        ok(d, "export", "--out", bundles[t])
    nct = [u["code"] for u in nc]
    county = tmp_path / "nc"
    ok(county, "init", "--unit", NC, "--clerk", "县")
    for t in nct:
        ok(county, "import", bundles[t])
    # a return, corrected and re-sent; a deletion
    x = next(t for t in nct if any(r["_status"] != "nil" for r in data_rows(bundles[t])))
    px = next(r["_period"] for r in data_rows(bundles[x]) if r["_status"] != "nil")
    ok(county, "return", VOL, "--unit", x, "--period", px, "--reason", "请核实",
       "--out", tmp_path / "ret.xlsx")  # fmt: skip
    ok(tmp_path / x, "import", tmp_path / "ret.xlsx")
    ok(tmp_path / x, "report", VOL, "--period", px, "--reason", "已更正",
       *sets(volunteer(999, new=3)))  # fmt: skip
    bundles[x] = tmp_path / f"{x}-2.xlsx"
    ok(tmp_path / x, "export", "--out", bundles[x])
    z = next(t for t in reversed(nct) if t != x and data_rows(bundles[t]))
    with open_store(tmp_path / z) as store:
        row = data_rows(bundles[z])[0]
        store.delete(VOL, row["_uuid"], reason="重复")
    bundles[z] = tmp_path / f"{z}-2.xlsx"
    ok(tmp_path / z, "export", "--out", bundles[z])
    for t in (x, z):
        ok(county, "import", bundles[t])
    ok(county, "export", "--out", tmp_path / "nc-export.xlsx")
    merged = tmp_path / "nc-merge"
    ok(merged, "init", "--unit", NC)
    ok(merged, "merge", *[bundles[t] for t in reversed(nct)], "--out", tmp_path / "nc-merge.xlsx")
    assert (
        manifest(tmp_path / "nc-export.xlsx")["sha256"]
        == manifest(tmp_path / "nc-merge.xlsx")["sha256"]
    )

    truth = [r for t in towns for r in data_rows(bundles[t])]
    assert any(r["vol_registered"] == 999 for r in truth)
    names = list(IND)
    got = rollup(tmp_path / "nc-export.xlsx", "科技志愿服务月报", names)
    assert same(expected([r for r in truth if r["_unit"][:6] == NC[:6]], lambda u: u), got) == []
    ayc = tmp_path / "ay"
    ok(ayc, "init", "--unit", AY)
    ok(ayc, "merge", *[bundles[u["code"]] for u in ay], "--out", tmp_path / "ay.xlsx")
    # the city, in every order, with the corrected township also sent straight to it
    inputs = [tmp_path / "nc-export.xlsx", tmp_path / "ay.xlsx", bundles[x]]
    shas = set()
    for i, order in enumerate(itertools.permutations(inputs)):
        city = tmp_path / f"city{i}"
        ok(city, "init", "--unit", CITY)
        ok(city, "merge", *order, "--out", tmp_path / f"city{i}.xlsx")
        shas.add(manifest(tmp_path / f"city{i}.xlsx")["sha256"])
    assert len(shas) == 1
    city = rollup(tmp_path / "city0.xlsx", "科技志愿服务月报", names)
    assert same(expected(truth, lambda u: u[:6] + "000000"), city) == []
    # a county's figure is the same in its own bundle and in the city's
    own = rollup(tmp_path / "nc-export.xlsx", "科技志愿服务月报", names)
    assert all(city[(NC, p)] == v for (g, p), v in own.items() if g == "")
