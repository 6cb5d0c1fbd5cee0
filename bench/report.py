"""The results table: printed in the user's language, written to ``docs/performance.md``.

The document holds two generated sections, one for the full run and one for the quick run,
between ``<!-- bench:full -->`` / ``<!-- bench:quick -->`` markers; a run replaces only its own
section, so a quick check does not wipe the full figures. Text outside the markers is kept.
"""

from __future__ import annotations

import re
from pathlib import Path

from bench.harness import ESTIMATED, FAILED, NOT_AVAILABLE, REPO, Row
from bench.runner import Result
from i18n import tr

DOC = REPO / "docs" / "performance.md"

_INTRO = """# Performance

Measured by `python -m bench` (the same as `kexie bench`). Targets and anchors:
`../shared/performance.md`. Figures drift between runs and machines: compare the ratios, which
are taken side by side in one run.

## How to run

```
python -m bench            # full run (the first also makes the data, ~10 min more)
python -m bench --quick    # small sizes, under two minutes once the data exists
python -m bench --only merge-stress export   # some scenarios; results printed, doc untouched
python -m bench --pandas-full                # run pandas on all 183 stress bundles (~14 min, ~15 GB)
```

Scenarios: `merge-typical`, `merge-stress`, `export`, `inspect`, `save`, `forms`, `bundles`,
`app`. The last four are modules of other areas (`bench/save_response.py`,
`bench/forms_engine.py`, `bench/bundles.py`, `bench/app_start.py`, each `run(quick) -> dict`;
the dict is described in `bench/runner.py`); while one does not exist its row says
"not available", never a pass.

## How it measures

- Tools compared with each other run in the same run on the same files, alternating which goes
  first in every round. Median, min and max are over the rounds (`runs`).
- The merges (ours and pandas) each run in a fresh `python -m bench.harness` process; the time is
  measured inside it around the merge call only. Peak memory is the larger of that process's
  `ru_maxrss` (`os.wait4`) and the peak summed RSS of it and its worker processes (psutil,
  sampled every 50 ms), interpreter and imports included.
- Data is made as a user makes it, with `kexie demo` and `kexie export`, in `bench/.data/`
  (git-ignored; remade when forms/, localdb/ or exports/ change). Counties: the 183 county-level
  units of Sichuan (510000), merged at province level.
  - typical: per county a fresh data folder, `kexie init --unit COUNTY`,
    `kexie demo --records 50 --seed S` (survey records plus 12 months of reports for the county
    and its townships), `kexie export`; two counties at a time.
  - stress: the same with `--records 2000` (about 5 s per county): one real demo + export per
    county, no copying or re-keying. `kexie demo` leaves some records as drafts, which export
    leaves out, so a "2,000-record" bundle carries about 1,800 survey records (~90 columns).
- pandas stress: measured at 20 and 80 bundles, estimated at 183 by linear extrapolation unless
  `--pandas-full` (it needs ~4.5 s and ~80 MB per bundle, all held at once). Estimated figures are
  labelled as such in the table.
- Export floors write exactly the cells of the bundle's largest sheet; our export writes the whole
  bundle (cover, every form, reports, roll-ups, manifest).
- Where a target is missed, one run is profiled with cProfile (fresh process): below the table
  are the top entries by own time, then our own functions (exports/, localdb/, forms/) by
  cumulative time. cProfile slows Python code down, so read the shares, not the seconds.
"""


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    return f"{seconds:.0f} s ({seconds / 60:.1f} min)"


def _fmt_met(row: Row, lang: str | None) -> str:
    if row.status in (NOT_AVAILABLE, FAILED):
        return tr(f"bench.status.{'na' if row.status == NOT_AVAILABLE else 'failed'}", lang)
    if row.met is None:
        return ""
    return tr("bench.met.yes" if row.met else "bench.met.no", lang)


def _cells(row: Row, lang: str | None) -> list[str]:
    name = row.scenario
    if row.status == ESTIMATED:
        name += " " + tr("bench.estimated", lang)
    return [
        name,
        _fmt_time(row.median),
        _fmt_time(row.min) if row.runs else "—",
        _fmt_time(row.max) if row.runs else "—",
        str(row.runs) if row.runs else "—",
        row.ratio_text,
        f"{row.peak_mb:.0f} MB" if row.peak_mb else "—",
        row.target,
        _fmt_met(row, lang),
    ]


