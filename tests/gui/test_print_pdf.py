"""``kexie print``: PDFs rendered offscreen with Qt, read back with poppler (pdfinfo, pdftotext).

pdftotext gives some CJK characters as their radical twins (月 → ⽉, 页 → ⻚: Noto CJK maps both
code points to one glyph and the PDF's text layer names the first); text is normalised back
(NFKC for the Kangxi radicals, a table for the simplified radicals) before comparing, as a
person reading the page would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from exports import paper as PP
from kexie.cli import main
from localdb import open_store
from localdb.demo import run_demo

COUNTY = "330106000000"
FORM = "kexie_volunteer_monthly"
MONTH = "2026-09"

if shutil.which("pdftotext") is None:
    if os.environ.get("CI"):
        raise RuntimeError("poppler-utils (pdftotext) missing: scripts/test.sh installs it")
    pytest.skip("pdftotext (poppler-utils) not installed", allow_module_level=True)


RADICALS = str.maketrans(
    "⻚⻓⻢⻛⻜⻅⻔⻋⻉⻄⻝⻘⻥⻆⻬⻮⻰⻳⻩⻨⻦⻧", "页长马风飞见门车贝西食青鱼角齐齿龙龟黄麦鸟卤"
)


def pdf_text(path: Path, page: int | None = None) -> str:
    args = ["pdftotext", "-layout"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    out = subprocess.run([*args, str(path), "-"], capture_output=True, check=True, text=True)
    return unicodedata.normalize("NFKC", out.stdout).translate(RADICALS)


def pdf_pages(path: Path) -> list[tuple[float, float]]:
    """(width, height) in points of every page."""
    out = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(path)], capture_output=True, check=True, text=True
    ).stdout
    return [
        (float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", out)
    ]


def smallest_text(path: Path, page: int) -> float:
    """Height in points of the smallest word on ``page`` (≈ 1.16–1.45 × its font size)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    heights = [
        float(b) - float(a)
        for a, b in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', out)
    ]
    return min(heights)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("print") / "data"
    with open_store(folder) as store:
        store.set_unit(COUNTY)
        store.set_clerk("测试员")
        run_demo(store, records=3, seed=5, today=date(2026, 11, 20))
    return folder


def _print(data: Path, *args: str) -> int:
    return main(["--data", str(data), "print", *args])


@pytest.mark.parametrize(
    ("form_id", "period", "table_no"),
    [
        ("kexie_volunteer_monthly", MONTH, "科协月1表"),
        ("kexie_venue_monthly", MONTH, "科协月2表"),
        ("kexie_org_annual", "2025", "科协年1表"),
    ],
)
def test_a_builtin_report_prints_as_its_paper_form_on_one_a4_page_each(
    data, tmp_path, form_id, period, table_no
):
    out = tmp_path / "report.pdf"
    assert _print(data, form_id, "--period", period, "--out", str(out)) == 0
    with open_store(data) as store:
        form = store.form(form_id)
        rows = [
            store.get(form_id, r["_uuid"])
            for r in store.records(form_id, unit=COUNTY, period=period)
        ]
        unit_name = store.units.get(COUNTY).name
    pages = pdf_pages(out)
    assert len(pages) == len(rows) >= 1  # one A4 portrait page per report (per venue)
    assert all(abs(w - 595) < 2 and abs(h - 842) < 2 for w, h in pages)
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
    assert "CJK" in fonts and all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])
    text = pdf_text(out)
    flat = re.sub(r"\s+", "", text)
    for needle in (table_no, form.title("zh_CN"), f"{unit_name}({COUNTY})", "报告期", "指标名称",
                   "计量单位", "代码", "单位负责人", "填表人", "联系电话", "填报日期", "签字",
                   "(单位盖章)", f"第1页/共{len(pages)}页"):  # fmt: skip
        assert unicodedata.normalize("NFKC", needle).replace(" ", "") in flat, needle
    for q in form.fields():
        if q.code:
            assert re.search(rf"\b{q.code}\b", text), q.code
    row = rows[0]
    page1 = pdf_text(out, 1)
    for q in form.fields():
        if q.type == "integer" and q.code and row.get(q.name) is not None:
            assert re.search(rf"\b{q.code}\s+{row[q.name]}\b", page1), (q.name, row[q.name])
    if row.get("filled_by"):
        assert row["filled_by"] in flat


