"""Timing and memory measurement for the benchmarks.

Two ways to measure:

- :func:`alternate` times several tools in one process, alternating their order on every
  repeat so that drift (thermal, page cache, other load) hits every tool alike. Used for
  in-process steps such as export against its floors.
- :func:`run_isolated` runs one step in a fresh ``python -m bench.harness`` subprocess and reports
  the time the step itself took (measured inside the child, so interpreter start-up is not
  counted) and its peak memory: the larger of its ``ru_maxrss`` (``os.wait4``) and the summed
  RSS of it and any worker processes it starts (psutil, sampled). Used for the merges, where
  memory is a target.

A step run in a subprocess is named ``"module:function"``; the function takes JSON keyword
arguments and returns a JSON-ready dict, optionally with ``"seconds"`` when it timed only part of
its work itself (e.g. after copying a template data folder).

Every scenario produces :class:`Row` objects; :mod:`bench.report` style output is in
:mod:`bench.cli`.
"""

from __future__ import annotations

import cProfile
import importlib
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# -- statistics ------------------------------------------------------------------------------


@dataclass
class Stats:
    """Median, min and max of repeated timings (seconds) and of peak memory (MB, if measured)."""

    samples: list[float]
    peaks_mb: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    @property
    def peak_mb(self) -> float | None:
        return max(self.peaks_mb) if self.peaks_mb else None


def alternate(
    tools: dict[str, Callable[[], object]],
    repeats: int,
    *,
    warmup: bool = True,
    before_each: Callable[[str], None] | None = None,
) -> dict[str, Stats]:
    """Time each tool ``repeats`` times, rotating the order every round.

    The whole call is timed; put setup in ``before_each(name)`` (untimed). With ``warmup`` each
    tool runs once untimed first (imports, caches), which is what a user's second export sees.
    """
    names = list(tools)
    if warmup:
        for name in names:
            if before_each:
                before_each(name)
            tools[name]()
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            if before_each:
                before_each(name)
            start = time.perf_counter()
            tools[name]()
            samples[name].append(time.perf_counter() - start)
    return {n: Stats(s) for n, s in samples.items()}


# -- results ---------------------------------------------------------------------------------

MEASURED = "measured"
ESTIMATED = "estimated"
NOT_AVAILABLE = "not available"
FAILED = "failed"


@dataclass
class Row:
    """One line of the results table.

    ``ratio`` is a number whose meaning ``ratio_text`` spells out (e.g. "18.3× faster than
    pandas", "2.9× the Python XML floor"); ``met`` is None when there is no target or nothing was
    measured. ``status`` is one of measured / estimated / not available / failed.
    """

    group: str
    scenario: str
    median: float | None = None
    min: float | None = None
    max: float | None = None
    runs: int = 0
    peak_mb: float | None = None
    ratio: float | None = None
    ratio_text: str = ""
    target: str = ""
    met: bool | None = None
    status: str = MEASURED
    note: str = ""

    @classmethod
    def from_stats(cls, group: str, scenario: str, stats: Stats, **kw: object) -> Row:
        """A measured row from :class:`Stats`."""
        return cls(
            group,
            scenario,
            stats.median,
            stats.min,
            stats.max,
            len(stats.samples),
            stats.peak_mb,
            **kw,  # type: ignore[arg-type]
        )


# -- isolated runs ---------------------------------------------------------------------------


@dataclass
class Isolated:
    """One step run in a fresh process."""

    seconds: float
    peak_mb: float
    result: dict


