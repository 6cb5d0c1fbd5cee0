"""``kexie bench`` (the same as ``python -m bench``): run the benchmarks, write the results."""

from __future__ import annotations

import argparse
import sys

from bench.scenarios import SCENARIOS as SCENARIO_NAMES
from i18n import tr


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared by ``kexie bench`` and ``python -m bench``."""
    parser.add_argument("--quick", action="store_true", help=tr("bench.opt.quick"))
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", choices=SCENARIO_NAMES, help=tr("bench.opt.only")
    )
    parser.add_argument("--pandas-full", action="store_true", help=tr("bench.opt.pandas_full"))
    parser.add_argument("--reuse-data", action="store_true", help=tr("bench.opt.reuse_data"))
    parser.add_argument("--no-profile", action="store_true", help=tr("bench.opt.no_profile"))
    parser.add_argument("--out", metavar="FILE.md", help=tr("bench.opt.out"))


def register(subparsers) -> None:
    """Add ``kexie bench`` to the ``kexie`` command."""
    parser = subparsers.add_parser("bench", help=tr("bench.help"), description=tr("bench.help"))
    add_arguments(parser)
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Run the selected scenarios, print the table, write docs/performance.md."""
    from pathlib import Path

    from bench import report, runner

    def progress(text: str) -> None:
        print(tr("bench.progress", step=text), file=sys.stderr, flush=True)

    result = runner.run(
        args.quick,
        args.only,
        pandas_full=args.pandas_full,
        profile=not args.no_profile,
        reuse_data=args.reuse_data,
        progress=progress,
    )
    print(report.console(result))
    if args.out or not args.only:
        path = report.write_doc(result, Path(args.out) if args.out else report.DOC)
        print(tr("bench.written", path=path))
    else:
        print(tr("bench.not_written"))
    missed = sum(1 for r in result.rows if r.met is False)
    unavailable = sum(1 for r in result.rows if r.status in ("not available", "failed"))
    print(
        tr(
            "bench.summary",
            missed=missed,
            unavailable=unavailable,
            minutes=f"{result.elapsed / 60:.1f}",
        )
    )
    return 0
