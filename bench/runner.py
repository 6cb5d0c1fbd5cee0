"""Runs the scenarios, collects their rows, profiles what misses its target.

Scenarios owned by this package: ``merge-typical``, ``merge-stress`` (:mod:`bench.province`),
``export`` and ``inspect`` (:mod:`bench.floors`). Scenarios owned by other areas are modules with
``run(quick: bool) -> dict`` (see :data:`EXTERNAL`); each runs in a fresh process and is reported
"not available" while its module does not exist.

The dict a scenario module returns, preferably::

    {"results": [{"scenario": "re-evaluate large_cha after one answer",
                  "median": 0.0042, "min": 0.0039, "max": 0.0061,   # seconds
                  "runs": 200,
                  "target": "< 16 ms", "target_s": 0.016,          # optional
                  "met": True,                                     # optional
                  "ratio": 0.26, "ratio_text": "0.26× one frame",  # optional
                  "peak_mb": 80.0, "note": "..."}]}                # optional

A single such dict, ``median_ms``/``min_ms``/``max_ms`` instead of seconds, or a flat
``{name: seconds}`` are accepted too. Where the module gives no target, the target from
``../shared/performance.md`` is matched by the scenario's name (:data:`TARGETS`).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import floors, province
from bench.harness import (
    FAILED,
    NOT_AVAILABLE,
    REPO,
    IsolatedError,
    Row,
    profile_step,
    run_isolated,
)
from bench.scenarios import SCENARIOS

EXTERNAL = {
    "save": "bench.save_response",
    "forms": "bench.forms_engine",
    "bundles": "bench.bundles",
    "app": "bench.app_start",
}
# (group, keywords any of which in the scenario name, limit in seconds, target text)
TARGETS: list[tuple[str, tuple[str, ...], float, str]] = [
    ("save", ("",), 0.005, "< 5 ms median"),
    (
        "forms",
        ("re-eval", "reeval", "re_eval", "set_answer"),
        0.016,
        "< 16 ms",
    ),
    ("forms", ("builtin", "built-in", "built_in"), 0.2, "< 0.2 s"),
    ("forms", ("load",), 1.0, "< 1 s"),
    ("app", ("",), 2.0, "< 2 s to a usable window"),
]


@dataclass
class Profile:
    """Where the time of one missed scenario goes."""

    scenario: str
    seconds: float
    lines: list[dict]
    note: str = ""


@dataclass
class Result:
    """Everything one run produced."""

    quick: bool
    rows: list[Row]
    profiles: list[Profile] = field(default_factory=list)
    started: str = ""
    elapsed: float = 0.0
    machine: dict[str, str] = field(default_factory=dict)
    only: list[str] = field(default_factory=list)


def run(
    quick: bool,
    only: list[str] | None = None,
    *,
    pandas_full: bool = False,
    profile: bool = True,
    reuse_data: bool = False,
    progress: Callable[[str], object] = print,
) -> Result:
    """Run the selected scenarios (all by default) and return their rows."""
    from bench import data

    data.REUSE = reuse_data
    started = datetime.now(UTC)
    before = machine()
    t0 = time.perf_counter()
    wanted = [s for s in SCENARIOS if not only or s in only]
    rows: list[Row] = []
    bundle: str | None = None
    for name in wanted:
        progress(name)
        try:
            if name == "merge-typical":
                rows += province.typical(quick, progress)
            elif name == "merge-stress":
                rows += province.stress(quick, progress, pandas_full=pandas_full)
            elif name == "export":
                more, bundle = floors.export_rows(quick, progress)
                rows += more
            elif name == "inspect":
                if bundle is None and "export" not in wanted:
                    _, bundle = floors.export_rows(True, progress)
                rows += floors.inspect_rows(quick, bundle, progress)
            else:
                rows += external_rows(name, quick)
        except Exception as exc:  # one broken scenario must not hide the rest
            rows.append(province.failed(name, name, exc))
    result = Result(quick, rows, only=list(only or []))
    if profile:
        result.profiles = profiles_for_misses(result, progress)
    result.started = started.strftime("%Y-%m-%d %H:%M UTC")
    result.elapsed = time.perf_counter() - t0
    result.machine = machine()
    result.machine["load_before"] = before.get("load", "?")
    if before.get("commit") != result.machine.get("commit"):
        # others committed while it ran: say which code the figures span
        result.machine["commit"] = f"{before.get('commit')} … {result.machine.get('commit')}"
    return result


# -- scenario modules of other areas ---------------------------------------------------------


def _external_child(module: str, quick: bool) -> dict:
    """Child step: ``module.run(quick)``; its dict travels back as JSON."""
    out = importlib.import_module(module).run(quick)
    return {"payload": out}


def external_rows(group: str, quick: bool) -> list[Row]:
    """Rows of an area's scenario module, or one "not available" row if it does not exist."""
    module = EXTERNAL[group]
    if importlib.util.find_spec(module) is None:
        return [Row(group, module, status=NOT_AVAILABLE, note=f"{module} does not exist yet")]
    try:
        res = run_isolated("bench.runner:_external_child", {"module": module, "quick": quick})
    except IsolatedError as exc:
        last = exc.detail.strip().splitlines()[-1] if exc.detail.strip() else "failed"
        return [Row(group, module, status=FAILED, note=last[:300])]
    rows = normalise(group, module, res.result.get("payload"))
    for row in rows:
        if row.peak_mb is None:
            row.peak_mb = res.peak_mb
    return rows


