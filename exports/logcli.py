"""``kexie imports``: the import log (导入记录) — every import and merge attempt, accepted or
refused, newest first (``localdb.journal``)."""

from __future__ import annotations

import argparse
import json
import sys

from i18n import shown, tr


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``imports`` to the ``kexie`` parser."""
    p = subparsers.add_parser(
        "imports", help=tr("journal.cli.help"), description=tr("journal.cli.help")
    )
    p.add_argument("--json", action="store_true", help=tr("journal.cli.opt.json"))
    p.add_argument("--limit", type=int, default=50, metavar="N", help=tr("journal.cli.opt.limit"))
    p.set_defaults(func=cmd_imports)


def outcome_label(outcome: str) -> str:
    return tr(f"journal.outcome.{outcome}") if outcome in OUTCOMES else shown(outcome)


OUTCOMES = ("accepted", "refused", "skipped", "failed")


def describe(row: dict) -> str:
    """One line of the log for people: time, what, outcome, unit, file, first reason."""
    from localdb.journal import reason_text

    first = next((r for r in row["reasons"] if r.get("severity") == "error"), None)
    first = first or (row["reasons"][0] if row["reasons"] else None)
    return tr(
        "journal.line",
        at=row["at"][:19].replace("T", " "),
        kind=tr(f"journal.kind.{row['kind']}")
        if row["kind"] in ("import", "merge")
        else row["kind"],
        outcome=outcome_label(row["outcome"]),
        unit=row["unit"] or "-",
        file=row["name"] or "",
        sha=(row["file_sha256"] or "")[:12],
        reason=reason_text(first) if first else "",
    )


def cmd_imports(args) -> int:
    """Print the import log."""
    from kexie.paths import resolve_data_dir
    from localdb import open_store

    with open_store(resolve_data_dir(args.data), create=False) as store:
        rows = store.journal.transfers(limit=max(args.limit, 1))
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
        return 0
    if not rows:
        print(tr("journal.empty"))
        return 0
    for row in rows:
        print(describe(row))
    return 0
