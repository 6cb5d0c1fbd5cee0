"""The ``print`` sub-command: the paper form of a report, a 汇总表 or an interview as PDF.

Registered from ``kexie.cli`` like every area's commands. The content comes from
``exports.paper`` (no Qt); only the rendering needs Qt (``desktop.printing``), imported when
the command runs, so ``kexie --help`` loads no Qt.
"""

from __future__ import annotations

import argparse
import sys

from i18n import tr


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``print`` to the ``kexie`` parser."""
    p = subparsers.add_parser(
        "print", help=tr("paper.cli.print"), description=tr("paper.cli.print")
    )
    p.add_argument("form", metavar="FORM", help=tr("paper.cli.opt.form"))
    p.add_argument("--period", metavar="P", help=tr("paper.cli.opt.period"))
    p.add_argument("--unit", metavar="CODE", help=tr("paper.cli.opt.unit"))
    p.add_argument("--summary", action="store_true", help=tr("paper.cli.opt.summary"))
    p.add_argument("--uuid", metavar="UUID", help=tr("paper.cli.opt.uuid"))
    p.add_argument("--out", metavar="FILE.pdf", required=True, help=tr("paper.cli.opt.out"))
    p.add_argument("--include-sensitive", action="store_true", help=tr("paper.cli.opt.sensitive"))
    p.set_defaults(func=cmd_print)


def _store(args):
    from kexie.paths import resolve_data_dir
    from localdb import open_store

    return open_store(resolve_data_dir(args.data), create=False)


def papers_for(store, args) -> list:
    """The papers ``kexie print`` asks for (``args``: form, period, unit, summary, uuid,
    include_sensitive)."""
    from exports import paper
    from i18n import get_language
    from i18n.errors import UsageError

    lang = get_language()
    if args.uuid:
        form = store.form(args.form)
        if form.kind == "report":
            row = store.get(args.form, args.uuid)
            if row is None or row.get("_deleted"):
                raise UsageError("paper.no_record", uuid=args.uuid, form=args.form,
                                 fix="paper.fix.no_record")  # fmt: skip
            return [paper.report_paper_from(store, form, row, lang)]
        return [paper.interview_paper(store, args.form, args.uuid, lang=lang,
                                      include_sensitive=args.include_sensitive)]  # fmt: skip
    if not args.period:
        raise UsageError("paper.needs_period_or_uuid", fix="paper.fix.not_report")
    if args.summary:
        return [paper.summary_paper(store, args.form, args.period, unit=args.unit, lang=lang)]
    return paper.report_papers(store, args.form, args.period, unit=args.unit, lang=lang)


def cmd_print(args) -> int:
    """Write the paper form of a report, a 汇总表 or an interview as PDF."""
    with _store(args) as store:
        papers = papers_for(store, args)
    from desktop.printing import write_pdf  # Qt only for this command

    pages = write_pdf(papers, args.out)
    print(tr("paper.cli.done", path=args.out, pages=pages), file=sys.stderr)
    return 0
