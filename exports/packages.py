"""Form packages (下发表单): an upper level hands its units a new form or a new version of one,
with the period from which it applies.

A package (``kexie-forms``, see ``exports.parcel``) carries, per form: ``form_id``, ``version``,
``title``, ``kind``, ``period_type``, ``from_period`` (or null: from now on), the SHA-256 of
the XLSForm workbook and the workbook itself (base64). Importing verifies each workbook (hash,
the same gate as a bundle, the form checker), registers the versions not yet installed and
records their ``from_period`` (setting ``forms.from_period``). The same package twice changes
nothing; a package whose version is installed here with other content is refused.

:func:`form_for_period` is the version a unit uses for a period: the highest version whose
``from_period`` is not after it (versions without one apply to every period).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from exports.parcel import FORMS, build_manifest, read_parcel, write_parcel
from forms import periods as P
from forms.model import Form
from i18n import tr
from i18n.errors import BundleError, FormError, Location, UsageError

SETTING = "forms.from_period"


def _from_periods(store) -> dict:
    value = store.get_setting(SETTING, {}) or {}
    return value if isinstance(value, dict) else {}


def from_period(store, form_id: str, version: str) -> str | None:
    return (_from_periods(store).get(form_id) or {}).get(version)


def form_for_period(store, form_id: str, period: str | None) -> Form:
    """The version of ``form_id`` that applies to ``period`` (see the module docstring)."""
    from localdb.formsreg import version_key

    current = store.form(form_id)
    if period is None:
        return current
    starts = _from_periods(store).get(form_id) or {}
    versions = sorted(store.registry.versions(form_id), key=version_key)
    for version in reversed(versions):
        start = starts.get(version)
        if start is None or first_month(start) <= first_month(period):
            return store.form(form_id, version)
    return store.form(form_id, versions[0])


def first_month(period: str) -> int:
    """The first month of a period as a month number (``2026`` → January 2026)."""
    kind = P.period_type(period)
    year = int(period[:4])
    if kind == "year":
        return year * 12
    if kind == "quarter":
        return year * 12 + (int(period[-1]) - 1) * 3
    return year * 12 + int(period[5:7]) - 1


def _load(store, spec: str) -> tuple[Form, bytes]:
    """An installed form id, or an XLSForm file (checked: errors refuse it)."""
    path = Path(spec)
    if path.suffix.lower() in (".xlsx", ".xls") or path.exists():
        from forms import check_form

        if not path.is_file():
            raise UsageError(
                "cli.file_not_found", location=Location(file=str(path)), path=str(path)
            )
        result = check_form(path)
        errors = [p for p in result.problems if p.severity == "error"]
        if result.form is None or errors:
            raise FormError("packages.form_has_errors", location=Location(file=str(path)),
                            problems=errors, count=len(errors),
                            first=errors[0].message() if errors else "")  # fmt: skip
        return result.form, path.read_bytes()
    form = store.form(spec)
    source = getattr(form, "source", None)
    if not source or not Path(source).is_file():
        raise UsageError("packages.no_file", form=spec)
    return form, Path(source).read_bytes()


def publish(store, specs: list[str], out: str | Path, *, from_period: str | None = None) -> dict:
    """Write a form package of the forms ``specs`` (ids or files) at ``out``."""
    if from_period is not None:
        from_period = P.parse_period(from_period)
    own = store.unit_code
    if not own:
        raise UsageError("bundle.export.no_unit", fix="bundle.fix.init_unit")
    entries: list[dict[str, Any]] = []
    for spec in specs:
        form, data = _load(store, spec)
        entries.append({
            "form_id": form.form_id, "version": form.version, "title": form.title(),
            "kind": form.kind, "period_type": getattr(form, "period_type", None),
            "from_period": from_period, "sha256": hashlib.sha256(data).hexdigest(),
            "data": base64.b64encode(data).decode("ascii"),
        })  # fmt: skip
    unit = store.units.get(own)
    name = unit.name if unit else own
    manifest = build_manifest(FORMS, {"forms": entries}, unit=own, unit_name=name,
                              clerk=store.clerk)  # fmt: skip
    cover = [(tr("packages.cover.by"), f"{name} {own}"),
             (tr("packages.cover.from"), from_period or tr("packages.cover.now"))]  # fmt: skip
    for e in entries:
        cover.append(
            (e["title"], tr("packages.cover.form", form=e["form_id"], version=e["version"]))
        )
    cover.append((tr("packages.cover.how"), tr("packages.cover.how_text")))
    write_parcel(Path(out), manifest, cover, title=tr("packages.cover.title"))
    # The publishing level uses what it hands down: install it here as well (same rules).
    import_package(store, out)
    return {"out": str(out), "forms": [{k: v for k, v in e.items() if k != "data"}
                                       for e in entries]}  # fmt: skip


def import_package(store, path: str | Path) -> dict:
    """Install the forms of a package (see the module docstring). ``BundleError`` if bad."""
    from exports.safety import check_zip_bytes
    from forms import load_form

    path = Path(path)
    parcel = read_parcel(path, FORMS)
    loc = Location(file=str(path))
    entries = parcel.payload.get("forms")
    if not isinstance(entries, list) or not entries:
        raise BundleError("bundle.manifest.broken", location=loc, fix="bundle.fix.resend",
                          key="forms")  # fmt: skip
    own = store.unit_code
    sender = parcel.unit
    if own and sender != own and not any(u.code == sender for u in store.units.path(own)):
        raise BundleError("packages.not_from_above", location=loc, fix="packages.fix.not_from_above",
                          unit=sender, own=own)  # fmt: skip
    plan = []
    for e in entries:
        try:
            data = base64.b64decode(e["data"], validate=True)
        except (KeyError, TypeError, ValueError):
            raise BundleError("bundle.manifest.broken", location=loc, fix="bundle.fix.resend",
                              key="forms") from None  # fmt: skip
        if hashlib.sha256(data).hexdigest() != e.get("sha256"):
            raise BundleError("bundle.check.hash", location=loc, fix="bundle.fix.resend")
        check_zip_bytes(data, path / f"{e.get('form_id')}-{e.get('version')}.xlsx")
        try:
            form = load_form(data, name=f"{e.get('form_id')}.xlsx")
        except FormError as exc:
            raise BundleError("packages.bad_form", location=loc, form=str(e.get("form_id")),
                              problem=exc.message()) from None  # fmt: skip
        if form.form_id != e.get("form_id") or form.version != e.get("version"):
            raise BundleError("bundle.manifest.broken", location=loc, fix="bundle.fix.resend",
                              key="forms")  # fmt: skip
        start = e.get("from_period")
        if start is not None:
            start = P.parse_period(start)
        known = store.db.execute(
            "SELECT sha256 FROM _forms WHERE form_id = ? AND version = ?",
            [form.form_id, form.version],
        ).fetchone()
        if known is not None and known[0] and known[0] != e["sha256"]:
            raise BundleError("packages.version_clash", location=loc, fix="packages.fix.version_clash",
                              form=form.form_id, version=form.version)  # fmt: skip
        plan.append((form, data, start, known is not None))
    starts = _from_periods(store)
    added: list[str] = []
    unchanged: list[str] = []
    store.backup("import")
    with store.db.atomic():
        for form, data, start, known in plan:
            label = f"{form.form_id} {form.version}"
            before = (starts.get(form.form_id) or {}).get(form.version)
            if known and before == start:
                unchanged.append(label)
                continue
            if not known:
                store.register_form(form, data=data)
            starts.setdefault(form.form_id, {})[form.version] = start
            (unchanged if known and before == start else added).append(label)
        store.set_setting(SETTING, starts)
    return {"added": added, "unchanged": unchanged, "from_period": {
        f"{f.form_id} {f.version}": s for f, _, s, _ in plan}}  # fmt: skip


def list_forms(store) -> list[dict]:
    """Every installed form and version, with the period each version applies from."""
    from localdb.formsreg import version_key

    starts = _from_periods(store)
    out = []
    for form in store.forms():
        versions = sorted(store.registry.versions(form.form_id), key=version_key)
        out.append({
            "form_id": form.form_id, "title": form.title(), "kind": form.kind,
            "period_type": getattr(form, "period_type", None), "current": form.version,
            "versions": [{"version": v, "from_period": (starts.get(form.form_id) or {}).get(v)}
                         for v in versions],
            "due": getattr(form, "settings", {}).get("kexie::due") if hasattr(form, "settings") else None,
        })  # fmt: skip
    return out
