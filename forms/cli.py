"""``kexie forms check FORM`` and ``kexie forms try FORM ANSWERS.json``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from i18n import tr


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``forms`` command group to the ``kexie`` parser."""
    forms = subparsers.add_parser(
        "forms", help=tr("forms.cli.help"), description=tr("forms.cli.help")
    )
    sub = forms.add_subparsers(
        dest="forms_command", metavar="COMMAND", required=True, parser_class=type(forms)
    )
    check = sub.add_parser(
        "check", help=tr("forms.cli.check.help"), description=tr("forms.cli.check.help")
    )
    check.add_argument("form", metavar="FORM", help=tr("forms.cli.arg.form"))
    check.add_argument("--json", action="store_true", help=tr("forms.cli.opt.json"))
    check.set_defaults(func=run_check)
    trial = sub.add_parser(
        "try", help=tr("forms.cli.try.help"), description=tr("forms.cli.try.help")
    )
    trial.add_argument("form", metavar="FORM", help=tr("forms.cli.arg.form"))
    trial.add_argument("answers", metavar="ANSWERS.json", help=tr("forms.cli.arg.answers"))
    trial.add_argument(
        "--previous", metavar="PREVIOUS.json", help=tr("forms.cli.opt.previous"), default=None
    )
    trial.set_defaults(func=run_try)


def _count(form) -> int:
    return sum(1 for q in form.walk() if q.type not in ("group", "repeat"))


def run_check(args: argparse.Namespace) -> int:
    """Print OK with a summary (exit 0), or one located line per problem (exit 1)."""
    from forms import check_form

    result = check_form(args.form)
    if getattr(args, "json", False):
        out = {
            "ok": result.ok,
            "problems": [p.as_dict() for p in result.problems],
        }
        if result.form is not None:
            form = result.form
            out.update(
                form_id=form.form_id,
                version=form.version,
                title=form.title(),
                questions=_count(form),
            )
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0 if result.ok else 1
    if result.form is not None:
        form = result.form
        print(
            tr(
                "forms.cli.ok",
                title=form.title(),
                form_id=form.form_id,
                version=form.version or "-",
                count=_count(form),
            )
        )
        for p in result.warnings:
            print(tr("forms.cli.warning_line", message=p.message()))
        return 0
    for p in result.problems:
        if p.severity == "error":
            print(p.message())
        else:
            print(tr("forms.cli.warning_line", message=p.message()))
    print(tr("forms.cli.failed", count=len(result.errors)), file=sys.stderr)
    return 1


def _json_object(path: Path) -> dict:
    """A JSON object from ``path`` (answers, previous-period answers), or a UsageError."""
    from i18n.errors import Location, UsageError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError("cli.file_not_found", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            "forms.load.unreadable", location=Location(file=str(path)), detail=str(exc)[:200]
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            "forms.cli.bad_json", file=path.name, line=exc.lineno, column=exc.colno, detail=exc.msg
        ) from None
    if not isinstance(data, dict):
        raise UsageError("forms.cli.answers_not_object", file=path.name)
    return data


def run_try(args: argparse.Namespace) -> int:
    """Evaluate the form with the answers in a JSON file and print every field's state."""
    from forms import load_form
    from forms.engine import FormEngine

    form = load_form(args.form)
    answers = _json_object(Path(args.answers))
    previous = _json_object(Path(args.previous)) if getattr(args, "previous", None) else None
    unknown = [name for name in answers if name.split("/")[-1].split("[")[0] not in form]
    for name in unknown:
        print(tr("forms.cli.unknown_answer", name=name), file=sys.stderr)
    engine = FormEngine(
        form, {k: v for k, v in answers.items() if k not in unknown}, previous=previous
    )
    evaluation = engine.evaluation()
    fields = {}
    for key, state in evaluation.fields.items():
        name = key.rsplit("/", 1)[-1]
        q = form.get(name)
        if q is None or not q.stores_value:
            continue
        fields[key] = {
            "relevant": state.relevant,
            "required": state.required,
            "valid": state.valid,
            "value": state.value,
            "message": state.message,
        }
        if state.severity:
            fields[key]["severity"] = state.severity
    print(json.dumps({"fields": fields}, ensure_ascii=False, indent=2, default=str))
    return 0