def normalise(group: str, module: str, payload: object) -> list[Row]:
    """Turn whatever dict a scenario module returned into rows (see the module docstring)."""
    if group == "forms" and isinstance(payload, dict) and "large_cha_load_s" in payload:
        payload = _forms_results(payload)
    items: list[tuple[str, object]] = []
    if isinstance(payload, dict):
        listed = payload.get("results") or payload.get("rows") or payload.get("scenarios")
        if isinstance(listed, list):
            items = [("", x) for x in listed]
        elif isinstance(listed, dict):
            items = list(listed.items())
        elif _timing(payload)[0] is not None:
            items = [("", payload)]
        else:
            items = [(k, v) for k, v in payload.items() if _is_time_key(k)]
    elif isinstance(payload, list):
        items = [("", x) for x in payload]
    rows = []
    for key, item in items:
        row = _row(group, module, key, item)
        if row is not None:
            rows.append(row)
    if not rows:
        return [Row(group, module, status=FAILED, note=f"no timings in {str(payload)[:200]}")]
    return rows


def _is_time_key(key: str) -> bool:
    return key.endswith(("_s", "_ms", "_us", "seconds"))


def _forms_results(p: dict) -> dict:
    """bench/forms_engine.py's flat dict as rows with the targets of performance.md."""
    n = p.get("large_cha_questions", "?")
    rows = [
        {
            "scenario": f"forms: load large_cha.xlsx ({n} questions), cold",
            "median": p["large_cha_load_s"],
            "target": "< 1 s",
            "target_s": 1.0,
        },
        {
            "scenario": f"forms: re-evaluate large_cha after one answer ({p.get('large_cha_reeval_count', '?')} changes)",
            "median_ms": p.get("large_cha_reeval_median_ms"),
            "max_ms": p.get("large_cha_reeval_max_ms"),
            "runs": p.get("large_cha_reeval_count", 1),
            "target": "< 16 ms median",
            "target_s": 0.016,
            "note": f"p95 {p.get('large_cha_reeval_p95_ms')} ms, max {p.get('large_cha_reeval_max_ms')} ms",
        },
    ]
    if "large_cha_worst_field_ms" in p:
        rows.append(
            {
                "scenario": "forms: re-evaluate large_cha, field with the widest dependents "
                f"({p.get('large_cha_worst_field')}, {p.get('large_cha_worst_closure')} dependents)",
                "median_ms": p["large_cha_worst_field_ms"],
                "target": "< 16 ms (one frame)",
                "target_s": 0.016,
            }
        )
    if "large_cha_full_evaluation_ms" in p:
        rows.append(
            {
                "scenario": "forms: full evaluation of large_cha (informational)",
                "median_ms": p["large_cha_full_evaluation_ms"],
            }
        )
    for form_id, secs in sorted((p.get("builtin_load_s") or {}).items()):
        rows.append(
            {
                "scenario": f"forms: load built-in {form_id}, cold",
                "median": secs,
                "target": "< 0.2 s",
                "target_s": 0.2,
            }
        )
    return {"results": rows}


def _seconds(d: dict, name: str) -> float | None:
    for key, scale in ((name, 1.0), (f"{name}_s", 1.0), (f"{name}_ms", 1e-3), (f"{name}_us", 1e-6)):
        value = d.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value) * scale
    return None


def _timing(d: dict) -> tuple[float | None, float | None, float | None]:
    median = _seconds(d, "median")
    if median is None:
        median = _seconds(d, "seconds") or _seconds(d, "time")
    return median, _seconds(d, "min"), _seconds(d, "max")