class IsolatedError(RuntimeError):
    """The child process failed; ``detail`` is the tail of its stderr."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env.setdefault("KEXIE_LANG", "en")
    return env


def run_isolated(step: str, kwargs: dict, *, timeout: float = 7200.0) -> Isolated:
    """Run ``step`` ("module:function") with ``kwargs`` in a fresh interpreter.

    Returns the step's own time and the child's peak RSS in MB. Raises :class:`IsolatedError`
    if the child fails or times out.
    """
    with tempfile.TemporaryDirectory(prefix="kexie-bench-") as tmp:
        out = Path(tmp) / "result.json"
        args_file = Path(tmp) / "args.json"
        args_file.write_text(json.dumps(kwargs), encoding="utf-8")
        cmd = [sys.executable, "-m", "bench.harness", step, str(args_file), str(out)]
        err_path = Path(tmp) / "stderr.txt"
        with err_path.open("wb") as err:
            proc = subprocess.Popen(
                cmd, stdout=subprocess.DEVNULL, stderr=err, env=_child_env(), cwd=str(REPO)
            )
            status, peak_mb = _wait_with_peak(proc, timeout)
        if status != 0 or not out.exists():
            tail = err_path.read_text(encoding="utf-8", errors="replace").strip()[-800:]
            raise IsolatedError(step, tail or f"exit status {status}")
        payload = json.loads(out.read_text(encoding="utf-8"))
    return Isolated(payload["seconds"], peak_mb, payload.get("result") or {})


def _wait_with_peak(proc: subprocess.Popen, timeout: float) -> tuple[int, float]:
    """Wait for ``proc``; return (exit status, peak memory in MB).

    Peak memory is the larger of the child's ``ru_maxrss`` (``os.wait4``: exact, but for a
    process that starts workers it is the largest single process, not their sum) and the peak
    of the summed RSS of the child and all its descendants, sampled every 50 ms with psutil.
    """
    import psutil

    deadline = time.monotonic() + timeout
    try:
        root = psutil.Process(proc.pid)
    except psutil.Error:
        root = None
    tree_peak = 0
    while True:
        if hasattr(os, "wait4"):
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                return proc.returncode, max(usage.ru_maxrss / 1024.0, tree_peak / 2**20)
        elif proc.poll() is not None:
            return proc.returncode, tree_peak / 2**20
        if root is not None:
            tree_peak = max(tree_peak, _tree_rss(root))
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            return -9, 0.0
        time.sleep(0.05)


def _tree_rss(root) -> int:
    import psutil

    total = 0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def isolated_repeats(step: str, kwargs: dict, repeats: int) -> Stats:
    """``run_isolated`` ``repeats`` times; times and peaks collected in one :class:`Stats`."""
    runs = [run_isolated(step, kwargs) for _ in range(repeats)]
    return Stats([r.seconds for r in runs], [r.peak_mb for r in runs])


def _resolve(step: str) -> Callable[..., dict]:
    module_name, _, func_name = step.partition(":")
    return getattr(importlib.import_module(module_name), func_name)


def _child_main(argv: list[str]) -> int:
    step, args_file, out = argv
    func = _resolve(step)
    kwargs = json.loads(Path(args_file).read_text(encoding="utf-8"))
    start = time.perf_counter()
    result = func(**kwargs) or {}
    elapsed = time.perf_counter() - start
    seconds = float(result.pop("seconds", elapsed))
    Path(out).write_text(json.dumps({"seconds": seconds, "result": result}), encoding="utf-8")
    return 0


# -- profiles --------------------------------------------------------------------------------


@dataclass
class ProfileLine:
    """One entry of a profile summary."""

    function: str
    calls: int
    own_s: float
    cumulative_s: float


def profile_call(func: Callable[[], object], top: int = 12) -> tuple[float, list[ProfileLine]]:
    """Run ``func`` under cProfile; return total seconds, the top entries by own time, then our
    own functions (exports/, localdb/, forms/, ...) by cumulative time."""
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.runcall(func)
    total = time.perf_counter() - start
    stats = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    ours = []
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        entry = ProfileLine(_short(filename, line, name), nc, tt, ct)
        rows.append(entry)
        if _is_ours(filename):
            ours.append(entry)
    rows.sort(key=lambda r: r.own_s, reverse=True)
    ours.sort(key=lambda r: r.cumulative_s, reverse=True)
    picked = rows[:top]
    # then our own functions by cumulative time: which step of ours the time is under
    picked += [r for r in ours if r not in picked][: top // 2]
    return total, picked


def profile_step(
    step: str, kwargs: dict, top: int = 12, env: dict[str, str] | None = None
) -> tuple[float, list[dict]]:
    """Profile a subprocess step in a fresh interpreter; ``env`` is set in it first."""
    res = run_isolated(
        "bench.harness:_profiled", {"step": step, "kwargs": kwargs, "top": top, "env": env or {}}
    )
    return res.seconds, res.result.get("lines", [])


def _profiled(step: str, kwargs: dict, top: int = 12, env: dict | None = None) -> dict:
    os.environ.update(env or {})
    func = _resolve(step)
    total, lines = profile_call(lambda: func(**kwargs), top)
    return {"seconds": total, "lines": [asdict(x) for x in lines]}


def _is_ours(filename: str) -> bool:
    try:
        rel = Path(filename).resolve().relative_to(REPO)
    except (ValueError, OSError):
        return False
    return rel.parts[0] in {"exports", "localdb", "forms", "desktop", "kexie"}


def _short(filename: str, line: int, name: str) -> str:
    if filename == "~":
        return name  # a builtin
    path = Path(filename)
    try:
        rel = path.resolve().relative_to(REPO)
        where = str(rel)
    except ValueError:
        parts = path.parts
        where = "/".join(parts[-2:]) if "site-packages" in filename else path.name
    return f"{where}:{line}({name})"


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
