"""Export and inspect/import of one county bundle, against the floors, side by side.

One fresh process runs every tool alternately on the same data: our ``export_bundle`` of a
county data folder with 2,000 demo survey records (500 in quick mode), and the floors writing
the same cells (the bundle's largest sheet, read back with calamine). Then ``inspect_bundle``
and ``import_bundle`` of that bundle against python-calamine and openpyxl reading it.

Our export writes the whole bundle (cover, every form, reports, roll-ups, manifest); the floors
write only the largest sheet. That is the comparison the targets are stated in.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench import baselines as bl
from bench import data
from bench.harness import NOT_AVAILABLE, Row, Stats, alternate, run_isolated

EXPORT_TARGET_S = 1.0
EXPORT_FLOOR_FACTOR = 5.0
INSPECT_FACTOR = 4.0
CITY = "510100000000"  # the parent of data.FALLBACK_COUNTY


def _export_child(folder: str, repeats: int) -> dict:
    """Child step: alternate our export with the writers of the same cells."""
    from exports import export_bundle
    from kexie.tasks import NULL_TASK
    from localdb import open_store

    tmp = Path(tempfile.mkdtemp(prefix="kexie-bench-"))
    try:
        with open_store(Path(folder), create=False) as store:
            ours_out = tmp / "ours.xlsx"
            export_bundle(store, ours_out, task=NULL_TASK)
            sheet, header, rows = bl.largest_sheet(ours_out)
            prebuilt = bl.sheet_xml(header, rows).encode("utf-8")
            tools: dict[str, Callable[[], object]] = {
                "ours": lambda: export_bundle(store, tmp / "o.xlsx", task=NULL_TASK),
                "deflate": lambda: bl.write_deflate_only(prebuilt, tmp / "d.xlsx"),
                "python_xml": lambda: bl.write_python_xml(header, rows, tmp / "p.xlsx"),
                "xlsxwriter": lambda: bl.write_xlsxwriter(header, rows, tmp / "x.xlsx"),
                "openpyxl": lambda: bl.write_openpyxl(header, rows, tmp / "w.xlsx"),
            }
            stats = alternate(tools, repeats)
        keep = Path(folder).parent / "bundle.xlsx"
        shutil.copyfile(ours_out, keep)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "stats": {k: v.samples for k, v in stats.items()},
        "sheet": sheet,
        "rows": len(rows),
        "columns": len(header),
        "bundle": str(keep),
    }


def _inspect_child(bundle: str, template: str, repeats: int) -> dict:
    """Child step: alternate inspect and import of ``bundle`` with calamine and openpyxl."""
    from exports import import_bundle, inspect_bundle
    from kexie.tasks import NULL_TASK
    from localdb import open_store

    path = Path(bundle)
    tmp = Path(tempfile.mkdtemp(prefix="kexie-bench-"))
    state: dict = {}

    def fresh_store(name: str) -> None:
        if name != "import":
            return
        if state.get("store"):
            state["store"].close()
        state["n"] = state.get("n", 0) + 1
        target = tmp / f"city{state['n']}"
        shutil.copytree(template, target)
        state["store"] = open_store(target, create=False)

    try:
        tools: dict[str, Callable[[], object]] = {
            "inspect": lambda: inspect_bundle(path, task=NULL_TASK),
            "import": lambda: import_bundle(state["store"], path, task=NULL_TASK),
            "calamine": lambda: bl.read_calamine(path),
            "openpyxl": lambda: bl.read_openpyxl(path),
            "inflate": lambda: bl.read_inflate_only(path),
        }
        stats = alternate(tools, repeats, before_each=fresh_store)
    finally:
        if state.get("store"):
            state["store"].close()
        shutil.rmtree(tmp, ignore_errors=True)
    return {"stats": {k: v.samples for k, v in stats.items()}}


def available() -> str | None:
    """None if export/inspect/import can be imported, else why not."""
    try:
        from exports import export_bundle, import_bundle, inspect_bundle  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


def city_template() -> Path:
    """An empty data folder for the county's city (import target)."""
    return data.province_template(CITY)


