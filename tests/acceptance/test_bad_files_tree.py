"""Bad files at a real county (南昌县) from one of its townships' real bundles: each is refused
with a message in the chosen language naming the file and, for a cell, its sheet, row and
column — never a traceback, and nothing changes."""

from __future__ import annotations

import re
import zipfile

import pytest
from kit import VOL, kexie, ok, sets, volunteer

COUNTY, TOWN = "360121", "360121100"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad")
    ok(tmp / "town", "init", "--unit", TOWN, "--clerk", "张")
    ok(tmp / "town", "report", VOL, "--period", "2026-09", *sets(volunteer(473)))
    ok(tmp / "town", "export", "--out", tmp / "b.xlsx")
    return tmp / "b.xlsx"


def data_part(path) -> str:
    z = zipfile.ZipFile(path)
    names = re.findall(r'<sheet [^>]*name="([^"]+)"', z.read("xl/workbook.xml").decode())
    return f"xl/worksheets/sheet{names.index('科技志愿服务月报') + 1}.xml"


def edited(src, dst, old: bytes, new: bytes):
    part = data_part(src)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                assert old in data
                data = data.replace(old, new, 1)
            zout.writestr(info, data)
    return dst


CELL = b'<c r="D2"><v>473</v>'
CASES = {  # name: (new bytes of D2 or a whole file maker, where the message must point)
    "edited": (b'<c r="D2"><v>474</v>', None),
    "boolean": (b'<c r="D2" t="b"><v>1</v>', "row 2 D"),
    "error": (b'<c r="D2" t="e"><v>#DIV/0!</v>', "row 2 D"),
    "fraction": (b'<c r="D2"><v>473.5</v>', "row 2 D"),
    "formula": (b'<c r="D2"><f>1+472</f><v>473</v>', "row 2 D"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_edited_cell_is_refused_and_located(bundle, tmp_path, case):
    new, where = CASES[case]
    bad = edited(bundle, tmp_path / f"{case}.xlsx", CELL, new)
    county = tmp_path / "county"
    ok(county, "init", "--unit", COUNTY)
    code, out, err = kexie(county, "import", bad, lang="en")
    assert code == 1 and "Traceback" not in err
    assert out["added"] == 0 and out["refused"]
    text = " ".join(r["message"] for r in out["refused"])
    assert f"{case}.xlsx" in text and "ask the sender" in text
    assert not re.search(r"[\u4e00-\u9fff]{4,}", text.replace("科技志愿服务月报", ""))  # English
    if where:
        assert where in text, text


def test_not_a_bundle_truncated_and_renamed(bundle, tmp_path):
    county = tmp_path / "county"
    ok(county, "init", "--unit", COUNTY)
    (tmp_path / "cut.xlsx").write_bytes(bundle.read_bytes()[:3000])
    (tmp_path / "csv.xlsx").write_text("a,b\n1,2\n", encoding="utf-8")
    for name, words in (("cut.xlsx", "damaged or incomplete"), ("csv.xlsx", "not an Excel")):
        code, out, err = kexie(county, "import", tmp_path / name, lang="en")
        assert code == 1 and "Traceback" not in err
        assert name in out["refused"][0]["message"] and words in out["refused"][0]["message"]
