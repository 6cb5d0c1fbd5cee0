"""Sub-commands of the downward half of the loop: ``return`` (退回), ``report`` (enter or
correct a report from the command line), ``template`` (fill-in workbooks), ``status``
(timeliness), and ``forms publish`` / ``forms list`` (下发表单).

``kexie import`` (``exports.cli``) recognises every file kind through :func:`import_any`.
"""

from __future__ import annotations

import argparse
import json
import sys

from i18n import tr
from i18n.errors import UsageError


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise UsageError("returns.cli.bad_pair", option=option, value=item)
        out[name.strip()] = text
    return out


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("return", help=tr("returns.cli.return"),
                              description=tr("returns.cli.return"))  # fmt: skip
    p.add_argument("form", metavar="FORM", help=tr("returns.cli.opt.form"))
    p.add_argument("--unit", metavar="CODE", required=True, help=tr("returns.cli.opt.unit"))
    p.add_argument("--period", metavar="P", help=tr("returns.cli.opt.period"))
    p.add_argument("--reason", metavar="TEXT", required=True, help=tr("returns.cli.opt.reason"))
    p.add_argument("--field", metavar="NAME=COMMENT", action="append",
                   help=tr("returns.cli.opt.field"))  # fmt: skip
    p.add_argument("--uuid", metavar="UUID", help=tr("returns.cli.opt.uuid"))
    p.add_argument("--key", metavar="NAME=VALUE", action="append", help=tr("returns.cli.opt.key"))
    p.add_argument("--out", metavar="FILE", required=True, help=tr("bundle.cli.opt.out"))
    p.set_defaults(func=cmd_return)

    p = subparsers.add_parser("report", help=tr("returns.cli.report"),
                              description=tr("returns.cli.report"))  # fmt: skip
    p.add_argument("form", metavar="FORM", help=tr("returns.cli.opt.form"))
    p.add_argument("--unit", metavar="CODE", help=tr("returns.cli.opt.unit"))
    p.add_argument("--period", metavar="P", required=True, help=tr("returns.cli.opt.period"))
    p.add_argument("--set", metavar="NAME=VALUE", action="append", help=tr("returns.cli.opt.set"))
    p.add_argument("--explain", metavar="NAME=TEXT", action="append",
                   help=tr("returns.cli.opt.explain"))  # fmt: skip
    p.add_argument("--key", metavar="NAME=VALUE", action="append", help=tr("returns.cli.opt.key"))
    p.add_argument("--reason", metavar="TEXT", help=tr("returns.cli.opt.response"))
    p.add_argument("--draft", action="store_true", help=tr("returns.cli.opt.draft"))
    p.add_argument("--nil", action="store_true", help=tr("returns.cli.opt.nil"))
    p.add_argument("--show", action="store_true", help=tr("returns.cli.opt.show"))
    p.set_defaults(func=cmd_report)

    p = subparsers.add_parser("template", help=tr("template.cli.help"),
                              description=tr("template.cli.help"))  # fmt: skip
    p.add_argument("form", metavar="FORM", help=tr("returns.cli.opt.form"))
    p.add_argument("--unit", metavar="CODE", help=tr("template.cli.opt.unit"))
    p.add_argument("--period", metavar="P", required=True, help=tr("returns.cli.opt.period"))
    p.add_argument("--out", metavar="FILE", required=True, help=tr("template.cli.opt.out"))
    p.add_argument("--bundle-lang", choices=["zh_CN", "en"], help=tr("bundle.cli.opt.bundle_lang"))
    p.set_defaults(func=cmd_template)

    p = subparsers.add_parser("status", help=tr("timely.cli.help"),
                              description=tr("timely.cli.help"))  # fmt: skip
    p.add_argument("form", metavar="FORM", nargs="?", help=tr("returns.cli.opt.form"))
    p.add_argument("--period", metavar="P", help=tr("returns.cli.opt.period"))
    p.add_argument("--json", action="store_true", help=tr("forms.cli.opt.json"))
    p.set_defaults(func=cmd_status)

    _register_forms(subparsers)


def cmd_status(args) -> int:
    """Who of this unit's direct subordinates reported what, on time or late, with rates."""
    from exports.timeliness import status_table

    with _store(args) as store:
        table = status_table(store, args.form, args.period)
    if args.json:
        _print(table)
        return 0
    for form in table:
        print(
            f"{form['title']}  ({form['form']})  " + tr("timely.cli.due", rule=form["due"] or "-")
        )
        print("  " + "  ".join([tr("bundle.col.unit_name"), *form["periods"],
                                tr("timely.col.rate_reported"), tr("timely.col.rate_on_time")]))  # fmt: skip
        for u in form["units"]:
            cells = []
            for p in form["periods"]:
                c = u["periods"][p]
                text = tr(f"bundle.completeness.{c['state']}")
                if c["timely"] == "late":
                    text += tr("timely.late_days", n=c["days_late"])
                cells.append(text)
            pct = [f"{v * 100:.0f}%" if v is not None else "-"
                   for v in (u["rate_reported"], u["rate_on_time"])]  # fmt: skip
            print("  " + "  ".join([u["name"], *cells, *pct]))
    return 0


