"""The ``data`` sub-command: a form's records for SPSS, Stata or Excel (``exports.analysis``)."""

from __future__ import annotations

import argparse
import sys

from i18n import tr


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``data`` to the ``kexie`` parser."""
    p = subparsers.add_parser(
        "data", help=tr("analysis.cli.data"), description=tr("analysis.cli.data")
    )
    p.add_argument("form", metavar="FORM", help=tr("paper.cli.opt.form"))
    p.add_argument("--format", choices=["csv", "sav", "dta"], default="csv",
                   help=tr("analysis.cli.opt.format"))  # fmt: skip
    p.add_argument("--out", metavar="FILE", required=True, help=tr("analysis.cli.opt.out"))
    p.add_argument("--period", metavar="P", help=tr("paper.cli.opt.period"))
    p.add_argument("--unit", metavar="CODE", help=tr("analysis.cli.opt.within"))
    p.add_argument("--drafts", action="store_true", help=tr("analysis.cli.opt.drafts"))
    p.add_argument("--include-sensitive", action="store_true", help=tr("paper.cli.opt.sensitive"))
    p.set_defaults(func=cmd_data)


def cmd_data(args) -> int:
    """Write a form's records for SPSS, Stata or Excel, with labels."""
    from exports.analysis import write_data
    from i18n import get_language
    from kexie.paths import resolve_data_dir
    from localdb import open_store

    with open_store(resolve_data_dir(args.data), create=False) as store:
        n = write_data(store, args.form, args.out, fmt=args.format, lang=get_language(),
                       period=args.period, within=args.unit, drafts=args.drafts,
                       include_sensitive=args.include_sensitive)  # fmt: skip
    print(tr("analysis.cli.done", path=args.out, rows=n), file=sys.stderr)
    return 0