def test_the_county_summary_prints_totals_then_a_breakdown_across_pages(data, tmp_path):
    out = tmp_path / "summary.pdf"
    assert _print(data, FORM, "--period", MONTH, "--summary", "--out", str(out)) == 0
    with open_store(data) as store:
        s = PP.summarise(store, FORM, MONTH)
        children = store.units.children(COUNTY)
    pages = pdf_pages(out)
    assert len(pages) >= 3  # the form, then the breakdown split over its unit columns
    assert pages[0][0] < pages[0][1]  # the form: portrait
    assert all(w > h for w, h in pages[1:])  # the breakdown: landscape
    first = re.sub(r"\s+", "", pdf_text(out, 1))
    assert "科技志愿服务月报(汇总表)" in first
    assert (
        f"已报{sum(1 for c in children if s.status[c.code] != 'missing')}/{len(children)}" in first
    )
    assert str(s.total["vol_registered"]) in first
    seen_units = set()
    for n in range(2, len(pages) + 1):
        page = pdf_text(out, n)
        flat = re.sub(r"\s+", "", page)
        assert "指标名称" in flat and "代码" in flat  # the header on every breakdown page
        assert f"第{n}页/共{len(pages)}页" in flat
        assert smallest_text(out, n) >= 9.0  # ≥ 8 pt
        seen_units |= {c.name for c in children if c.name in flat}
    assert seen_units == {c.name for c in children}  # every township has its column


def test_a_long_breakdown_repeats_its_header_on_every_page(tmp_path):
    from desktop.printing import write_pdf

    lines = [PP.Line(f"指标{i:03d}", unit="人", code=f"{i:02d}", name=f"n{i}") for i in range(90)]
    units = [("", "合计")] + [(f"u{j}", f"单位{j:02d}") for j in range(20)]
    values = [[str(i * 100 + j) for j in range(len(units))] for i in range(90)]
    paper = PP.Paper("summary", "测试汇总表", "zh_CN", meta=[("汇总单位", "某县(1)")],
                     lines=lines[:5], breakdown=PP.Breakdown(lines, units, values),
                     footer="测试")  # fmt: skip
    out = tmp_path / "long.pdf"
    pages = write_pdf([paper], out)
    assert pages == len(pdf_pages(out)) >= 5
    for n in range(2, pages + 1):
        flat = re.sub(r"\s+", "", pdf_text(out, n))
        assert "指标名称" in flat, n
    text = pdf_text(out)
    assert "指标089" in text and "单位19" in text and "8919" in text


def test_an_interview_prints_section_by_section(data, tmp_path):
    with open_store(data) as store:
        row = store.records("kexie_survey", limit=1)[0]
        form = store.form("kexie_survey")
    out = tmp_path / "interview.pdf"
    assert _print(data, "kexie_survey", "--uuid", row["_uuid"], "--out", str(out)) == 0
    text = pdf_text(out)
    flat = re.sub(r"\s+", "", text)
    assert row["_uuid"] in flat
    assert "一、基本情况" in flat
    order = [flat.find(q.label("zh_CN").replace(" ", "")) for q in form.children if q.is_group]
    found = [i for i in order if i >= 0]
    assert found == sorted(found) and len(found) >= 3


def test_english_print(data, tmp_path):
    out = tmp_path / "en.pdf"
    assert main(["--lang", "en", "--data", str(data), "print", FORM, "--period", MONTH,
                 "--out", str(out)]) == 0  # fmt: skip
    flat = re.sub(r"\s+", " ", pdf_text(out))
    assert "Science volunteer monthly report" in flat and "Reporting unit" in flat
    assert "Page 1 of 1" in flat


def test_bad_requests_fail_cleanly_with_no_file(data, tmp_path, capsys):
    out = tmp_path / "none.pdf"
    assert _print(data, FORM, "--period", "2019-01", "--out", str(out)) == 1
    err = capsys.readouterr().err
    assert "2019-01" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert _print(data, "kexie_survey", "--period", MONTH, "--out", str(out)) == 1
    assert _print(data, FORM, "--out", str(out)) == 1
    assert _print(data, FORM, "--period", MONTH, "--out", str(tmp_path / "no" / "x.pdf")) == 1
    err = capsys.readouterr().err
    assert "x.pdf" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".kexie-print-*"))
