"""Which forms this installation knows: the built-in ones and those the user added.

Every form version seen is copied into ``DATA/forms/<form_id>/<version>.xlsx`` and listed in the
``_forms`` table, so records saved with an old version can still be opened after the app (or the
user) replaced the form. The current version of a form is the highest version known.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from forms.model import Choice, ChoiceList, Form, Question
from i18n.errors import Location, UsageError

_SAFE = re.compile(r"[^0-9A-Za-z_.-]+")


def version_key(version: str) -> tuple:
    """Sort key for form versions: numeric parts compare as numbers (``2026110102`` > ``9``)."""
    return tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\-_ ]", version or "")
    )


def now_iso() -> str:
    """Current time, ISO 8601 UTC with milliseconds (``2026-11-21T22:30:05.123Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FormRegistry:
    """Built-in plus added forms, every version, loaded lazily and cached."""

    def __init__(self, db: Database, folder: Path) -> None:
        self.db = db
        self.folder = folder  # DATA/forms
        self._cache: dict[tuple[str, str], Form] = {}
        self._current: dict[str, str] = {}
        self._synced = False

    def sync_builtin(self, check=None) -> list[Form]:
        """Register every built-in form version not seen before; returns the new ones."""
        if self._synced:
            return []
        import forms

        new: list[Form] = []
        for form_id in forms.builtin_form_paths():
            form = forms.load_builtin(form_id)
            if self._known(form.form_id, form.version) is None:
                self._record(
                    form, Path(form.source or forms.builtin_form_paths()[form_id]), builtin=True
                )
                new.append(form)
            self._cache[(form.form_id, form.version)] = form
        self._synced = True
        self._current.clear()
        return new

    def add(self, path: Path, check=None) -> Form:
        """Load a form file, ``check(form)`` it, copy it into the data folder and register it."""
        import forms

        form = forms.load_form(Path(path))
        if check is not None:
            check(form)
        self._record(form, Path(path), builtin=False)
        self._cache[(form.form_id, form.version)] = form
        self._current.clear()
        return form

    def register(
        self, form: Form, *, builtin: bool = False, check=None, data: bytes | None = None
    ) -> None:
        """Register an already loaded form (imports, tests).

        The definition is kept as the form's file (``data``, else ``form.source`` if it is a
        file) or, failing both, as JSON in ``_forms.definition``.
        """
        if check is not None:
            check(form)
        if self._known(form.form_id, form.version) is None:
            source = Path(form.source) if form.source and Path(form.source).is_file() else None
            self._record(form, source, builtin=builtin, data=data)
        self._cache[(form.form_id, form.version)] = form
        self._current.clear()

    def form_ids(self) -> list[str]:
        """Every registered form id, built-in first then by id."""
        rows = self.db.execute(
            "SELECT form_id, max(builtin) FROM _forms GROUP BY form_id"
        ).fetchall()
        return [r[0] for r in sorted(rows, key=lambda r: (-r[1], r[0]))]

    def versions(self, form_id: str) -> list[str]:
        """Known versions of a form, oldest first."""
        rows = self.db.execute("SELECT version FROM _forms WHERE form_id = ?", [form_id]).fetchall()
        return sorted((r[0] for r in rows), key=version_key)

    def current_version(self, form_id: str) -> str:
        """The highest known version of ``form_id``; UsageError if the form is unknown."""
        if form_id not in self._current:
            versions = self.versions(form_id)
            if not versions:
                raise UsageError("db.unknown_form", fix="db.unknown_form.fix", form_id=form_id)
            self._current[form_id] = versions[-1]
        return self._current[form_id]

    def get(self, form_id: str, version: str | None = None) -> Form:
        """A form at ``version`` (default: current)."""
        version = version or self.current_version(form_id)
        key = (form_id, version)
        if key not in self._cache:
            row = self._known(form_id, version)
            if row is None:
                raise UsageError("db.unknown_form_version", form_id=form_id, version=version)
            if row:
                import forms

                self._cache[key] = forms.load_form(self.folder.parent / row)
            else:
                text = self.db.execute(
                    "SELECT definition FROM _forms WHERE form_id = ? AND version = ?",
                    [form_id, version],
                ).fetchone()[0]
                self._cache[key] = form_from_json(text)
        return self._cache[key]

    def _known(self, form_id: str, version: str) -> str | None:
        """The stored file of a known version ("" if kept as JSON), None if unknown."""
        row = self.db.execute(
            "SELECT path FROM _forms WHERE form_id = ? AND version = ?", [form_id, version]
        ).fetchone()
        return (row[0] or "") if row else None

    def _record(
        self, form: Form, source: Path | None, *, builtin: bool, data: bytes | None = None
    ) -> None:
        rel = ""
        digest = ""
        definition = None
        if data is not None:
            target = self._target(form, ".xlsx")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            digest = hashlib.sha256(data).hexdigest()
            rel = target.relative_to(self.folder.parent).as_posix()
        elif source is not None and source.is_file():
            target = self._target(form, source.suffix)
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.resolve() != target.resolve():
                shutil.copyfile(source, target)
            digest = hashlib.sha256(target.read_bytes()).hexdigest()
            rel = target.relative_to(self.folder.parent).as_posix()
        elif source is not None:
            raise UsageError(
                "cli.file_not_found", location=Location(file=str(source)), path=str(source)
            )
        else:
            definition = form_to_json(form)
        with self.db.atomic():
            self.db.execute(
                "INSERT OR REPLACE INTO _forms (form_id, version, path, builtin, sha256, added, definition)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [form.form_id, form.version, rel, int(builtin), digest, now_iso(), definition],
            )

    def _target(self, form: Form, suffix: str) -> Path:
        return (
            self.folder
            / _SAFE.sub("_", form.form_id)
            / f"{_SAFE.sub('_', form.version or '0')}{suffix}"
        )


def form_to_json(form: Form) -> str:
    """A form definition as JSON (its data fields; warnings and caches left out)."""

    def plain(obj: object) -> object:
        if dataclasses.is_dataclass(obj):
            return {
                f.name: plain(getattr(obj, f.name))
                for f in dataclasses.fields(obj)
                if not f.name.startswith("_") and f.name != "warnings"
            }
        if isinstance(obj, dict):
            return {k: plain(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [plain(v) for v in obj]
        return obj

    return json.dumps(plain(form), ensure_ascii=False)


def form_from_json(text: str) -> Form:
    """The inverse of :func:`form_to_json`."""

    def question(d: dict) -> Question:
        d = dict(d)
        d["children"] = [question(c) for c in d.get("children", [])]
        return Question(**_known_fields(Question, d))

    data = json.loads(text)
    data["children"] = [question(c) for c in data.get("children", [])]
    data["choice_lists"] = {
        name: ChoiceList(
            cl["name"], [Choice(**_known_fields(Choice, c)) for c in cl.get("choices", [])]
        )
        for name, cl in data.get("choice_lists", {}).items()
    }
    return Form(**_known_fields(Form, data))


def _known_fields(cls: type, data: dict) -> dict:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}
