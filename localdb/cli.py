"""Sub-commands of the local database: ``units``, ``init``, ``backup``, ``restore``, ``demo``."""

from __future__ import annotations

import argparse
import json
import sys

from i18n import tr


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this area's sub-commands to the ``kexie`` parser."""
    p = subparsers.add_parser("units", help=tr("units.cli.help"), description=tr("units.cli.help"))
    p.add_argument("code", nargs="?", metavar="CODE", help=tr("units.cli.opt.code"))
    p.add_argument("--search", metavar="TEXT", help=tr("units.cli.opt.search"))
    p.add_argument("--json", action="store_true", help=tr("units.cli.opt.json"))
    change = p.add_mutually_exclusive_group()
    change.add_argument("--add", metavar="NAME", help=tr("units.cli.opt.add"))
    change.add_argument("--rename", metavar="NAME", help=tr("units.cli.opt.rename"))
    p.add_argument("--reason", help=tr("units.cli.opt.reason"))
    p.set_defaults(func=cmd_units)

    p = subparsers.add_parser(
        "init", help=tr("db.cli.init.help"), description=tr("db.cli.init.help")
    )
    p.add_argument("--unit", metavar="CODE", required=True, help=tr("db.cli.opt.unit"))
    p.add_argument("--clerk", metavar="NAME", help=tr("db.cli.opt.clerk"))
    p.set_defaults(func=cmd_init)

    p = subparsers.add_parser(
        "backup", help=tr("db.cli.backup.help"), description=tr("db.cli.backup.help")
    )
    p.add_argument("--reason", default="manual", help=tr("db.cli.opt.reason"))
    p.set_defaults(func=cmd_backup)

    p = subparsers.add_parser(
        "restore", help=tr("db.cli.restore.help"), description=tr("db.cli.restore.help")
    )
    p.add_argument("file", metavar="FILE", help=tr("db.cli.opt.backup_file"))
    p.set_defaults(func=cmd_restore)

    p = subparsers.add_parser(
        "demo", help=tr("db.cli.demo.help"), description=tr("db.cli.demo.help")
    )
    p.add_argument("--unit", metavar="CODE", help=tr("db.cli.opt.demo_unit"))
    p.add_argument("--records", type=int, default=40, metavar="N", help=tr("db.cli.opt.records"))
    p.add_argument("--seed", type=int, default=None, help=tr("db.cli.opt.seed"))
    p.set_defaults(func=cmd_demo)


def _data(args):
    from kexie.paths import resolve_data_dir

    return resolve_data_dir(args.data)


def cmd_units(args) -> int:
    """List the units below CODE (no code: the provinces), or search by name/initials/code."""
    from i18n.errors import KexieError
    from localdb import open_store
    from localdb.units import divisions, resolve_unit

    if args.add or args.rename:
        return _change_unit(args)
    tree = divisions()
    store = None
    try:
        store = open_store(_data(args), create=False)
        tree = store.units
    except KexieError:
        pass  # no data folder yet, or open elsewhere: the built-in tree is enough to browse
    try:
        if args.search:
            within = resolve_unit(tree, args.code).code if args.code else None
            units = tree.search(args.search, within=within)
            parent = None
        elif args.code:
            parent = resolve_unit(tree, args.code)
            units = tree.children(parent.code)
        else:
            parent, units = None, tree.children()
    finally:
        if store is not None:
            store.close()
    if args.json:
        out = {
            "parent": parent.as_dict() if parent else None,
            "units": [u.as_dict() for u in units],
        }
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    if parent is not None:
        path = " › ".join(u.name for u in tree.path(parent.code))
        print(tr("units.cli.header", path=path, code=parent.code, count=len(units)))
    elif not args.search:
        print(tr("units.cli.provinces", count=len(units), vintage=tree.vintage))
    for unit in units:
        note = f"  [{tr('units.cli.local')}]" if unit.local else ""
        level = tr(f"units.level.{unit.level}")
        print(f"{unit.short_code:<10} {unit.name}  ({level}){note}")
    if not units:
        print(tr("units.cli.none"))
    return 0


