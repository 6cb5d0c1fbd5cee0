"""Build Kexie Collect as a program people install: no Python needed on their machine.

    python scripts/build_app.py                 # freeze into dist/kexie/ and check it
    python scripts/build_app.py --deb           # also dist/kexie_<version>_<arch>.deb (Linux)
    python scripts/build_app.py --deb --verify-deb   # and install, start, uninstall it (root)
    python scripts/build_app.py --installer     # Windows: also the Inno Setup installer
    python scripts/build_app.py --no-freeze --deb    # package an existing dist/kexie/
    python scripts/build_app.py --measure       # folder size and start times → docs/performance.md

The freezing is PyInstaller with ``distribution/kexie.spec`` (one folder, not one file: a
one-file program unpacks itself on every start, which costs seconds). What the checks run, the
.deb's layout and what other systems need are in ``docs/distribution.md``.

Only the standard library at module level: tests import this file to check the packaging
without building.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "distribution" / "kexie.spec"
DIST = ROOT / "dist"
BUILD = ROOT / "build"
APP_DIR = DIST / "kexie"
RESOURCES = ROOT / "desktop" / "resources"
DESKTOP_FILE = ROOT / "distribution" / "linux" / "kexie.desktop"
ISS = ROOT / "distribution" / "windows" / "kexie.iss"
PERF_DOC = ROOT / "docs" / "performance.md"
WINDOWS = sys.platform == "win32"
EXE = "kexie.exe" if WINDOWS else "kexie"

PACKAGE = "kexie-collect"
INSTALL_DIR = "/opt/kexie"
MAINTAINER = "Kexie Collect <support@kexie.invalid>"
COUNTY = "110108000000"  # 北京市海淀区
TOWNSHIPS = ("110108001000", "110108002000")  # two of its streets (township level)
START_BUDGET_S = 2.0
SIZE_BUDGET_MB = 350

# What the frozen Qt needs from the system and does not carry: the X11/xcb libraries of Qt's
# xcb platform plugin (Qt's "X11 requirements"), GL/EGL, fontconfig and D-Bus. PyInstaller
# copies some of them (libX11, libxcb, ...) from the build machine, which does no harm; the
# rest must come from the system. Names as in Debian 10 and later (UOS 20, Kylin V10 too).
DEB_DEPENDS = (
    "libfontconfig1",
    "libfreetype6",
    "libdbus-1-3",
    "libegl1",
    "libgl1",
    "libglib2.0-0",
    "libx11-6",
    "libx11-xcb1",
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-shm0",
    "libxcb-sync1",
    "libxcb-xfixes0",
    "libxcb-xinerama0",
    "libxcb-xkb1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
)
DEB_RECOMMENDS = ("fonts-noto-cjk | fonts-wqy-microhei | fonts-wqy-zenhei",)


def version() -> str:
    """The app's version (kexie/__init__.py), without importing the package."""
    text = (ROOT / "kexie" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    if not found:
        raise SystemExit("kexie/__init__.py has no __version__")
    return found.group(1)


def say(text: str) -> None:
    print(f"[build_app] {text}", flush=True)


# --- freezing ------------------------------------------------------------------------------
def freeze(clean: bool = False) -> Path:
    """Run PyInstaller on the spec; returns dist/kexie/."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise SystemExit("PyInstaller is not installed: pip install -e '.[dist]'") from None
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    cmd += ["--distpath", str(DIST), "--workpath", str(BUILD / "pyinstaller")]
    if clean:
        cmd.append("--clean")
    start = time.perf_counter()
    subprocess.run([*cmd, str(SPEC)], cwd=ROOT, check=True)
    say(f"froze {APP_DIR} in {time.perf_counter() - start:.0f} s")
    return APP_DIR


def folder_size(folder: Path) -> int:
    """Bytes of the files in ``folder`` (symlinks not followed)."""
    total = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total


# --- running the frozen program -------------------------------------------------------------
def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user's machine without Python: no PYTHON*, a plain PATH."""
    env = {
        "PATH": "/usr/bin:/bin" if not WINDOWS else _windows_path(),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
    }
    if WINDOWS:
        for key in ("SystemRoot", "TEMP", "TMP", "USERPROFILE", "LOCALAPPDATA", "APPDATA"):
            if key in os.environ:
                env[key] = os.environ[key]
    env.update(extra)
    return env


def _windows_path() -> str:
    root = os.environ.get("SYSTEMROOT", r"C:\Windows")
    return f"{root}\\System32;{root}"


@dataclass
class Check:
    what: str
    ok: bool
    detail: str = ""


@dataclass
class Checks:
    results: list[Check] = field(default_factory=list)

    def add(self, what: str, ok: bool, detail: str = "") -> bool:
        self.results.append(Check(what, ok, detail))
        say(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail and not ok else ''}")
        return ok

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.results)


