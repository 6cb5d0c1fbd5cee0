"""Provincial merge scenarios: our ``merge_bundles`` against the pandas way, side by side.

Both run on the same bundle files in the same run, each in a fresh process (so peak memory is
the process's own), alternating which goes first. Our merge starts from a copy of an empty
province data folder each time; only the ``merge_bundles`` call is timed.

- typical: 183 county bundles (50 survey records + 12 months of reports for the county and its
  townships); quick mode takes 8.
- stress: county bundles of 2,000 survey records; ours at 20, 80 and 183 bundles to show that
  memory stays flat; pandas at 20 and 80, and at 183 by linear extrapolation (labelled
  "estimated") unless ``pandas_full`` — at ~4.5 s and ~80 MB per bundle, 183 would take
  ~14 min and more memory than most machines have. Quick mode: 2 and 4 bundles of 500 records.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import data
from bench.harness import (
    ESTIMATED,
    FAILED,
    NOT_AVAILABLE,
    IsolatedError,
    Row,
    Stats,
    run_isolated,
)

MEMORY_LIMIT_MB = 300.0
STRESS_SPEEDUP = 15.0
# "Flat": the largest run may use at most this much more than the smallest.
FLAT_GROWTH = 0.25


def merge_ours(template: str, paths: list[str], out: str) -> dict:
    """Child step: merge ``paths`` into a copy of the province data folder ``template``."""
    from exports import merge_bundles
    from kexie.tasks import NULL_TASK
    from localdb import open_store

    with tempfile.TemporaryDirectory(prefix="kexie-merge-") as tmp:
        folder = Path(tmp) / "data"
        shutil.copytree(template, folder)
        with open_store(folder, create=False) as store:
            start = time.perf_counter()
            merge_bundles(store, [Path(p) for p in paths], Path(out), task=NULL_TASK)
            seconds = time.perf_counter() - start
    return {"seconds": seconds}


def merge_pandas(paths: list[str], out: str) -> dict:
    """Child step: the pandas merge (see :func:`bench.baselines.pandas_merge`)."""
    from bench.baselines import pandas_merge

    return pandas_merge(paths, out)


def merge_available() -> str | None:
    """None if ``exports.merge_bundles`` can be imported, else why not."""
    try:
        from exports import merge_bundles  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


def _side_by_side(
    paths: list[Path], repeats: int, tmp: Path, *, pandas_repeats: int | None = None
) -> dict[str, Stats]:
    """Ours (``repeats`` runs) and pandas (``pandas_repeats``, default the same; 0 = skip) on
    ``paths``, in rounds that alternate who goes first."""
    template = str(data.province_template())
    files = [str(p) for p in paths]
    wanted = {"ours": repeats, "pandas": repeats if pandas_repeats is None else pandas_repeats}
    steps: dict[str, tuple[str, dict]] = {
        "ours": ("bench.province:merge_ours", {"template": template, "paths": files}),
        "pandas": ("bench.province:merge_pandas", {"paths": files}),
    }
    samples: dict[str, Stats] = {n: Stats([], []) for n in steps if wanted[n]}
    names = list(samples)
    for r in range(max(wanted.values())):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            if r >= wanted[name]:
                continue
            step, kwargs = steps[name]
            res = run_isolated(step, {**kwargs, "out": str(tmp / f"{name}.xlsx")})
            samples[name].samples.append(res.seconds)
            samples[name].peaks_mb.append(res.peak_mb)
    return samples


def _speedup_text(ratio: float, estimated: bool = False) -> str:
    return f"{ratio:.1f}× faster than pandas" + (" (pandas estimated)" if estimated else "")


def typical(quick: bool, progress: Callable[[str], object] = print) -> list[Row]:
    """The typical province: many small county bundles."""
    group = "merge-typical"
    why = merge_available()
    if why:
        return [Row(group, "provincial merge, typical", status=NOT_AVAILABLE, note=why)]
    n = 8 if quick else 183
    paths = data.typical_bundles(n, progress=progress)
    progress(f"{group}: {n} bundles")
    with tempfile.TemporaryDirectory(prefix="kexie-bench-") as tmp:
        res = _side_by_side(paths, 2 if quick else 3, Path(tmp))
    ours, pandas = res["ours"], res["pandas"]
    ratio = pandas.median / ours.median
    label = f"{n} county bundles × (50 records + 12 months of reports)"
    return [
        Row.from_stats(
            group,
            f"merge typical, {label}: ours",
            ours,
            ratio=ratio,
            ratio_text=_speedup_text(ratio),
            target=f"peak < {MEMORY_LIMIT_MB:.0f} MB",
            met=(ours.peak_mb or 0) < MEMORY_LIMIT_MB,
        ),
        Row.from_stats(group, f"merge typical, {label}: pandas (reference)", pandas),
    ]


def stress(
    quick: bool, progress: Callable[[str], object] = print, *, pandas_full: bool = False
) -> list[Row]:
    """Big county bundles at growing N: speed against pandas and flat memory."""
    group = "merge-stress"
    why = merge_available()
    if why:
        return [Row(group, "provincial merge, stress", status=NOT_AVAILABLE, note=why)]
    records = 500 if quick else 2000
    sizes = [2, 4] if quick else [20, 80, 183]
    pandas_sizes = sizes if (quick or pandas_full) else sizes[:2]
    paths = data.stress_bundles(max(sizes), records, progress=progress)
    rows: list[Row] = []
    ours_by_n: dict[int, Stats] = {}
    pandas_by_n: dict[int, Stats] = {}
    with tempfile.TemporaryDirectory(prefix="kexie-bench-") as tmp:
        for n in sizes:
            progress(f"{group}: {n} × {records}")
            repeats = 2 if quick else (3 if n <= 20 else 2 if n <= 80 else 1)
            # pandas runs once per size (minutes each); ours is repeated
            pandas_runs = (2 if quick else 1) if n in pandas_sizes else 0
            res = _side_by_side(paths[:n], repeats, Path(tmp), pandas_repeats=pandas_runs)
            ours_by_n[n] = res["ours"]
            if "pandas" in res:
                pandas_by_n[n] = res["pandas"]
    for n in sizes:
        ours = ours_by_n[n]
        label = f"merge stress, {n} × {records} records"
        if n in pandas_by_n:
            pd_stats = pandas_by_n[n]
            ratio = pd_stats.median / ours.median
            rows.append(Row.from_stats(group, f"{label}: pandas (reference)", pd_stats))
            estimated = False
        else:
            pd_est, peak_est = _extrapolate(pandas_by_n, n)
            ratio = pd_est / ours.median
            rows.append(
                Row(
                    group,
                    f"{label}: pandas (reference)",
                    pd_est,
                    runs=0,
                    peak_mb=peak_est,
                    status=ESTIMATED,
                    note="linear extrapolation from " + ", ".join(map(str, sorted(pandas_by_n))),
                )
            )
            estimated = True
        # the 15× target is for 183 × 2,000; at quick sizes fixed costs dominate, so the
        # ratio is only tracked there
        is_target_size = n == max(sizes) and not quick
        rows.append(
            Row.from_stats(
                group,
                f"{label}: ours",
                ours,
                ratio=ratio,
                ratio_text=_speedup_text(ratio, estimated),
                target=(
                    f"≥ {STRESS_SPEEDUP:.0f}× pandas; peak < {MEMORY_LIMIT_MB:.0f} MB"
                    if is_target_size
                    else f"peak < {MEMORY_LIMIT_MB:.0f} MB"
                ),
                met=((ours.peak_mb or 0) < MEMORY_LIMIT_MB)
                and (ratio >= STRESS_SPEEDUP or not is_target_size),
                note="measured; the ratio uses the estimated pandas time" if estimated else "",
            )
        )
    rows.append(_flatness(group, ours_by_n, records))
    return rows


def _extrapolate(measured: dict[int, Stats], n: int) -> tuple[float, float | None]:
    """Time and peak at ``n`` bundles on the line through the two largest measured sizes."""
    (n1, a), (n2, b) = sorted(measured.items())[-2:]
    slope = (b.median - a.median) / (n2 - n1)
    time_est = b.median + slope * (n - n2)
    peak_est = None
    if a.peak_mb and b.peak_mb:
        peak_est = b.peak_mb + (b.peak_mb - a.peak_mb) / (n2 - n1) * (n - n2)
    return time_est, peak_est


def _flatness(group: str, ours_by_n: dict[int, Stats], records: int) -> Row:
    peaks = {n: s.peak_mb or 0.0 for n, s in sorted(ours_by_n.items())}
    small, large = peaks[min(peaks)], peaks[max(peaks)]
    growth = (large - small) / small if small else 0.0
    text = ", ".join(f"{n}: {p:.0f} MB" for n, p in peaks.items())
    return Row(
        group,
        f"merge stress memory at {' / '.join(map(str, peaks))} bundles × {records}",
        peak_mb=large,
        ratio=1 + growth,
        ratio_text=f"peak grows {growth * 100:+.0f}% from {min(peaks)} to {max(peaks)} bundles",
        target=f"flat (≤ +{FLAT_GROWTH * 100:.0f}%) and < {MEMORY_LIMIT_MB:.0f} MB",
        met=growth <= FLAT_GROWTH and large < MEMORY_LIMIT_MB,
        note=text,
    )


def failed(group: str, scenario: str, exc: Exception) -> Row:
    """A row for a scenario that raised."""
    detail = exc.detail if isinstance(exc, IsolatedError) else f"{type(exc).__name__}: {exc}"
    return Row(group, scenario, status=FAILED, note=detail.strip().splitlines()[-1][:300])
