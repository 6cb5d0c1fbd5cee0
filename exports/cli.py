"""Sub-commands of the bundles: ``export``, ``inspect``, ``import``, ``merge``."""

from __future__ import annotations

import argparse
import json
import sys

from i18n import tr


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this area's sub-commands to the ``kexie`` parser."""
    p = subparsers.add_parser(
        "export", help=tr("bundle.cli.export"), description=tr("bundle.cli.export")
    )
    p.add_argument("--out", metavar="FILE", required=True, help=tr("bundle.cli.opt.out"))
    p.add_argument("--period", metavar="P", help=tr("bundle.cli.opt.period"))
    p.add_argument("--include-sensitive", action="store_true", help=tr("bundle.cli.opt.sensitive"))
    p.add_argument("--bundle-lang", choices=["zh_CN", "en"], help=tr("bundle.cli.opt.bundle_lang"))
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser(
        "inspect", help=tr("bundle.cli.inspect"), description=tr("bundle.cli.inspect")
    )
    p.add_argument("file", metavar="FILE", help=tr("bundle.cli.opt.file"))
    p.set_defaults(func=cmd_inspect)

    p = subparsers.add_parser(
        "import", help=tr("bundle.cli.import"), description=tr("bundle.cli.import")
    )
    p.add_argument("file", metavar="FILE", help=tr("bundle.cli.opt.file"))
    p.add_argument("--allow-outside", action="store_true", help=tr("bundle.cli.opt.outside"))
    p.set_defaults(func=cmd_import)

    p = subparsers.add_parser(
        "merge", help=tr("bundle.cli.merge"), description=tr("bundle.cli.merge")
    )
    p.add_argument("files", metavar="FILE", nargs="+", help=tr("bundle.cli.opt.files"))
    p.add_argument("--out", metavar="OUT", required=True, help=tr("bundle.cli.opt.out"))
    p.add_argument("--allow-outside", action="store_true", help=tr("bundle.cli.opt.outside"))
    p.add_argument("--no-local", action="store_true", help=tr("bundle.cli.opt.no_local"))
    p.set_defaults(func=cmd_merge)


def _store(args):
    from kexie.paths import resolve_data_dir
    from localdb import open_store

    return open_store(resolve_data_dir(args.data), create=False)


def _print(data: dict) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def _change(c) -> dict:
    return {
        "form": c.form_id,
        "uuid": c.uuid,
        "unit": c.unit,
        "period": c.period,
        "reason": tr(c.reason) if c.reason else "",
        "fields": {k: [a, b] for k, (a, b) in c.fields.items()},
    }


def cmd_export(args) -> int:
    """Write this installation's bundle."""
    from exports import export_bundle
    from kexie.tasks import ConsoleTask

    task = ConsoleTask()
    with _store(args) as store:
        s = export_bundle(store, args.out, period=args.period, include_sensitive=args.include_sensitive,
                          lang=args.bundle_lang, task=task)  # fmt: skip
    task.finish()
    _print({
        "out": str(s.path), "sha256": s.sha256, "counts": s.counts, "tombstones": s.tombstones,
        "drafts_left_out": s.drafts_left_out, "sensitive_omitted": s.sensitive_omitted,
        "marked_exported": s.marked_exported, "seconds": round(s.seconds, 3),
    })  # fmt: skip
    return 0


def cmd_inspect(args) -> int:
    """Verify a bundle; print JSON; exit 1 unless valid and untampered."""
    from exports import inspect_bundle
    from exports.loop_cli import inspect_other
    from kexie.tasks import ConsoleTask

    other = inspect_other(args.file)
    if other is not None:  # a return, a form package or a template: verified the same way
        _print(other)
        return 0 if other["valid"] else 1
    task = ConsoleTask()
    result = inspect_bundle(args.file, task=task)
    task.finish()
    _print(result.as_dict())
    return 0 if result.valid else 1


def cmd_import(args) -> int:
    """Take a subordinate unit's bundle into local data."""
    from exports import import_bundle
    from exports.loop_cli import import_any
    from kexie.tasks import ConsoleTask

    task = ConsoleTask()
    with _store(args) as store:
        _kind, other, refused = import_any(
            store, args.file, allow_outside=args.allow_outside, task=task
        )
        if other is not None:  # a return, a form package or a filled-in template
            task.finish()
            _print(other)
            for problem in refused:
                print(problem["message"], file=sys.stderr)
            return 1 if refused else 0
        s = import_bundle(store, args.file, allow_outside=args.allow_outside, task=task)
    task.finish()
    _print({
        "file": str(s.path), "sha256": s.sha256, "added": s.added,
        "superseded": [_change(c) for c in s.superseded], "unchanged": s.unchanged,
        "kept_newer": s.kept_newer, "deleted": s.deleted,
        "conflicts": [_change(c) for c in s.conflicts],
        "refused": [p.as_dict() for p in s.refused],
        "backup": str(s.backup) if s.backup else None, "forms_added": s.forms_added,
        "warnings": [p.as_dict() for p in s.warnings],
    })  # fmt: skip
    for p in s.refused + s.warnings:
        print(p.message(), file=sys.stderr)
    return 1 if s.refused else 0


def cmd_merge(args) -> int:
    """Merge subordinate bundles (and local data) into one bundle for this unit."""
    from exports import merge_bundles
    from kexie.tasks import ConsoleTask

    task = ConsoleTask()
    with _store(args) as store:
        s = merge_bundles(store, args.files, args.out, allow_outside=args.allow_outside, task=task,
                          include_local=not args.no_local)  # fmt: skip
    task.finish()
    _print({
        "out": str(s.path), "sha256": s.sha256, "inputs": s.inputs, "counts": s.counts,
        "contains": s.contains, "skipped_same": s.skipped_same,
        "refused": [p.as_dict() for p in s.refused], "warnings": [p.as_dict() for p in s.warnings],
        "superseded": [_change(c) for c in s.superseded],
        "conflicts": [_change(c) for c in s.conflicts], "seconds": round(s.seconds, 3),
    })  # fmt: skip
    for p in s.refused + s.warnings:
        print(p.message(), file=sys.stderr)
    return 1 if s.refused else 0