def run(exe: Path, args: list[str], env: dict[str, str], timeout: float = 300):
    return subprocess.run(
        [str(exe), *args],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        cwd=env["HOME"],
    )


def processes_of(exe: Path) -> list[int]:
    """Pids of running processes whose program is ``exe`` (Linux /proc; none elsewhere)."""
    if not Path("/proc/self/exe").exists():
        return []
    target = os.path.realpath(exe)
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if os.path.realpath(entry / "exe") == target:
                pids.append(int(entry.name))
    return pids


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def _wait_until(test: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if test():
            return True
        time.sleep(step)
    return test()


def check_program(app: Path, work: Path, *, copy: bool = True, xvfb: bool = True) -> Checks:
    """Run the frozen program as a user would, in a clean environment, from a copy in ``work``
    (not where it was built): every sub-command, the window, merge with worker processes."""
    checks = Checks()
    if copy:
        target = work / "program"
        shutil.copytree(app, target, symlinks=True)
        app = target
    exe = app / EXE
    home = work / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = clean_env(home)
    county, towns = home / "county", [home / f"town-{i}" for i in range(len(TOWNSHIPS))]

    def cmd(what: str, args: list[str], expect: Callable[[str], bool] | None = None, **extra):
        done = run(exe, ["--lang", "en", *args], {**env, **extra})
        out = done.stdout + done.stderr
        good = done.returncode == 0 and "Traceback" not in out and (expect is None or expect(out))
        detail = "" if good else f"exit {done.returncode}: {out.strip()[-600:]}"
        checks.add(what, good, detail)
        return done

    cmd("--version", ["--version"], lambda o: version() in o)
    names = source_commands()
    cmd("--help lists every sub-command of the source (but bench)", ["--help"],
        lambda o: all(re.search(rf"^\s+{re.escape(n)}\s", o, re.M) for n in names if " " not in n))  # fmt: skip
    for name in names:
        cmd(f"{name} --help", [*name.split(), "--help"])
    cmd("units (division tree)", ["--data", str(county), "units", COUNTY, "--json"],
        lambda o: TOWNSHIPS[0] in o)  # fmt: skip
    cmd("units --search (pinyin)", ["--data", str(county), "units", "--search", "hdq"],
        lambda o: COUNTY in o or "海淀" in o)  # fmt: skip
    cmd("init", ["--data", str(county), "init", "--unit", COUNTY, "--clerk", "check"])
    form = ROOT / "forms" / "builtin" / "kexie_survey.xlsx"
    if form.exists():
        shutil.copy(form, home / "survey.xlsx")
        cmd("forms check (built-in form, pyxform)", ["forms", "check", str(home / "survey.xlsx")])
        (home / "answers.json").write_text("{}", encoding="utf-8")
        cmd("forms try", ["forms", "try", str(home / "survey.xlsx"), str(home / "answers.json")])
    for code, folder in zip(TOWNSHIPS, towns, strict=True):
        cmd(f"init {code}", ["--data", str(folder), "init", "--unit", code])
        cmd(f"demo {code}", ["--data", str(folder), "demo", "--records", "30", "--seed", "1"])
        cmd(f"export {code}", ["--data", str(folder), "export", "--out", str(folder) + ".xlsx"])
    cmd("inspect", ["inspect", str(towns[0]) + ".xlsx"], lambda o: '"manifest"' in o or "{" in o)
    cmd("import", ["--data", str(county), "import", str(towns[0]) + ".xlsx"])
    period = _last_month()
    cmd("forms list", ["--data", str(county), "forms", "list"], lambda o: "kexie_survey" in o)
    cmd("report --show", ["--data", str(towns[0]), "report", "kexie_volunteer_monthly",
        "--period", period, "--show"], lambda o: period in o)  # fmt: skip
    cmd("return (a subordinate's report)", ["--data", str(county), "return",
        "kexie_volunteer_monthly", "--unit", TOWNSHIPS[0], "--period", period, "--reason", "check",
        "--out", str(home / "return.xlsx")])  # fmt: skip
    cmd("template", ["--data", str(county), "template", "kexie_volunteer_monthly", "--unit",
        TOWNSHIPS[1], "--period", period, "--out", str(home / "template.xlsx")])  # fmt: skip
    for fmt in ("csv", "sav", "dta"):
        cmd(f"data --format {fmt}", ["--data", str(towns[0]), "data", "kexie_survey", "--format",
            fmt, "--out", str(home / f"survey.{fmt}")])  # fmt: skip
    cmd("print (PDF, Qt)", ["--data", str(towns[0]), "print", "kexie_volunteer_monthly",
        "--period", period, "--out", str(home / "report.pdf")])  # fmt: skip
    pdf = home / "report.pdf"
    checks.add("PDF written", pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-")
    cmd("forms publish", ["--data", str(county), "forms", "publish", "kexie_volunteer_monthly",
        "--out", str(home / "forms.xlsx")])  # fmt: skip
    cmd("status", ["--data", str(county), "status"])
    cmd("imports", ["--data", str(county), "imports"])
    cmd("backup", ["--data", str(county), "backup"])
    backups = sorted((county / "backups").glob("*")) if (county / "backups").exists() else []
    if checks.add("backup file written", bool(backups)):
        cmd("restore", ["--data", str(county), "restore", str(backups[-1])])
    before = set(processes_of(exe))
    merged = home / "merged.xlsx"
    cmd("merge with 2 worker processes (KEXIE_MERGE_WORKERS=2)",
        ["--data", str(county), "merge", *(str(t) + ".xlsx" for t in towns), "--out", str(merged)],
        KEXIE_MERGE_WORKERS="2")  # fmt: skip
    checks.add("merged bundle written", merged.exists() and merged.stat().st_size > 0)
    alone = home / "merged-in-process.xlsx"
    cmd("merge in one process (KEXIE_MERGE_WORKERS=0)",
        ["--data", str(county), "merge", *(str(t) + ".xlsx" for t in towns), "--out", str(alone)],
        KEXIE_MERGE_WORKERS="0")  # fmt: skip
    counts = [_bundle_counts(exe, env, f) for f in (merged, alone)]
    checks.add("workers' merge has the same contents as the in-process one",
               bool(counts[0] and counts[0]["counts"]) and counts[0] == counts[1], str(counts))  # fmt: skip
    if not WINDOWS:  # /proc: Linux only (see docs/distribution.md, Windows)
        stray = sorted(set(processes_of(exe)) - before)
        checks.add("no stray processes after merge", not stray, f"left running: {stray}")
    _check_killed_merge(checks, exe, env, county, towns, home)
    bad = run(exe, ["--lang", "en", "--data", str(county), "import", str(home / "no.xlsx")], env)
    checks.add("bad input: exit 1, one message, no traceback",
               bad.returncode == 1 and "Traceback" not in bad.stderr and bad.stderr.strip() != "",
               bad.stderr.strip()[-300:])  # fmt: skip
    ready = run(exe, ["--data", str(county)], {**env, "KEXIE_EXIT_WHEN_READY": "1"}, 120)
    checks.add("window (offscreen) reaches a usable main window",
               ready.returncode == 0 and "KEXIE-READY" in ready.stdout, ready.stderr[-600:])  # fmt: skip
    shots = BUILD / "checks"
    shots.mkdir(parents=True, exist_ok=True)
    for page in ("dashboard", "records", "about"):
        shot = shots / f"frozen-{page}.png"
        shot.unlink(missing_ok=True)
        done = run(exe, ["--data", str(towns[0])], {**env, "KEXIE_EXIT_WHEN_READY": "1",
                   "KEXIE_READY_PAGE": page, "KEXIE_READY_SCREENSHOT": str(shot)}, 120)  # fmt: skip
        good = done.returncode == 0 and "KEXIE-READY" in done.stdout and shot.exists()
        checks.add(f"window: {page} page shown (screenshot {shot.relative_to(ROOT)})", good,
                   done.stderr[-600:])  # fmt: skip
    logs = [p.name for p in county.glob("kexie*.log")]
    checks.add("window start logged in the data folder", "kexie.log" in logs, f"logs: {logs}")
    checks.add("no crash report left by a clean exit",
               not list(county.glob("kexie-crash-*.log")))  # fmt: skip
    if xvfb and shutil.which("xvfb-run") and not WINDOWS:
        done = subprocess.run(
            ["xvfb-run", "-a", str(exe), "--data", str(county)],
            env={**env, "QT_QPA_PLATFORM": "xcb", "KEXIE_EXIT_WHEN_READY": "1"},
            capture_output=True, text=True, timeout=120, cwd=home,
        )  # fmt: skip
        checks.add("window on X11 (Xvfb, xcb plugin)",
                   done.returncode == 0 and "KEXIE-READY" in done.stdout, done.stderr[-600:])  # fmt: skip
    return checks


def _bundle_counts(exe: Path, env: dict[str, str], bundle: Path) -> dict | None:
    """The record counts `kexie inspect` reads from a bundle (None if it cannot)."""
    done = run(exe, ["inspect", str(bundle)], env)
    try:
        info = json.loads(done.stdout)
    except ValueError:
        return None
    return {"counts": info.get("counts"), "contains": sorted(info.get("contains") or [])}


def source_commands() -> list[str]:
    """Every sub-command (and sub-sub-command: "forms check") of the source's ``kexie``
    command, but bench (not in the frozen program)."""
    sys.path.insert(0, str(ROOT))
    from kexie.cli import build_parser

    found: list[str] = []

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    if prefix or name != "bench":
                        found.append(" ".join([*prefix, name]))
                        walk(child, [*prefix, name])

    walk(build_parser(), [])
    return found


def _last_month() -> str:
    today = time.gmtime()
    year, month = (today.tm_year, today.tm_mon - 1) if today.tm_mon > 1 else (today.tm_year - 1, 12)
    return f"{year}-{month:02d}"


def _check_killed_merge(checks, exe, env, county, towns, home) -> None:
    """Kill a running frozen merge: its worker processes must go too (they watch their parent;
    exports/merge.py). Uses many inputs so the merge is still running when it is killed."""
    if WINDOWS:
        return
    inputs = [str(t) + ".xlsx" for t in towns] * 20
    before = set(processes_of(exe))
    proc = subprocess.Popen(
        [str(exe), "--data", str(county), "merge", *inputs, "--out", str(home / "killed.xlsx")],
        env={**env, "KEXIE_MERGE_WORKERS": "2"}, cwd=home,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        started = _wait_until(lambda: len(_children(proc.pid)) >= 2, 60)
        workers = [p for p in _children(proc.pid) if p in processes_of(exe)]
        if not checks.add("merge starts worker processes in the frozen program",
                          started and len(workers) >= 1, f"children: {_children(proc.pid)}"):  # fmt: skip
            return
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        gone = _wait_until(lambda: not (set(processes_of(exe)) - before), 15)
        left = sorted(set(processes_of(exe)) - before)
        checks.add("workers exit when their merge is killed", gone, f"left running: {left}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        for pid in set(processes_of(exe)) - before:  # never leave our own strays behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


# --- start-up time ---------------------------------------------------------------------------
def start_times(exe: Path, data: Path, runs: int, env: dict[str, str]) -> list[float]:
    """Seconds from spawning the frozen program to a usable main window (the same probe as
    bench/app_start.py: KEXIE_EXIT_WHEN_READY prints KEXIE-READY on the first event-loop turn
    with the window shown)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(
            [str(exe), "--data", str(data)],
            env={**env, "KEXIE_EXIT_WHEN_READY": "1"},
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=env["HOME"],
        )  # fmt: skip
        assert proc.stdout is not None
        ready = any("KEXIE-READY" in line for line in proc.stdout)
        elapsed = time.perf_counter() - start
        proc.wait(60)
        if not ready:
            raise RuntimeError("the frozen program did not report a usable window")
        times.append(elapsed)
    return times


def drop_caches() -> bool:
    """Empty the page cache (as after a reboot); False when this machine does not allow it."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def measure(app: Path, runs: int = 7) -> dict:
    """Folder size, warm start times and (where allowed) cold start times of the frozen program,
    with the start of ``python -m kexie`` in the same run for comparison."""
    with tempfile.TemporaryDirectory(prefix="kexie-measure-") as tmp:
        home = Path(tmp)
        env = clean_env(home)
        data = home / "data"
        done = run(app / EXE, ["--data", str(data), "init", "--unit", COUNTY], env)
        if done.returncode:
            raise RuntimeError(done.stderr)
        run(app / EXE, ["--data", str(data), "demo", "--records", "40"], env)
        start_times(app / EXE, data, 1, env)  # first run: font cache, matplotlib cache
        warm = start_times(app / EXE, data, runs, env)
        source = _source_start_times(data, runs, home)
        cold: list[float] = []
        cold_source: list[float] = []
        for _ in range(3):
            if not drop_caches():
                break
            cold += start_times(app / EXE, data, 1, env)
            if drop_caches():
                cold_source += _source_start_times(data, 1, home)
    result = {
        "version": version(),
        "size_bytes": folder_size(app),
        "files": sum(1 for p in app.rglob("*") if p.is_file()),
        "warm": warm,
        "source": source,
        "cold": cold,
        "cold_source": cold_source,
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "load": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    deb = _built_deb()
    if deb is not None:
        result["deb_bytes"] = deb.stat().st_size
        result["deb_name"] = deb.name
    return result


def _source_start_times(data: Path, runs: int, home: Path) -> list[float]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KEXIE_EXIT_WHEN_READY": "1"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "kexie", "--data", str(data)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
        )  # fmt: skip
        assert proc.stdout is not None
        ready = any("KEXIE-READY" in line for line in proc.stdout)
        times.append(time.perf_counter() - start)
        proc.wait(60)
        if not ready:
            raise RuntimeError("python -m kexie did not report a usable window")
    return times


DOC_BEGIN, DOC_END = "<!-- dist -->", "<!-- /dist -->"


def _stats(times: list[float]) -> str:
    if not times:
        return "not measured"
    return (
        f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, "
        f"{len(times)} runs)"
    )


def doc_section(m: dict) -> str:
    """The distribution section of docs/performance.md (between the dist markers)."""
    size_mb = m["size_bytes"] / 1e6
    warm = statistics.median(m["warm"]) if m["warm"] else None
    cold = statistics.median(m["cold"]) if m["cold"] else None
    ok = "met" if warm is not None and warm < START_BUDGET_S else "MISSED"
    size_ok = "met" if size_mb < SIZE_BUDGET_MB else "MISSED"
    lines = [
        "## Frozen program (distribution)",
        "",
        f"Measured by `python scripts/build_app.py --measure` on {m['when']} ({m['machine']}), "
        f"kexie {m['version']}, load average {m.get('load', '?')} (other jobs share the "
        "machine). This section is written by that script, not by `python -m "
        "bench`, which keeps it (it rewrites only its own marked sections). Start = spawning "
        "the program to its first event-loop turn with the main window shown "
        "(`KEXIE_EXIT_WHEN_READY`, as in `bench/app_start.py`), offscreen, on a county data "
        "folder with demo data.",
        "",
        "| what | figure | budget |",
        "|---|---|---|",
        f"| `dist/kexie/` size | {size_mb:.0f} MB in {m['files']:,} files | < {SIZE_BUDGET_MB} MB: "
        f"{size_ok} |",
    ]
    if "deb_bytes" in m:
        lines.append(f"| `.deb` ({m['deb_name']}) | {m['deb_bytes'] / 1e6:.0f} MB | — |")
    lines += [
        f"| start → usable window, frozen, warm | {_stats(m['warm'])} | < {START_BUDGET_S:.0f} s: "
        f"{ok} |",
        f"| start → usable window, `python -m kexie`, warm (same run) | {_stats(m['source'])} "
        "| — |",
    ]
    if m["cold"]:
        cold_ok = "met" if cold is not None and cold < START_BUDGET_S else "missed"
        lines += [
            f"| start after `echo 3 > /proc/sys/vm/drop_caches` (cold), frozen | "
            f"{_stats(m['cold'])} | < {START_BUDGET_S:.0f} s: {cold_ok} |",
            f"| same, `python -m kexie` | {_stats(m['cold_source'])} | — |",
            "",
            "Cold here means the page cache of this virtual machine was dropped before each "
            "start; the host still caches the disk image, so this is closer to a warm disk "
            "than to a real reboot of an office PC with a hard disk, where reading the ~310 MB "
            "folder's needed part (Qt, Python, numpy) will take longer.",
        ]
    else:
        lines.append("| cold start (page cache dropped) | not measured: this machine does not "
                     "allow writing /proc/sys/vm/drop_caches | — |")  # fmt: skip
    return "\n".join(lines) + "\n"


def write_doc(m: dict, path: Path = PERF_DOC) -> Path:
    """Put the section into docs/performance.md, replacing an earlier one; placed after the
    benchmark sections, so `python -m bench` keeps it (it keeps text after its first marker)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    block = f"{DOC_BEGIN}\n{doc_section(m)}{DOC_END}"
    pattern = re.compile(re.escape(DOC_BEGIN) + r".*?" + re.escape(DOC_END), re.S)
    text = pattern.sub(lambda _m: block, text) if pattern.search(text) else (
        text.rstrip() + "\n\n" + block
    )  # fmt: skip
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
    return path


# --- the .deb --------------------------------------------------------------------------------
def deb_arch() -> str:
    if shutil.which("dpkg"):
        return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                              check=True).stdout.strip()  # fmt: skip
    return {"x86_64": "amd64", "aarch64": "arm64", "loongarch64": "loong64"}.get(
        platform.machine(), platform.machine()
    )


def deb_control(installed_kb: int, arch: str) -> str:
    """The DEBIAN/control file."""
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {version()}\n"
        f"Architecture: {arch}\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {installed_kb}\n"
        f"Depends: {', '.join(deb_depends())}\n"
        f"Recommends: {', '.join(DEB_RECOMMENDS)}\n"
        "Section: misc\n"
        "Priority: optional\n"
        "Homepage: https://kexie.invalid/\n"
        "Description: Kexie Collect (科协数据采集): offline surveys and reports\n"
        " Records surveys and monthly reports of science and technology associations\n"
        " offline, and exports and merges Excel bundles level by level (township,\n"
        " county, city, province). Installed under /opt/kexie; the command is kexie.\n"
    )


def deb_depends() -> list[str]:
    """DEB_DEPENDS plus the C library: a frozen program needs the glibc it was built with or a
    newer one (PyInstaller; PySide6 6.10+ wheels need 2.34 themselves)."""
    libc, ver = platform.libc_ver()
    glibc = [f"libc6 (>= {ver})"] if libc == "glibc" and ver else ["libc6"]
    return glibc + list(DEB_DEPENDS)


def stage_deb(app: Path, root: Path, arch: str | None = None) -> Path:
    """Lay out the package tree in ``root`` (removed first) from the frozen folder ``app``."""
    arch = arch or deb_arch()
    if root.exists():
        shutil.rmtree(root)
    opt = root / INSTALL_DIR.lstrip("/")
    shutil.copytree(app, opt, symlinks=True)
    for path in [opt, *opt.rglob("*")]:  # readable by everyone, nothing writable but by root
        if path.is_symlink():
            continue
        mode = 0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644
        path.chmod(mode)
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "kexie").symlink_to(f"{INSTALL_DIR}/kexie")
    apps = root / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copy(DESKTOP_FILE, apps / "kexie.desktop")
    icons = root / "usr" / "share" / "icons" / "hicolor"
    for sub, name in (("256x256/apps", "kexie.png"), ("scalable/apps", "kexie.svg")):
        (icons / sub).mkdir(parents=True)
        shutil.copy(RESOURCES / name, icons / sub / name)
    pixmaps = root / "usr" / "share" / "pixmaps"  # menus that do not read the icon theme
    pixmaps.mkdir(parents=True)
    shutil.copy(RESOURCES / "kexie.png", pixmaps / "kexie.png")
    doc = root / "usr" / "share" / "doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Kexie Collect\nLicense: MIT\n\nThe program folder /opt/kexie also carries Python, Qt "
        "(LGPLv3, PySide6) and the libraries listed in the project's pyproject.toml, each "
        "under its own licence.\n",
        encoding="utf-8",
    )
    for path in [*apps.rglob("*"), *icons.rglob("*"), *pixmaps.rglob("*"), *doc.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    debian = root / "DEBIAN"
    debian.mkdir()
    installed_kb = (folder_size(root) + 1023) // 1024
    (debian / "control").write_text(deb_control(installed_kb, arch), encoding="utf-8")
    for path in [root, *root.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    return root


def build_deb(app: Path, out_dir: Path = DIST) -> Path:
    """dist/kexie-collect_<version>_<arch>.deb from the frozen folder."""
    if not shutil.which("dpkg-deb"):
        raise SystemExit("dpkg-deb is needed for --deb (Debian/Ubuntu/UOS/Kylin: apt install dpkg)")
    arch = deb_arch()
    root = stage_deb(app, BUILD / "deb" / f"{PACKAGE}_{version()}_{arch}", arch)
    out = out_dir / f"{PACKAGE}_{version()}_{arch}.deb"
    start = time.perf_counter()
    # xz: every dpkg reads it (zstd needs dpkg 1.21.18+; UOS 20 and Kylin V10 are older).
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(out)],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    say(f"built {out} ({out.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.0f} s")
    return out


def _built_deb() -> Path | None:
    found = sorted(DIST.glob(f"{PACKAGE}_{version()}_*.deb"))
    return found[-1] if found else None


def _installed_files() -> list[str]:
    done = subprocess.run(["dpkg", "-L", PACKAGE], capture_output=True, text=True)
    return (
        [line for line in done.stdout.splitlines() if line.strip()] if done.returncode == 0 else []
    )


def verify_deb(deb: Path, work: Path) -> Checks:
    """Install the .deb (dpkg -i), start it as a user would, uninstall it (dpkg -r) and check
    that it left no file behind. Needs root; refuses when the package is already installed."""
    checks = Checks()
    if subprocess.run(["dpkg", "-s", PACKAGE], capture_output=True).returncode == 0:
        checks.add("package not installed before the check", False,
                   f"{PACKAGE} is installed already; remove it first (dpkg -r {PACKAGE})")  # fmt: skip
        return checks
    if shutil.which("desktop-file-validate"):
        done = subprocess.run(["desktop-file-validate", str(DESKTOP_FILE)],
                              capture_output=True, text=True)  # fmt: skip
        checks.add("desktop-file-validate kexie.desktop", done.returncode == 0 and not done.stdout,
                   done.stdout + done.stderr)  # fmt: skip
    paths = deb_paths(deb)
    existed = {p for p in paths if os.path.lexists(p)}  # /, /opt, /usr/share/applications, ...
    done = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True)
    if not checks.add("dpkg -i", done.returncode == 0, done.stdout[-400:] + done.stderr[-800:]):
        subprocess.run(["dpkg", "-r", PACKAGE], capture_output=True)
        return checks
    try:
        files = _installed_files()
        checks.add("installed under /opt/kexie with /usr/bin/kexie, menu entry and icon",
                   all(p in files for p in (INSTALL_DIR + "/kexie", "/usr/bin/kexie",
                                            "/usr/share/applications/kexie.desktop",
                                            "/usr/share/icons/hicolor/256x256/apps/kexie.png")))  # fmt: skip
        home = work / "deb-home"
        home.mkdir(parents=True, exist_ok=True)
        env = clean_env(home)
        v = run(Path("/usr/bin/kexie"), ["--version"], env)
        checks.add("kexie --version from /usr/bin (symlink)", version() in v.stdout + v.stderr,
                   v.stderr[-300:])  # fmt: skip
        data = home / "data"
        init = run(Path("/usr/bin/kexie"), ["--data", str(data), "init", "--unit", COUNTY], env)
        checks.add(
            "kexie init from the installed program", init.returncode == 0, init.stderr[-300:]
        )
        exec_line = _desktop_exec(Path("/usr/share/applications/kexie.desktop"))
        win = subprocess.run([*exec_line, "--data", str(data)],
                             env={**env, "KEXIE_EXIT_WHEN_READY": "1"},
                             capture_output=True, text=True, timeout=120, cwd=home)  # fmt: skip
        checks.add(f"menu entry's command starts the window ({' '.join(exec_line)})",
                   win.returncode == 0 and "KEXIE-READY" in win.stdout, win.stderr[-600:])  # fmt: skip
        before = {p for p in files if Path(p).exists()}
        owned_dirs = {p for p in before if p.startswith(INSTALL_DIR)}
        checks.add("nothing written into /opt/kexie while running",
                   _tree(Path(INSTALL_DIR)) <= owned_dirs | {INSTALL_DIR},
                   str(sorted(_tree(Path(INSTALL_DIR)) - owned_dirs)[:10]))  # fmt: skip
    finally:
        done = subprocess.run(["dpkg", "-r", PACKAGE], capture_output=True, text=True)
    checks.add("dpkg -r", done.returncode == 0, done.stderr[-400:])
    left = [p for p in paths if os.path.lexists(p) and p not in existed]
    checks.add("no file left after dpkg -r", not left and not os.path.lexists(INSTALL_DIR),
               str(left[:10]))  # fmt: skip
    status = subprocess.run(["dpkg", "-s", PACKAGE], capture_output=True, text=True)
    checks.add("package fully gone (not even config-files)", status.returncode != 0,
               status.stdout[:200])  # fmt: skip
    return checks


def deb_paths(deb: Path) -> list[str]:
    """Every path the package holds, as installed (/opt/kexie/..., /usr/bin/kexie, ...)."""
    listing = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True,
                             check=True).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(listing)) as tar:
        return sorted({os.path.normpath("/" + m.name.lstrip("./")) for m in tar.getmembers()})


def _tree(folder: Path) -> set[str]:
    return {str(p) for p in folder.rglob("*")} | ({str(folder)} if folder.exists() else set())


def _desktop_exec(path: Path) -> list[str]:
    """The program of a .desktop file's Exec line, without field codes (%f, %U, ...)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            return [part for part in line[5:].split() if not part.startswith("%")]
    raise ValueError(f"{path} has no Exec line")


# --- Windows installer -----------------------------------------------------------------------
def build_installer(app: Path) -> Path:
    """dist/KexieCollect-<version>-setup.exe with Inno Setup's compiler (Windows only)."""
    iscc = shutil.which("iscc") or next(
        (p for p in (Path(os.environ.get(v, "")) / "Inno Setup 6" / "ISCC.exe"
                     for v in ("ProgramFiles(x86)", "ProgramFiles")) if p.exists()), None)  # fmt: skip
    if not iscc:
        raise SystemExit("Inno Setup 6 is needed for --installer (ISCC.exe not found)")
    subprocess.run([str(iscc), f"/DAppVersion={version()}", f"/DSourceDir={app}",
                    f"/DOutputDir={DIST}", str(ISS)], check=True)  # fmt: skip
    out = DIST / f"KexieCollect-{version()}-setup.exe"
    say(f"built {out}")
    return out


# --- command line ----------------------------------------------------------------------------
@contextlib.contextmanager
def _workdir(keep: bool) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="kexie-dist-check-"))
    try:
        yield folder
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-freeze", action="store_true", help="use the existing dist/kexie/")
    parser.add_argument("--clean", action="store_true", help="PyInstaller --clean (no cache)")
    parser.add_argument("--no-check", action="store_true", help="skip running the program")
    parser.add_argument("--deb", action="store_true", help="build the .deb (Linux)")
    parser.add_argument("--verify-deb", action="store_true",
                        help="install, start and uninstall the .deb (root; changes this system)")  # fmt: skip
    parser.add_argument("--installer", action="store_true", help="Windows: Inno Setup installer")
    parser.add_argument("--measure", action="store_true",
                        help="measure size and start times; write docs/performance.md")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the check's work folder")
    parser.add_argument("--json", metavar="FILE", help="write the checks and figures as JSON")
    args = parser.parse_args(argv)

    app = APP_DIR if args.no_freeze else freeze(args.clean)
    if not (app / EXE).exists():
        raise SystemExit(f"{app / EXE} does not exist: build it first (without --no-freeze)")
    report: dict = {"app": str(app), "size_bytes": folder_size(app), "checks": []}
    say(f"{app}: {report['size_bytes'] / 1e6:.0f} MB")
    ok = True
    with _workdir(args.keep) as work:
        if not args.no_check:
            checks = check_program(app, work)
            report["checks"] += [c.__dict__ for c in checks.results]
            ok &= checks.ok
        if args.deb or args.verify_deb:
            deb = build_deb(app) if args.deb else _built_deb()
            if deb is None:
                raise SystemExit("no .deb in dist/: add --deb")
            report["deb"] = str(deb)
            if args.verify_deb:
                checks = verify_deb(deb, work)
                report["checks"] += [c.__dict__ for c in checks.results]
                ok &= checks.ok
        if args.installer:
            report["installer"] = str(build_installer(app))
    if args.measure:
        figures = measure(app)
        report["measure"] = figures
        say(f"measured: {json.dumps(figures)}")
        say(f"wrote {write_doc(figures)}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False), "utf-8")
    failed = [c for c in report["checks"] if not c["ok"]]
    say("all checks passed" if ok else f"{len(failed)} check(s) FAILED: "
        + "; ".join(c["what"] for c in failed))  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
