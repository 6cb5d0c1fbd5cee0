"""A keyed report form (科普场馆参观月报: one report per venue) through the CLI, on a real
township of 南昌县: enter two venues, correct one, show one, return one from the county."""

from __future__ import annotations

from kit import VENUE, kexie, ok, sets, venue

COUNTY, TOWN = "360121", "360121100"
P = "2026-09"


def test_two_venues_entered_corrected_shown_and_returned(tmp_path):
    town, county = tmp_path / "town", tmp_path / "county"
    ok(town, "init", "--unit", TOWN, "--clerk", "张")
    a = ok(town, "report", VENUE, "--period", P, *sets(venue("莲塘科技馆", "museum", 1000)))
    b = ok(town, "report", VENUE, "--period", P, *sets(venue("莲塘科普基地", "edu_base", 500)))
    assert a["uuid"] != b["uuid"]
    # Correcting venue A (its key value given with --set) edits A, never B, never a new report.
    fixed = ok(town, "report", VENUE, "--period", P, "--reason", "更正",
               *sets(venue("莲塘科技馆", "museum", 1200)))  # fmt: skip
    assert fixed["uuid"] == a["uuid"]
    shown_a = ok(town, "report", VENUE, "--period", P, "--key", "venue_name=莲塘科技馆", "--show")
    shown_b = ok(town, "report", VENUE, "--period", P, "--key", "venue_name=莲塘科普基地", "--show")
    assert (shown_a["visitors"], shown_b["visitors"]) == (1200, 500)
    # Without a key, two venues are ambiguous: a clear message listing them, no traceback.
    code, _out, err = kexie(town, "report", VENUE, "--period", P, "--show", lang="en")
    assert code != 0 and "Traceback" not in err
    assert "莲塘科技馆" in err and "莲塘科普基地" in err and "--key" in err
    ok(town, "export", "--out", tmp_path / "t.xlsx")
    ok(county, "init", "--unit", COUNTY, "--clerk", "县")
    ok(county, "import", tmp_path / "t.xlsx")
    ret = ok(county, "return", VENUE, "--unit", TOWN, "--period", P, "--key",
             "venue_name=莲塘科普基地", "--reason", "请核实", "--out", tmp_path / "r.xlsx")  # fmt: skip
    assert ret["uuid"] == b["uuid"]
    code, _out, err = kexie(county, "return", VENUE, "--unit", TOWN, "--period", P, "--reason",
                            "x", "--out", tmp_path / "r2.xlsx", lang="en")  # fmt: skip
    assert code != 0 and "莲塘科技馆" in err and "Traceback" not in err
    assert not (tmp_path / "r2.xlsx").exists()