def _row(group: str, module: str, key: str, item: object) -> Row | None:
    if isinstance(item, int | float) and not isinstance(item, bool):
        scale = 1e-3 if key.endswith("_ms") else 1.0
        item = {"median": float(item) * scale}
    if not isinstance(item, dict):
        return None
    median, lo, hi = _timing(item)
    name = str(item.get("scenario") or item.get("name") or key or module)
    if median is None:
        if item.get("status") or item.get("note"):
            return Row(
                group,
                name,
                status=str(item.get("status") or FAILED),
                note=str(item.get("note") or ""),
            )
        return None
    row = Row(
        group,
        name,
        median,
        lo if lo is not None else median,
        hi if hi is not None else median,
        int(item.get("runs") or item.get("repeats") or item.get("n") or 1),
        item.get("peak_mb") if isinstance(item.get("peak_mb"), int | float) else None,
        item.get("ratio") if isinstance(item.get("ratio"), int | float) else None,
        str(item.get("ratio_text") or ""),
        str(item.get("target") or ""),
        item.get("met") if isinstance(item.get("met"), bool) else None,
        str(item.get("status") or "measured"),
        str(item.get("note") or ""),
    )
    limit = _seconds(item, "target")
    if limit is not None:
        if row.met is None:
            row.met = median <= limit
        if row.ratio is None:
            row.ratio = median / limit
            row.ratio_text = row.ratio_text or f"{row.ratio:.2f}× target"
    if not row.target or row.met is None:
        _apply_known_target(row)
    return row


def _apply_known_target(row: Row) -> None:
    name = row.scenario.lower()
    for group, words, limit, text in TARGETS:
        if group == row.group and any(w in name for w in words):
            row.target = row.target or text
            if row.met is None and row.median is not None:
                row.met = row.median <= limit
            if row.ratio is None and row.median is not None:
                row.ratio = row.median / limit
                row.ratio_text = row.ratio_text or f"{row.ratio:.2f}× the target"
            return


# -- profiles of missed targets --------------------------------------------------------------


def profiles_for_misses(result: Result, progress: Callable[[str], object]) -> list[Profile]:
    """cProfile one representative run of every group with a missed target."""
    missed = []
    for row in result.rows:
        group = row.group
        if group == "bundles" and "merge" in row.scenario.lower():
            group = "merge-stress"  # the exports area's own merge figure: profile the merge itself
        if row.met is False and group not in missed:
            missed.append(group)
    out = []
    for group in missed:
        progress(f"profile {group}")
        try:
            prof = _profile_group(group, result.quick)
        except Exception as exc:  # a failed profile is reported, not fatal
            prof = Profile(group, 0.0, [], note=f"profile failed: {exc}"[:300])
        if prof:
            out.append(prof)
    return out


def _profile_group(group: str, quick: bool) -> Profile | None:
    from bench import data

    if group in ("merge-typical", "merge-stress"):
        if group == "merge-typical":
            paths = data.typical_bundles(8 if quick else 183)
        else:
            paths = data.stress_bundles(4 if quick else 20, 500 if quick else 2000)
        with tempfile.TemporaryDirectory(prefix="kexie-bench-") as tmp:
            kwargs = {
                "template": str(data.province_template()),
                "paths": [str(p) for p in paths],
                "out": str(Path(tmp) / "merged.xlsx"),
            }
            # in one process, so that cProfile sees the reading done by workers otherwise
            secs, lines = profile_step(
                "bench.province:merge_ours", kwargs, env={"KEXIE_MERGE_WORKERS": "0"}
            )
        return Profile(
            f"{group}: merge_bundles of {len(paths)} bundles, no worker processes", secs, lines
        )
    if group in ("export", "inspect"):
        folder = data.records_folder(500 if quick else 2000)
        bundle = str(folder.parent / "bundle.xlsx")
        if group == "export":
            step, kwargs = "bench.floors:_export_once", {"folder": str(folder)}
        else:
            step, kwargs = "bench.floors:_inspect_once", {"bundle": bundle}
        secs, lines = profile_step(step, kwargs)
        return Profile(f"{group}: one run", secs, lines)
    if group in EXTERNAL:
        secs, lines = profile_step(
            "bench.runner:_external_child", {"module": EXTERNAL[group], "quick": True}
        )
        return Profile(f"{group}: {EXTERNAL[group]}.run(quick=True)", secs, lines)
    return None


# -- machine ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    info = {
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
        "cpus": str(_cpu_count()),
        "cpu": _cpu_model(),
    }
    try:
        import psutil

        info["memory"] = f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:
        pass
    from importlib import metadata

    versions = []
    for dist in ("pandas", "openpyxl", "python-calamine", "xlsxwriter", "lxml", "sqlite-utils"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            continue
    info["libraries"] = ", ".join(versions)
    info["commit"] = _git_commit()
    if hasattr(os, "getloadavg"):
        info["load"] = "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    return info


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):  # noqa: SIM115
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


if __name__ == "__main__":  # pragma: no cover - use python -m bench
    sys.exit("use: python -m bench")
