"""The division tree as this installation sees it: built-in units plus local additions/renames.

Boundaries change after the 2023 data (new 街道, mergers) and 科协 units do not always map onto
townships, so a clerk can add a unit under any unit or rename one. Changes live in the table
``_units_local`` and each one writes an audit row (``action`` ``unit_add`` / ``unit_rename``).
A locally added unit gets a code in a band the statistics bureau does not use (township digits
7-9 from 901, county digits 5-6 from 91, city digits 3-4 from 91), so codes stay 12 digits
and prefix-based roll-ups keep working.
"""

from __future__ import annotations

from sqlite_utils import Database

from i18n.errors import UsageError
from localdb.formsreg import now_iso
from localdb.units import LEVELS, Divisions, Unit, divisions, level_of, normalise_code

_BANDS = {"city": (2, 4, 91), "county": (4, 6, 91), "township": (6, 9, 901)}


class LocalUnits(Divisions):
    """:class:`Divisions` with this installation's additions and renames applied."""

    def __init__(self, db: Database, who: str = "") -> None:
        self.db = db
        self.who = who
        self.reload()

    def reload(self) -> None:
        """Re-read the local changes (after another writer changed them)."""
        base = divisions()
        rows = self.db.execute("SELECT code, name, parent, level FROM _units_local").fetchall()
        if not rows:  # the common case: share the built-in tree and its index
            super().__init__(base._units, base._aliases, base.meta)
            self._children = base._index()
            return
        units = dict(base._units)
        for row in rows:
            code, name, parent, level = row
            old = units.get(code)
            if old is not None:
                units[code] = Unit(code, name, old.level, old.parent, old.flags + "L", old.initials)
            else:
                units[code] = Unit(code, name, level, parent, "L", _initials(name))
        super().__init__(units, base._aliases, base.meta)

    def add(
        self, parent: str, name: str, *, code: str | None = None, who: str | None = None
    ) -> Unit:
        """Add a unit under ``parent``; the code is given or picked from the local band."""
        base = self.get(parent)
        name = name.strip()
        if base is None or base.hidden:
            raise UsageError("units.unknown", fix="units.unknown.fix", code=parent)
        if base.level == "township" or not name:
            raise UsageError("units.cannot_add", parent=base.name)
        level = LEVELS[LEVELS.index(base.level) + 1]
        if code is None:
            code = self._free_code(base, level)
        else:
            norm = normalise_code(code)
            if norm is None or level_of(norm) != level or not norm.startswith(base.prefix):
                raise UsageError("units.bad_local_code", code=code, parent=base.name)
            if (taken := self.get(norm)) is not None:
                raise UsageError("units.code_taken", code=norm, name=taken.name)
            code = norm
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO _units_local (code, name, parent, level, action, at, who) VALUES (?,?,?,?,?,?,?)",
                [code, name, base.code, level, "add", now_iso(), who or self.who],
            )
            self._audit("unit_add", code, None, name, who)
        self.reload()
        return self.get(code)  # type: ignore[return-value]

    def rename(
        self, code: str, name: str, *, who: str | None = None, reason: str | None = None
    ) -> Unit:
        """Give a unit a new name (kept locally, audited)."""
        unit = self.get(code)
        name = name.strip()
        if unit is None or unit.hidden:
            raise UsageError("units.unknown", fix="units.unknown.fix", code=code)
        if not name:
            raise UsageError("units.cannot_rename", name=unit.name)
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO _units_local (code, name, parent, level, action, at, who) VALUES (?,?,?,?,?,?,?)"
                " ON CONFLICT(code) DO UPDATE SET name = excluded.name, at = excluded.at, who = excluded.who",
                [unit.code, name, unit.parent, unit.level, "rename", now_iso(), who or self.who],
            )
            self._audit("unit_rename", unit.code, unit.name, name, who, reason)
        self.reload()
        return self.get(unit.code)  # type: ignore[return-value]

    def _free_code(self, base: Unit, level: str) -> str:
        start, end, first = _BANDS[level]
        width = end - start
        for n in range(first, 10**width):
            code = (base.code[:start] + str(n).zfill(width)).ljust(12, "0")
            if self.get(code) is None:
                return code
        raise UsageError("units.cannot_add", parent=base.name)

    def _audit(
        self,
        action: str,
        code: str,
        old: str | None,
        new: str,
        who: str | None,
        reason: str | None = None,
    ) -> None:
        self.db.execute(
            "INSERT INTO _audit (at, who, form_id, record_uuid, field, old, new, reason, action)"
            " VALUES (?, ?, NULL, ?, 'name', ?, ?, ?, ?)",
            [now_iso(), who or self.who, code, old, new, reason, action],
        )


def _initials(name: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return "".join(p[0] for p in lazy_pinyin(name, style=Style.FIRST_LETTER) if p).lower()
