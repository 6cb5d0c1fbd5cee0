"""Readable, translated summaries of export / import / merge results (what was added,
superseded, refused, and why). Only presentation: the summaries come from ``exports``."""

from __future__ import annotations

from typing import Any

from i18n import compose, tr

MAX_LINES = 10


def _form_title(store: Any, form_id: str) -> str:
    try:
        return store.form(form_id).title()
    except Exception:
        return form_id


def _unit_name(store: Any, code: str | None) -> str:
    if not code:
        return ""
    unit = store.units.get(code)
    return unit.name if unit else code


def _counts(store: Any, counts: dict[str, int]) -> list[str]:
    lines = []
    for key, count in sorted(counts.items()):
        form_id = key.split("__", 1)[0]
        name = _form_title(store, form_id) if "__" not in key else key
        lines.append(tr("ui.summary.count_line", form=name, count=count))
    return lines or [tr("ui.summary.nothing")]


def _limited(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    return [*lines[:MAX_LINES], tr("ui.summary.more", count=len(lines) - MAX_LINES)]


MAX_FIELDS = 5


def _field_names(store: Any, form_id: str, names: list[str]) -> str:
    try:
        form = store.form(form_id)
    except Exception:
        form = None
    shown = [n for n in names if not n.startswith("_")]
    labels = [form.question(n).label() if form is not None and n in form else n for n in shown]
    if len(labels) > MAX_FIELDS:
        return tr("ui.summary.fields_more", fields=tr("ui.list_sep").join(labels[:MAX_FIELDS]),
                  count=len(labels))  # fmt: skip
    return tr("ui.list_sep").join(labels)


def _changes(store: Any, changes: list[Any]) -> list[str]:
    lines = []
    for c in changes:
        fields = _field_names(store, c.form_id, sorted(c.fields or {}))
        lines.append(
            tr(
                "ui.summary.change_line",
                form=_form_title(store, c.form_id),
                unit=_unit_name(store, c.unit),
                period=c.period or "",
                fields=fields,
                reason=tr(c.reason) if c.reason else "",
            )
        )
    return _limited(lines)


def _problems(problems: list[Any]) -> list[str]:
    return _limited([p.message() for p in problems])


def _section(title_key: str, lines: list[str], **params: object) -> list[str]:
    if not lines:
        return []
    return ["", tr(title_key, **params), *[f"  • {line}" for line in lines]]


def export_text(store: Any, s: Any) -> str:
    """Summary of ``export_bundle``."""
    out = [tr("ui.summary.file", path=str(s.path)), *_counts(store, s.counts)]
    if s.drafts_left_out:
        out.append(tr("ui.summary.drafts_left_out", count=s.drafts_left_out))
    if s.tombstones:
        out.append(tr("ui.summary.tombstones", count=s.tombstones))
    omitted = [
        tr(
            "ui.summary.sensitive_line",
            form=_form_title(store, f),
            fields=tr("ui.list_sep").join(names),
        )
        for f, names in (s.sensitive_omitted or {}).items()
        if names
    ]
    out += _section("ui.summary.sensitive", omitted)
    return compose(out)


def import_text(store: Any, s: Any) -> str:
    """Summary of ``import_bundle``: added, superseded, unchanged, refused and why."""
    warnings = list(getattr(s, "warnings", []) or [])
    notes = _section("ui.summary.warnings", _problems(warnings), count=len(warnings))
    if s.refused:
        return compose([tr("ui.summary.refused_all"), *_problems(s.refused), *notes])
    out = [
        tr("ui.summary.added", count=s.added),
        tr("ui.summary.unchanged", count=s.unchanged),
    ]
    if s.kept_newer:
        out.append(tr("ui.summary.kept_newer", count=s.kept_newer))
    if s.deleted:
        out.append(tr("ui.summary.deleted", count=s.deleted))
    out += _section("ui.summary.superseded", _changes(store, s.superseded),
                    count=len(s.superseded))  # fmt: skip
    out += _section("ui.summary.conflicts", _changes(store, s.conflicts),
                    count=len(s.conflicts))  # fmt: skip
    if s.forms_added:
        out.append(tr("ui.summary.forms_added", forms=tr("ui.list_sep").join(s.forms_added)))
    if s.backup:
        out.append(tr("ui.summary.backup", path=str(s.backup)))
    out += notes
    return compose(out)


def merge_text(store: Any, s: Any) -> str:
    """Summary of ``merge_bundles``."""
    out = [
        tr("ui.summary.file", path=str(s.path)),
        tr("ui.summary.inputs", count=s.inputs, units=len(s.contains)),
        *_counts(store, s.counts),
    ]
    out += _section("ui.summary.skipped_same", _limited(list(s.skipped_same)),
                    count=len(s.skipped_same))  # fmt: skip
    out += _section("ui.summary.refused", _problems(s.refused), count=len(s.refused))
    out += _section("ui.summary.superseded", _changes(store, s.superseded),
                    count=len(s.superseded))  # fmt: skip
    out += _section("ui.summary.conflicts", _changes(store, s.conflicts),
                    count=len(s.conflicts))  # fmt: skip
    out += _section("ui.summary.warnings", _problems(s.warnings), count=len(s.warnings))
    return compose(out)


def parcel_text(kind: str, data: dict) -> str:
    """What importing a return, a form package or a filled-in template did, in words."""
    if kind == "kexie-return":
        key = "returns.ui.imported" if data.get("applied") else "returns.ui.already"
        return tr(key, reason=data.get("reason", ""), period=data.get("period") or "")
    if kind == "kexie-forms":
        added = "、".join(data.get("added") or []) or "-"
        return tr("packages.ui.imported", added=added,
                  unchanged=len(data.get("unchanged") or []))  # fmt: skip
    status = data.get("status", "")
    return tr(f"template.ui.{status}", period=data.get("period", ""), unit=data.get("unit", ""))