def cmd_template(args) -> int:
    from exports.template import write_template, write_templates_for_subordinates

    with _store(args) as store:
        if args.unit:
            _print(write_template(store, args.form, unit=args.unit, period=args.period,
                                  out=args.out, lang=args.bundle_lang))  # fmt: skip
        else:
            done = write_templates_for_subordinates(store, args.form, period=args.period,
                                                    folder=args.out, lang=args.bundle_lang)  # fmt: skip
            _print({"folder": args.out, "templates": [{"out": d["out"], "unit": d["unit"]}
                                                      for d in done]})  # fmt: skip
    return 0


def _register_forms(subparsers: argparse._SubParsersAction) -> None:
    """``forms publish`` and ``forms list``, added to the ``forms`` group of ``forms.cli``."""
    group = subparsers.choices.get("forms")
    if group is None:
        return
    sub = next(a for a in group._actions if isinstance(a, argparse._SubParsersAction))
    p = sub.add_parser("publish", help=tr("packages.cli.publish"),
                       description=tr("packages.cli.publish"))  # fmt: skip
    p.add_argument("forms", metavar="FORM_OR_FILE", nargs="+", help=tr("packages.cli.opt.forms"))
    p.add_argument("--from-period", metavar="P", help=tr("packages.cli.opt.from"))
    p.add_argument("--out", metavar="FILE", required=True, help=tr("bundle.cli.opt.out"))
    p.set_defaults(func=cmd_publish)
    p = sub.add_parser("list", help=tr("packages.cli.list"), description=tr("packages.cli.list"))
    p.add_argument("--json", action="store_true", help=tr("forms.cli.opt.json"))
    p.set_defaults(func=cmd_list)


def cmd_publish(args) -> int:
    from exports.packages import publish

    with _store(args) as store:
        _print(publish(store, args.forms, args.out, from_period=args.from_period))
    return 0


def cmd_list(args) -> int:
    from exports.packages import list_forms

    with _store(args) as store:
        forms = list_forms(store)
    if args.json:
        _print(forms)
        return 0
    for f in forms:
        versions = "、".join(
            v["version"]
            + (tr("packages.list.from", period=v["from_period"]) if v["from_period"] else "")
            for v in f["versions"]
        )
        print(f"{f['form_id']}  {f['title']}  {versions}")
    return 0


def _store(args):
    from kexie.paths import resolve_data_dir
    from localdb import open_store

    return open_store(resolve_data_dir(args.data), create=False)


def _print(data) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def cmd_return(args) -> int:
    from exports.returns import return_report

    with _store(args) as store:
        uuid = args.uuid
        if uuid is None and args.period:
            form = store.form(args.form)
            if form.kind == "report":
                from forms import periods as P
                from localdb.units import require_code

                uuid = _find_keyed(store, form, require_code(args.unit),
                                   P.parse_period(args.period), _key_values(form, args.key, {}))  # fmt: skip
        s = return_report(store, args.form, unit=args.unit, period=args.period, reason=args.reason,
                          fields=_pairs(args.field, "--field"), out=args.out, uuid=uuid)  # fmt: skip
    _print({"out": str(s.path), "form": s.form, "uuid": s.uuid, "unit": s.unit,
            "period": s.period, "reason": s.reason, "fields": s.fields, "id": s.id})  # fmt: skip
    return 0


def cmd_report(args) -> int:
    """Enter, correct, nil-report or show one report of this unit."""
    from exports.returns import correct, history
    from forms.types import coerce_answer

    with _store(args) as store:
        form = store.form(args.form)
        if form.kind != "report":
            raise UsageError("db.not_a_report", form_id=args.form)
        unit = args.unit or store.unit_code
        uuid = _find_keyed(store, form, unit, args.period,
                           _key_values(form, args.key, _pairs(args.set, "--set")))  # fmt: skip
        if args.show:
            rec = store.get(form.form_id, uuid) if uuid else None
            if rec is None:
                raise UsageError("returns.no_record", fix="returns.fix.no_record",
                                 form=form.title(), unit=unit, period=args.period)  # fmt: skip
            rec["_returns"] = history(rec.get("_returns"))
            _print(rec)
            return 0
        if args.nil:
            uuid = store.nil_report(form.form_id, unit=unit, period=args.period)
            _print({"uuid": uuid, "status": "nil"})
            return 0
        from exports.packages import form_for_period

        form = form_for_period(store, form.form_id, args.period)
        version = form.version
        values = {}
        if uuid:
            old = store.get(form.form_id, uuid) or {}
            values = {q.name: old.get(q.name) for q in form.fields() if q.name in old}
        for name, raw in _pairs(args.set, "--set").items():
            if name not in form:
                raise UsageError("returns.unknown_field", fix="returns.fix.field", field=name,
                                 form=form.title())  # fmt: skip
            values[name] = coerce_answer(form.question(name), raw)
        explanations = _pairs(args.explain, "--explain")
        if uuid is None:
            uuid = store.save(form.form_id, values, unit=unit, period=args.period,
                              status="draft" if args.draft else "finalised",
                              explanations=explanations, version=version)  # fmt: skip
        else:
            correct(store, form.form_id, uuid, values, reason=args.reason, version=version,
                    explanations=explanations, finalise=not args.draft)  # fmt: skip
        rec = store.get(form.form_id, uuid) or {}
    _print({"uuid": uuid, "status": rec.get("_status"), "returns": history(rec.get("_returns"))})
    return 0


