"""Bundle benchmarks owned by exports/: export, inspect/import and merge, on synthetic data.

Called by the benchmark runner as ``run(quick) -> dict`` (see ``bench/runner.py``); each part is
also callable on its own: ``run_export(quick)``, ``run_inspect(quick)``, ``run_merge(quick)``,
each returning ``{"results": [row, ...]}`` with rows as ``bench/runner.py`` describes (seconds,
``ratio`` against the side-by-side reference named in ``ratio_text``).

Data: a real data folder (``localdb.open_store``) with one synthetic form of 100 questions
(integers, decimals, text, choices; 25 each) and 2,000 finalised records (500 with ``quick``),
written through ``store.upsert_rows``. Tools compared run alternately in the same process
(``bench.harness.alternate``): our export (streamed data sheets), our export through
xlsxwriter only (the fallback), openpyxl ``write_only`` of the same cells; our inspect and
import against python-calamine reading the same sheet.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

from bench.harness import alternate

UNIT = "110101001000"  # a township of Beijing Dongcheng
COUNTY = "110101000000"
QUESTIONS = 100


def synthetic_form():
    """A 100-question survey form (built in code, registered like an imported one)."""
    from forms.model import Form, Question

    kinds = ("integer", "decimal", "text", "select_one")
    questions = [
        Question(f"q{i:03d}", kinds[i % 4], labels={"zh_CN": f"问题{i}", "en": f"Question {i}"})
        for i in range(QUESTIONS)
    ]
    return Form("bench_big", "1", titles={"zh_CN": "基准测试表", "en": "Benchmark form"},
                children=questions, kind="survey")  # fmt: skip


def make_store(folder: Path, records: int, unit: str = UNIT, seed: int = 1):
    """A data folder for ``unit`` with ``records`` finalised synthetic records."""
    from localdb import open_store

    rng = random.Random(seed)
    store = open_store(folder)
    store.set_unit(unit)
    form = synthetic_form()
    store.register_form(form)
    rows = []
    for n in range(records):
        row = {"_uuid": f"{unit}-{seed}-{n:06d}", "_unit": unit, "_period": None,
               "_form_version": "1", "_status": "finalised", "_deleted": 0,
               "_created": "2026-03-01T08:00:00Z", "_modified": "2026-03-01T09:00:00Z",
               "_author": "基准", "_explanations": None}  # fmt: skip
        for i in range(QUESTIONS):
            kind = i % 4
            if rng.random() < 0.1:
                row[f"q{i:03d}"] = None
            elif kind == 0:
                row[f"q{i:03d}"] = rng.randint(0, 5000)
            elif kind == 1:
                row[f"q{i:03d}"] = round(rng.random() * 1000, 2)
            elif kind == 2:
                row[f"q{i:03d}"] = rng.choice(
                    ["N/A", "0012", "科技工作者", "=1+2", "备注文字较长一些的回答"]
                )
            else:
                row[f"q{i:03d}"] = rng.choice(["a", "b", "c"])
        rows.append(row)
    store.upsert_rows("bench_big", rows, {}, source="local")
    return store


def _row(name: str, stats, ref: str, ref_stats, target: str | None = None, target_s=None) -> dict:
    ratio = stats.median / ref_stats.median if ref_stats else None
    out = {"scenario": name, "median": stats.median, "min": stats.min, "max": stats.max,
           "runs": len(stats.samples)}  # fmt: skip
    if ratio is not None:
        out |= {"ratio": round(ratio, 2), "ratio_text": f"{ratio:.2f}× {ref}"}
    if target:
        out |= {"target": target, "target_s": target_s, "met": stats.median <= target_s}
    return out


def _openpyxl_write(path: Path, header: list, rows: list) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("data")
    ws.append(header)
    for r in rows:
        ws.append(["" if v is None else v for v in r])
    wb.save(path)


def run_export(quick: bool = False) -> dict:
    """Export of 2,000 × 100 (500 with ``quick``): streamed vs xlsxwriter vs openpyxl."""
    import python_calamine

    from exports import export_bundle

    records, repeats = (500, 3) if quick else (2000, 5)
    tmp = Path(tempfile.mkdtemp(prefix="kexie-bench-bundles-"))
    try:
        store = make_store(tmp / "data", records)
        try:
            export_bundle(store, tmp / "ours.xlsx")
            sheet = (
                python_calamine.CalamineWorkbook.from_path(str(tmp / "ours.xlsx"))
                .get_sheet_by_name("基准测试表")
                .to_python()
            )
            header, rows = sheet[0], sheet[1:]
            stats = alternate({
                "stream": lambda: export_bundle(store, tmp / "s.xlsx"),
                "xlsxwriter": lambda: export_bundle(store, tmp / "x.xlsx", engine="xlsxwriter"),
                "openpyxl": lambda: _openpyxl_write(tmp / "o.xlsx", header, rows),
            }, repeats)  # fmt: skip
        finally:
            store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    size = f"{records}×{QUESTIONS}"
    return {"results": [
        _row(f"bundle export {size} (streamed)", stats["stream"], "openpyxl write_only",
             stats["openpyxl"], "≈1 s" if not quick else None, 1.0 if not quick else None),
        _row(f"bundle export {size} (xlsxwriter fallback)", stats["xlsxwriter"],
             "openpyxl write_only", stats["openpyxl"]),
        _row(f"openpyxl write_only {size} (same cells)", stats["openpyxl"], "itself",
             stats["openpyxl"]),
    ]}  # fmt: skip


def run_inspect(quick: bool = False) -> dict:
    """Inspect and import of a 2,000 × 100 bundle against python-calamine reading its sheet."""
    import python_calamine

    from exports import export_bundle, import_bundle, inspect_bundle
    from localdb import open_store

    records, repeats = (500, 3) if quick else (2000, 5)
    tmp = Path(tempfile.mkdtemp(prefix="kexie-bench-bundles-"))
    try:
        store = make_store(tmp / "data", records)
        bundle = tmp / "b.xlsx"
        export_bundle(store, bundle)
        store.close()
        county = open_store(tmp / "county")
        county.set_unit(COUNTY)
        county.register_form(synthetic_form())

        def do_import():
            # every round imports into an empty table: all records are added
            county.db.execute("DELETE FROM form_bench_big")
            return import_bundle(county, bundle)

        stats = alternate({
            "inspect": lambda: inspect_bundle(bundle),
            "import": do_import,
            "calamine": lambda: python_calamine.CalamineWorkbook.from_path(str(bundle)).get_sheet_by_name("基准测试表").to_python(),
        }, repeats)  # fmt: skip
        county.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    size = f"{records}×{QUESTIONS}"
    cal = stats["calamine"]
    return {"results": [
        _row(f"bundle inspect {size}", stats["inspect"], "python-calamine", cal),
        _row(f"bundle import {size} (backup + transaction)", stats["import"], "python-calamine", cal),
        _row(f"python-calamine read {size}", cal, "itself", cal),
    ]}  # fmt: skip


def run_merge(quick: bool = False) -> dict:
    """Merge of N township bundles (3 × 500 with ``quick``, 10 × 2,000 × 100 otherwise) at county
    level, side by side with the pandas way (read_excel → concat → to_excel with openpyxl) on
    the first bundles (1 with ``quick``, 2 otherwise: ~4.5 s each), alternated in one run.
    Compared per bundle. ``merge_bundles`` picks worker processes itself (two when two cores are
    idle); the note says which."""
    from bench.baselines import pandas_merge
    from exports import export_bundle, merge_bundles
    from exports.merge import _workers
    from kexie.tasks import NULL_TASK
    from localdb import open_store

    n, records, n_pandas = (3, 500, 1) if quick else (10, 2000, 2)
    tmp = Path(tempfile.mkdtemp(prefix="kexie-bench-bundles-"))
    try:
        paths = []
        for i in range(n):
            unit = f"110101{i + 1:03d}000"
            store = make_store(tmp / f"t{i}", records, unit=unit, seed=i)
            paths.append(tmp / f"t{i}.xlsx")
            export_bundle(store, paths[-1])
            store.close()
        county = open_store(tmp / "county")
        county.set_unit(COUNTY)
        county.register_form(synthetic_form())
        workers = _workers(paths)
        stats = alternate({
            "ours": lambda: merge_bundles(county, paths, tmp / "m.xlsx", task=NULL_TASK),
            "pandas": lambda: pandas_merge([str(p) for p in paths[:n_pandas]],
                                           str(tmp / "pandas.xlsx")),
        }, 2 if quick else 3, warmup=False)  # fmt: skip
        county.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    from bench.harness import Stats

    ours = Stats([t / n for t in stats["ours"].samples])
    pandas = Stats([t / n_pandas for t in stats["pandas"].samples])
    size = f"{records}×{QUESTIONS}"
    row = _row(f"bundle merge {n} × {size}, s per bundle", ours, "pandas (per bundle)", pandas)
    if row.get("ratio"):
        speed = 1 / row["ratio"]
        row["ratio_text"] = f"{speed:.1f}× faster than pandas"
        if not quick:
            row |= {"target": "≥ 15× pandas", "met": speed >= 15}
    row["note"] = f"workers: {workers or 'none (in process)'}"
    return {"results": [row, _row(f"pandas merge {size}, s per bundle", pandas, "itself", pandas)]}


def run(quick: bool = False) -> dict:
    """Every bundle benchmark, one list of rows."""
    rows = []
    for part in (run_export, run_inspect, run_merge):
        rows += part(quick)["results"]
    return {"results": rows}


if __name__ == "__main__":
    import json
    import sys

    json.dump(run("--quick" in sys.argv), sys.stdout, ensure_ascii=False, indent=2)