def _headers(lang: str | None) -> list[str]:
    keys = ("scenario", "median", "min", "max", "runs", "ratio", "peak", "target", "met")
    return [tr(f"bench.col.{k}", lang) for k in keys]


def markdown_table(rows: list[Row], lang: str | None = "en") -> str:
    """The results as a markdown table."""
    lines = ["| " + " | ".join(_headers(lang)) + " |", "|" + "---|" * 9]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "/") for c in _cells(row, lang)) + " |")
    return "\n".join(lines)


def console(result: Result) -> str:
    """The results for the terminal, in the current language (aligned plain text)."""
    table = [_headers(None)] + [_cells(r, None) for r in result.rows]
    widths = [max(_width(r[i]) for r in table) for i in range(len(table[0]))]
    widths[0] = min(widths[0], 70)
    out = []
    for r in table:
        out.append("  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip())
    for row in result.rows:
        if row.note and row.status in (NOT_AVAILABLE, FAILED):
            out.append(f"  {row.scenario}: {row.note}")
    return "\n".join(out)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def section(result: Result) -> str:
    """The generated section for one run (English; the doc is for developers)."""
    kind = "quick" if result.quick else "full"
    m = result.machine
    lines = [
        f"## Results: {kind} run",
        "",
        f"{result.started}, {result.elapsed / 60:.1f} min, commit `{m.get('commit', '?')}`. "
        f"Machine: {m.get('cpus', '?')} CPUs ({m.get('cpu', '?')}), {m.get('memory', '?')}, "
        f"Python {m.get('python', '?')}, {m.get('os', '?')}. {m.get('libraries', '')}. "
        f"Load average (1/5/15 min) before: {m.get('load_before', '?')}, after: "
        f"{m.get('load', '?')} — other jobs on the machine slow every tool, not always alike.",
        "",
        markdown_table(result.rows, "en"),
        "",
        "### Targets",
        "",
    ]
    for row in result.rows:
        if row.target or row.status in (NOT_AVAILABLE, FAILED):
            measured = row.ratio_text or _fmt_time(row.median)
            if row.status in (NOT_AVAILABLE, FAILED):
                verdict = row.status.upper()
                measured = row.note or row.status
            else:
                verdict = "MET" if row.met else "NOT MET"
            est = " (estimated)" if row.status == ESTIMATED else ""
            peak = f", peak {row.peak_mb:.0f} MB" if row.peak_mb else ""
            lines.append(
                f"- **{verdict}**{est} — {row.scenario}: target {row.target or '—'}; "
                f"measured {_fmt_time(row.median)}{peak}; {measured}"
            )
    notes = [r for r in result.rows if r.note and r.status not in (NOT_AVAILABLE, FAILED)]
    if notes:
        lines += ["", "### Notes", ""]
        lines += [f"- {r.scenario}: {r.note}" for r in notes]
    if result.profiles:
        lines += ["", "### Where the time goes (missed targets)", ""]
        for prof in result.profiles:
            lines.append(f"**{prof.scenario}** — {prof.seconds:.2f} s under cProfile. {prof.note}")
            lines.append("")
            if prof.lines:
                lines.append("| function | calls | own s | cumulative s |")
                lines.append("|---|---|---|---|")
                for ln in prof.lines:
                    lines.append(
                        f"| `{ln['function']}` | {ln['calls']} | {ln['own_s']:.3f} | "
                        f"{ln['cumulative_s']:.3f} |"
                    )
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_doc(result: Result, path: Path = DOC) -> Path:
    """Replace this run's section of ``docs/performance.md`` (creating the file if needed)."""
    kind = "quick" if result.quick else "full"
    text = path.read_text(encoding="utf-8") if path.exists() else _INTRO
    if not text.startswith("# Performance"):
        text = _INTRO
    else:
        # keep the generated intro current
        head_end = text.find("<!-- bench:")
        text = _INTRO + ("\n" + text[head_end:] if head_end >= 0 else "")
    begin, end = f"<!-- bench:{kind} -->", f"<!-- /bench:{kind} -->"
    block = f"{begin}\n{section(result)}{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        # full results first, then quick
        if kind == "full" and "<!-- bench:quick -->" in text:
            i = text.index("<!-- bench:quick -->")
            text = text[:i] + block + "\n\n" + text[i:]
        else:
            text = text.rstrip() + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
    return path