def _key_values(form, keys: list[str] | None, sets: dict[str, str]) -> dict | None:
    """The report key values named by ``--key`` (else by ``--set``), coerced to their types;
    None when the form has a key and not all of it was given."""
    from forms.types import coerce_answer
    from localdb.schema import report_key

    names = report_key(form)
    raw = {**{n: v for n, v in sets.items() if n in names}, **_pairs(keys, "--key")}
    for name in raw:
        if name not in names:
            raise UsageError("returns.unknown_field", fix="returns.fix.field", field=name,
                             form=form.title())  # fmt: skip
    if not all(n in raw for n in names):
        return None
    return {n: coerce_answer(form.question(n), raw[n]) for n in names}


def _find_keyed(store, form, unit: str, period: str, key: dict | None) -> str | None:
    """The live report of unit × period (× key). A keyed form (one report per venue) whose key
    was not given: the unit's only report of the period, or a clear message naming them all."""
    from localdb.schema import quote, report_key, table_name
    from localdb.units import normalise_code

    names = report_key(form)
    if not names or key is not None:
        return store.find_report(form.form_id, unit=unit, period=period, key=key)
    cols = ", ".join(quote(n) for n in names)
    rows = store.db.execute(
        f"SELECT _uuid, {cols} FROM {quote(table_name(form.form_id))}"
        " WHERE _unit = ? AND _period = ? AND _deleted = 0 ORDER BY 2",
        [normalise_code(unit) or unit, period],
    ).fetchall()
    if len(rows) <= 1:
        return rows[0][0] if rows else None
    keys = "、".join("/".join(str(v) for v in r[1:]) for r in rows)
    raise UsageError("returns.key_needed", form=form.title(), unit=unit, period=period,
                     count=len(rows), keys=keys, name=names[0])  # fmt: skip


def import_any(store, path, *, allow_outside: bool, task):
    """Import whatever kind of file ``path`` is. Returns (kind, JSON-ready summary, refused).
    A bundle goes through ``exports.import_bundle``; the other kinds through their module."""
    from exports.parcel import FORMS, RETURN, TEMPLATE, sniff
    from i18n.errors import BundleError

    try:
        kind = sniff(path)
    except BundleError:
        kind = "kexie-bundle"  # let the bundle importer report the damage in its own words
    if kind == RETURN:
        from exports.returns import import_return

        r = import_return(store, path)
        return kind, {"file": str(r.path), "kind": kind, "form": r.form, "uuid": r.uuid,
                      "unit": r.unit, "period": r.period, "reason": r.reason,
                      "fields": r.fields, "applied": r.applied}, []  # fmt: skip
    if kind == FORMS:
        from exports.packages import import_package

        package = import_package(store, path)
        return kind, {"file": str(path), "kind": kind, **package}, []
    if kind == TEMPLATE:
        from exports.template import import_template

        template = import_template(store, path)
        return kind, {"file": str(path), "kind": kind, **template}, template["refused"]
    return "kexie-bundle", None, None


def inspect_other(path) -> dict | None:
    """``kexie inspect`` of a return, a form package or a template: its manifest (form
    workbooks left out) and whether it is intact; None for a bundle or anything else."""
    from exports.parcel import KINDS, read_parcel, sniff
    from i18n.errors import BundleError

    try:
        kind = sniff(path)
    except BundleError:
        return None
    if kind not in KINDS:
        return None
    try:
        parcel = read_parcel(path, kind)
    except BundleError as exc:
        return {"file": str(path), "kind": kind, "valid": False,
                "findings": [exc.as_problem().as_dict()]}  # fmt: skip
    manifest = dict(parcel.manifest)
    payload = dict(manifest.get("payload") or {})
    if isinstance(payload.get("forms"), list):
        payload["forms"] = [{k: v for k, v in f.items() if k != "data"} for f in payload["forms"]]
    manifest["payload"] = payload
    return {"file": str(path), "kind": kind, "valid": True, "findings": [], "manifest": manifest}