def export_rows(
    quick: bool, progress: Callable[[str], object] = print
) -> tuple[list[Row], str | None]:
    """Export against its floors; also returns the exported bundle for :func:`inspect_rows`."""
    group = "export"
    why = available()
    if why:
        return [Row(group, "export of a 2,000 × 100 bundle", status=NOT_AVAILABLE, note=why)], None
    records = 500 if quick else 2000
    folder = data.records_folder(records)
    progress(f"{group}: {records} records")
    res = run_isolated(
        "bench.floors:_export_child", {"folder": str(folder), "repeats": 3 if quick else 5}
    ).result
    st = {k: Stats(v) for k, v in res["stats"].items()}
    size = f"{res['rows']} × {res['columns']}"
    ours, floor, opx = st["ours"], st["python_xml"], st["openpyxl"]
    vs_floor = ours.median / floor.median
    vs_opx = ours.median / opx.median
    met = vs_floor <= EXPORT_FLOOR_FACTOR and ours.median < opx.median
    target = f"≤ {EXPORT_FLOOR_FACTOR:.0f}× Python XML floor, faster than openpyxl write_only"
    if not quick:
        met = met and ours.median <= EXPORT_TARGET_S
        target = f"≈ {EXPORT_TARGET_S:.0f} s; " + target
    rows = [
        Row.from_stats(
            group,
            f"export {size} ({res['sheet']} + rest of bundle): ours",
            ours,
            ratio=vs_floor,
            ratio_text=f"{vs_floor:.1f}× Python XML floor; {vs_opx:.2f}× openpyxl write_only",
            target=target,
            met=met,
        )
    ]
    labels = {
        "deflate": "floor: deflate only",
        "python_xml": "floor: Python XML text + deflate",
        "xlsxwriter": "xlsxwriter constant_memory",
        "openpyxl": "openpyxl write_only (reference)",
    }
    for key, label in labels.items():
        r = st[key].median / opx.median
        rows.append(
            Row.from_stats(
                group,
                f"export {size}: {label}",
                st[key],
                ratio=r,
                ratio_text=f"{r:.2f}× openpyxl write_only",
            )
        )
    return rows, res["bundle"]


def inspect_rows(
    quick: bool, bundle: str | None, progress: Callable[[str], object] = print
) -> list[Row]:
    """Inspect and import of the exported bundle against python-calamine."""
    group = "inspect"
    why = available() or (None if bundle else "no exported bundle (export scenario failed)")
    if why:
        return [
            Row(group, "inspect/import of a 2,000 × 100 bundle", status=NOT_AVAILABLE, note=why)
        ]
    progress(f"{group}: {Path(bundle).name}")
    res = run_isolated(
        "bench.floors:_inspect_child",
        {"bundle": bundle, "template": str(city_template()), "repeats": 3 if quick else 5},
    ).result
    st = {k: Stats(v) for k, v in res["stats"].items()}
    cal = st["calamine"]
    rows = []
    for key in ("inspect", "import"):
        r = st[key].median / cal.median
        rows.append(
            Row.from_stats(
                group,
                f"{key} of the export bundle: ours",
                st[key],
                ratio=r,
                ratio_text=f"{r:.1f}× python-calamine",
                target=f"≤ {INSPECT_FACTOR:.0f}× python-calamine",
                met=r <= INSPECT_FACTOR,
            )
        )
    for key, label in (
        ("inflate", "floor: inflate only"),
        ("calamine", "python-calamine, every sheet (reference)"),
        ("openpyxl", "openpyxl read_only, values_only"),
    ):
        r = st[key].median / cal.median
        rows.append(
            Row.from_stats(
                group,
                f"read the export bundle: {label}",
                st[key],
                ratio=r,
                ratio_text=f"{r:.2f}× python-calamine",
            )
        )
    return rows


def _export_once(folder: str) -> dict:
    """Child step for profiling: one export of ``folder``."""
    from exports import export_bundle
    from kexie.tasks import NULL_TASK
    from localdb import open_store

    with (
        tempfile.TemporaryDirectory(prefix="kexie-bench-") as tmp,
        open_store(Path(folder), create=False) as store,
    ):
        export_bundle(store, Path(tmp) / "o.xlsx", task=NULL_TASK)
    return {}


def _inspect_once(bundle: str) -> dict:
    """Child step for profiling: one inspect of ``bundle``."""
    from exports import inspect_bundle
    from kexie.tasks import NULL_TASK

    inspect_bundle(Path(bundle), task=NULL_TASK)
    return {}