def _change_unit(args) -> int:
    """``kexie units CODE --add NAME`` / ``--rename NAME``: a local change, audited."""
    from i18n.errors import UsageError
    from localdb import open_store

    if not args.code:
        raise UsageError("units.cli.code_needed")
    with open_store(_data(args), create=False) as store:
        if args.add:
            unit = store.units.add(args.code, args.add)
            print(
                tr(
                    "units.cli.added",
                    name=unit.name,
                    code=unit.code,
                    parent=parent.name
                    if unit.parent and (parent := store.units.get(unit.parent))
                    else "",
                )
            )
        else:
            old = store.units.get(args.code)
            unit = store.units.rename(args.code, args.rename, reason=args.reason)
            print(
                tr(
                    "units.cli.renamed",
                    old=old.name if old else args.code,
                    name=unit.name,
                    code=unit.code,
                )
            )
    return 0


def cmd_init(args) -> int:
    """Set this installation's unit (and clerk), creating the data folder if needed."""
    from localdb import open_store

    folder = _data(args)
    with open_store(folder) as store:
        unit = store.set_unit(args.unit)
        if args.clerk:
            store.set_clerk(args.clerk)
        path = " ".join(u.name for u in store.units.path(unit.code))
    print(
        tr(
            "db.cli.init.done",
            path=path,
            code=unit.code,
            level=tr(f"units.level.{unit.level}"),
            folder=str(folder),
        )
    )
    return 0


def cmd_backup(args) -> int:
    """Back the database up into DATA/backups."""
    from localdb import open_store

    with open_store(_data(args), create=False) as store:
        path = store.backup(args.reason)
    print(tr("db.cli.backup.done", path=str(path)))
    return 0


def cmd_restore(args) -> int:
    """Replace the database with a backup, after backing up the current one."""
    from localdb import restore

    safety = restore(_data(args), args.file)
    print(tr("db.cli.restore.done", file=args.file, safety=str(safety)))
    return 0


def cmd_demo(args) -> int:
    """Fill the data folder with sample data for every built-in form."""
    import time

    from i18n.errors import UsageError
    from kexie.tasks import ConsoleTask
    from localdb import open_store
    from localdb.demo import DEFAULT_UNIT, run_demo

    if args.records < 0:
        raise UsageError("db.cli.bad_records", records=args.records)
    task = ConsoleTask()
    start = time.perf_counter()
    own_folder = not args.data
    folder = demo_folder() if own_folder else _data(args)
    with open_store(folder) as store:
        _refuse_real_data(store, folder)
        store.set_setting("demo", True)  # the app says so in its title
        if store.unit_code is None:
            unit = store.set_unit(args.unit or DEFAULT_UNIT)
            print(tr("db.cli.demo.unit_set", name=unit.name, code=unit.code), file=sys.stderr)
        summary = run_demo(store, unit=args.unit, records=args.records, seed=args.seed, task=task)
    task.finish()
    print(
        tr(
            "db.cli.demo.done",
            count=summary.total,
            unit=summary.unit.name,
            units=summary.units,
            seconds=f"{time.perf_counter() - start:.1f}",
        )
    )
    for form_id, per in summary.counts.items():
        detail = ", ".join(f"{tr('db.status.' + s)} {n}" for s, n in sorted(per.items()))
        print(f"  {form_id}: {detail}")
    if summary.skipped:
        print(tr("db.cli.demo.skipped", count=summary.skipped))
    if own_folder:
        print(tr("db.cli.demo.own_folder", folder=str(folder)))
    return 0


def demo_folder():
    """Where ``kexie demo`` writes without ``--data``: a folder of its own beside the default
    data folder, so a newcomer's real data folder never becomes a demo district."""
    from kexie.paths import default_data_dir

    real = default_data_dir()
    return real.with_name(real.name + "-demo")


def _refuse_real_data(store, folder) -> None:
    """A folder with real records (not made by ``kexie demo``) gets no sample data."""
    from i18n.errors import Location, UsageError

    if store.get_setting("demo") is True or not store.unit_code:
        return
    if any(store.count(form.form_id) for form in store.forms()):
        unit = store.unit
        raise UsageError(
            "db.demo.real_folder",
            location=Location(file=str(folder)),
            fix="db.demo.real_folder.fix",
            folder=str(folder),
            unit=unit.name if unit else store.unit_code,
        )
