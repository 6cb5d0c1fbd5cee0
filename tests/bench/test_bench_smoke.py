"""The benchmark harness at toy size, so ``python -m bench`` cannot rot unnoticed."""

from __future__ import annotations

from pathlib import Path

from bench import baselines as bl
from bench import report, runner
from bench.harness import NOT_AVAILABLE, Row, Stats, alternate, run_isolated
from bench.province import _extrapolate, _flatness


def test_alternate_times_every_tool_each_round_in_rotating_order():
    calls: list[str] = []
    stats = alternate({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 3)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]  # warm-up, then rotated rounds
    assert len(stats["a"].samples) == 3
    assert stats["a"].min <= stats["a"].median <= stats["a"].max


def test_floors_write_valid_xlsx_and_keep_text_as_text(tmp_path: Path):
    header, rows = bl.synthetic_table(rows=30, columns=12)
    rows[0][2] = "N/A"
    rows[0][4] = "=1+1"
    bl.write_python_xml(header, rows, tmp_path / "p.xlsx")
    bl.write_deflate_only(bl.sheet_xml(header, rows).encode(), tmp_path / "d.xlsx")
    bl.write_openpyxl(header, rows, tmp_path / "o.xlsx")
    bl.write_xlsxwriter(header, rows, tmp_path / "x.xlsx")
    for name in ("p", "d", "o", "x"):
        _, got_header, got = bl.largest_sheet(tmp_path / f"{name}.xlsx")
        assert got_header == header, name
        assert got[0][2] == "N/A", name
        if name != "o":  # openpyxl writes "=1+1" as a live formula: the reference, as people use it
            assert got[0][4] == "=1+1", name
        assert got[5][0] == rows[5][0] and isinstance(got[5][0], int), name
        assert bl.read_calamine(tmp_path / f"{name}.xlsx") == 31 * 12
    assert 30 * 12 <= bl.read_openpyxl(tmp_path / "o.xlsx") <= 31 * 12  # ragged rows
    assert bl.read_inflate_only(tmp_path / "p.xlsx") > 0


def test_pandas_merge_in_a_fresh_process_reports_time_memory_and_its_data_loss(tmp_path: Path):
    paths = []
    for i in range(2):
        header, rows = bl.synthetic_table(rows=20, columns=6, seed=i)
        rows[0][2] = "N/A"
        bl.write_python_xml(header, rows, tmp_path / f"b{i}.xlsx")
        paths.append(str(tmp_path / f"b{i}.xlsx"))
    res = run_isolated(
        "bench.province:merge_pandas", {"paths": paths, "out": str(tmp_path / "m.xlsx")}
    )
    assert res.result == {"rows": 40, "sheets": 1}
    assert 0 < res.seconds < 60
    assert res.peak_mb > 20  # pandas alone is bigger than that
    assert bl.read_calamine(tmp_path / "m.xlsx") == 41 * 6
    assert bl.count_na_text(paths) >= 2  # what pandas' defaults turn into blanks


def test_missing_scenario_module_is_not_available_never_a_pass(monkeypatch):
    monkeypatch.setitem(runner.EXTERNAL, "save", "bench.no_such_module_yet")
    rows = runner.external_rows("save", quick=True)
    assert [r.status for r in rows] == [NOT_AVAILABLE]
    assert rows[0].met is None
    assert "not met" not in report.markdown_table(rows).lower()
    assert "not available" in report.markdown_table(rows)


def test_scenario_dicts_of_several_shapes_are_normalised_with_known_targets():
    rows = runner.normalise(
        "forms",
        "bench.forms_engine",
        {
            "results": [
                {"scenario": "re-evaluate large_cha", "median_ms": 20, "min_ms": 18, "max_ms": 30},
                {"name": "load built-in forms", "median": 0.05},
                {"scenario": "load large_cha", "median": 0.5, "target": "< 1 s", "met": True},
            ]
        },
    )
    assert [(r.median, r.met) for r in rows] == [(0.02, False), (0.05, True), (0.5, True)]
    assert rows[0].target == "< 16 ms"
    flat = runner.normalise("save", "bench.save_response", {"save_ms": 3.0})
    assert flat[0].median == 0.003 and flat[0].met is True
    broken = runner.normalise("app", "bench.app_start", {"oops": "text"})
    assert broken[0].status == "failed"


def test_extrapolation_and_flat_memory_verdicts():
    measured = {20: Stats([90.0], [1000.0]), 80: Stats([360.0], [4000.0])}
    t, peak = _extrapolate(measured, 183)
    assert t == 823.5 and peak == 9150.0
    flat = _flatness("g", {20: Stats([1], [100.0]), 183: Stats([9], [110.0])}, 2000)
    assert flat.met is True
    grows = _flatness("g", {20: Stats([1], [100.0]), 183: Stats([9], [200.0])}, 2000)
    assert grows.met is False


def test_results_section_lists_every_target_and_replaces_only_its_own_run(tmp_path: Path):
    doc = tmp_path / "performance.md"
    rows = [
        Row("export", "export: ours", 1.2, 1.1, 1.4, 3, None, 5.7, "5.7× floor", "≤ 5×", False),
        Row("app", "bench.app_start", status=NOT_AVAILABLE, note="does not exist yet"),
    ]
    full = runner.Result(False, rows, started="2026-01-01 00:00 UTC", machine={"cpus": "2"})
    report.write_doc(full, doc)
    quick = runner.Result(True, rows[:1], started="2026-01-02 00:00 UTC")
    report.write_doc(quick, doc)
    report.write_doc(quick, doc)
    text = doc.read_text(encoding="utf-8")
    assert text.count("## Results: full run") == 1 and text.count("## Results: quick run") == 1
    assert "**NOT MET** — export: ours" in text
    assert "**NOT AVAILABLE** — bench.app_start" in text
    assert text.index("full run") < text.index("quick run")
    assert "1.20 s" in text


def test_real_data_and_both_merges_at_toy_size(tmp_path: Path, monkeypatch):
    """kexie demo + export for two counties, then ours and pandas side by side on them."""
    from bench import data, province

    monkeypatch.setattr(data, "DATA", tmp_path / "data")
    bundles = data.typical_bundles(2, records=3, progress=lambda _t: None)
    assert [b.name for b in bundles] == ["510104000000.xlsx", "510105000000.xlsx"]
    res = province._side_by_side(bundles, 1, tmp_path)
    assert set(res) == {"ours", "pandas"}
    for stats in res.values():
        assert len(stats.samples) == 1 and stats.samples[0] > 0
        assert 20 < stats.peak_mb < 1000
    merged = bl.largest_sheet(tmp_path / "ours.xlsx")
    assert merged[2], "our merged bundle has rows"
