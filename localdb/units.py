"""Org units: the official division tree (NBS 2023), plus local additions and renames.

Codes are stored and returned as the 12-digit NBS statistical code (``330106000000`` for 西湖区,
``330106001000`` for one of its 街道). Input may be shorter: a 2/4/6/9-digit code is padded with
zeros, so a 6-digit GB/T 2260 county code is that county. The level follows from the code.

Non-unit nodes of the source tree are kept but hidden: the placeholder prefectures of the
municipalities (北京 ``110100`` 市辖区, 重庆 ``500200`` 县, flag ``P``) and the grouping nodes
of province-managed county-level units (河南 ``419000`` 省直辖县级行政区划, flag ``G``). Their
counties hang directly under the province (``parent``), which is also how their 科协 report.
Prefectures without counties (东莞, 中山, 儋州, 嘉峪关, flag ``S``) have townships as children.
"""

from __future__ import annotations

import gc
import gzip
import re
import threading
from dataclasses import dataclass
from importlib import resources

from i18n.errors import UsageError

LEVELS = ("province", "city", "county", "township")
HIDDEN_FLAGS = frozenset("PG")
_DIGITS = re.compile(r"^\d+$")


# not frozen: a frozen dataclass builds 45k units about twice as slowly; treat it as read-only
@dataclass(slots=True, unsafe_hash=True)
class Unit:
    """One org unit. ``parent`` is the effective parent code (None for provinces)."""

    code: str
    name: str
    level: str
    parent: str | None
    flags: str = ""
    initials: str = ""

    @property
    def short_code(self) -> str:
        """The familiar short code: 6-digit GB/T 2260 (330000, 330100, 330106) or 9-digit township."""
        return self.code[:9] if self.level == "township" else self.code[:6]

    @property
    def hidden(self) -> bool:
        """A placeholder or grouping node of the source tree, not a real unit."""
        return bool(HIDDEN_FLAGS & set(self.flags))

    @property
    def local(self) -> bool:
        """Added or renamed on this installation."""
        return "L" in self.flags

    @property
    def prefix(self) -> str:
        """Code digits that every unit below this one starts with."""
        return self.code[: {"province": 2, "city": 4, "county": 6}.get(self.level, 12)]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "code": self.code,
            "short_code": self.short_code,
            "name": self.name,
            "level": self.level,
            "parent": self.parent,
            "flags": self.flags,
        }


def normalise_code(code: str | int) -> str | None:
    """The 12-digit form of a 2/4/6/9/12-digit code, or None if it is not one."""
    text = str(code).strip().replace(" ", "")
    if not _DIGITS.match(text) or len(text) not in (2, 4, 6, 9, 12):
        return None
    return text.ljust(12, "0")


def level_of(code: str) -> str:
    """Level of a 12-digit code, by its trailing zeros."""
    if code[2:] == "0" * 10:
        return "province"
    if code[4:] == "0" * 8:
        return "city"
    if code[6:] == "0" * 6:
        return "county"
    return "township"


class Divisions:
    """A read-only tree of units with lookups by code, parent and name."""

    def __init__(self, units: dict[str, Unit], aliases: dict[str, str], meta: dict[str, str]):
        self._units = units
        self._aliases = aliases
        self.meta = meta
        self._children: dict[str | None, list[Unit]] | None = None

    @property
    def vintage(self) -> str:
        """Year of the source data (``2023``)."""
        return self.meta.get("vintage", "")

    @property
    def source(self) -> str:
        """Where the data came from."""
        return self.meta.get("source", "")

    def __len__(self) -> int:
        return len(self._units)

    def __iter__(self):
        return iter(self._units.values())

    def get(self, code: str | int) -> Unit | None:
        """The unit with this code (any accepted length), or None."""
        key = normalise_code(code)
        if key is None:
            return None
        key = self._aliases.get(key, key)
        return self._units.get(key)

    def _index(self) -> dict[str | None, list[Unit]]:
        if self._children is None:
            children: dict[str | None, list[Unit]] = {}
            for unit in self._units.values():
                if not unit.hidden:
                    children.setdefault(unit.parent, []).append(unit)
            for items in children.values():
                items.sort(key=lambda u: u.code)
            self._children = children
        return self._children

    def children(self, code: str | int | None = None) -> list[Unit]:
        """Direct subordinate units (no code: the provinces), hidden nodes skipped."""
        if code is None:
            return list(self._index().get(None, []))
        unit = self.get(code)
        return list(self._index().get(unit.code, [])) if unit else []

    def descendants(self, code: str | int) -> list[Unit]:
        """Every unit below ``code``, breadth first."""
        out: list[Unit] = []
        queue = self.children(code)
        while queue:
            unit = queue.pop(0)
            out.append(unit)
            queue.extend(self._index().get(unit.code, []))
        return out

    def path(self, code: str | int) -> list[Unit]:
        """The unit and its ancestors, province first (empty if the code is unknown)."""
        chain: list[Unit] = []
        unit = self.get(code)
        while unit is not None:
            chain.append(unit)
            unit = self._units.get(unit.parent) if unit.parent else None
        return list(reversed(chain))

    def units_at(self, level: str) -> list[Unit]:
        """Every real (not hidden) unit of a level, by code."""
        return sorted(
            (u for u in self._units.values() if u.level == level and not u.hidden),
            key=lambda u: u.code,
        )

    def search(self, text: str, *, within: str | None = None, limit: int | None = 50) -> list[Unit]:
        """Units matching a name part (西湖), pinyin initials (xhq) or a code prefix (3301),
        inside ``within`` (a province's or county's code) when given; ``limit=None``: all.

        Best matches first: exact name, then the unit's *full* initials (``sjz`` → 三界镇 before
        the hundreds of 三家子… that merely start with them), then name or initials start,
        then the rest; each by level and code. (Without the full-initials tier 11 % of the
        townships — 三界镇, 新镇 — fell behind the first 50 prefix matches nationwide and could
        not be found by their initials at all; callers should say when ``limit`` cut.)
        """
        query = text.strip().lower()
        if not query:
            return []
        prefix = ""
        if within:
            base = self.get(within)
            prefix = base.prefix if base else "-"
        if _DIGITS.match(query):
            hits = [u for u in self._units.values() if u.code.startswith(query)]
        else:
            hits = [
                u for u in self._units.values() if query in u.name or u.initials.startswith(query)
            ]
        hits = [u for u in hits if not u.hidden and u.code.startswith(prefix)]
        name = text.strip()

        def rank(u: Unit) -> tuple:
            tier = (
                0
                if u.name == name
                else 1
                if u.initials == query
                else 2
                if u.name.startswith(name) or u.initials.startswith(query)
                else 3
            )
            return (tier, LEVELS.index(u.level), u.code)

        hits.sort(key=rank)
        return hits if limit is None else hits[:limit]

    def suggest(self, code: str) -> list[Unit]:
        """Units a mistyped code probably meant: the longest known prefix and its children."""
        digits = "".join(ch for ch in str(code) if ch.isdigit())
        for length in (9, 6, 4, 2):
            if len(digits) >= length:
                unit = self.get(digits[:length])
                if unit is not None and not unit.hidden:
                    return [unit]
        return []


def parse(text: str) -> tuple[dict[str, Unit], dict[str, str], dict[str, str]]:
    """Read the compact file's text into units, aliases and metadata."""
    meta: dict[str, str] = {}
    aliases: dict[str, str] = {}
    raw: list[list[str]] = []
    for line in text.split("\n"):
        if not line:
            continue
        if line[0] == "#":
            parts = line[1:].split("\t")
            if parts[0] == "alias":
                aliases[parts[1]] = parts[2]
            else:
                meta[parts[0]] = parts[1]
            continue
        raw.append(line.split("\t"))
    known = {row[0] for row in raw}
    hidden = {row[0] for row in raw if row[2] and ("P" in row[2] or "G" in row[2])}
    units: dict[str, Unit] = {}
    z6, z8, z10 = "0" * 6, "0" * 8, "0" * 10
    for code, name, flags, initials in raw:
        # level and parent follow from the code; hidden prefectures hand their counties to the
        # province, and a township whose county row was dropped hangs under the prefecture
        if code[6:] != z6:
            level = "township"
            parent = aliases.get(code[:6] + z6, code[:6] + z6)
            if parent not in known:
                parent = code[:4] + z8
        elif code[4:] != z8:
            level, parent = "county", code[:4] + z8
        elif code[2:] != z10:
            level, parent = "city", code[:2] + z10
        else:
            level, parent = "province", None
        if parent is not None and (parent in hidden or parent not in known):
            parent = code[:2] + z10
        units[code] = Unit(code, name, level, parent, flags, initials)
    return units, aliases, meta


_lock = threading.Lock()
_cached: Divisions | None = None


def divisions() -> Divisions:
    """The built-in division tree (loaded once, on first use, in about 0.1 s)."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = load(data_file().read_bytes())
        return _cached


def data_file():
    """The packaged division file (a Traversable)."""
    return resources.files("localdb") / "data" / "divisions.tsv.gz"


def load(blob: bytes) -> Divisions:
    """A :class:`Divisions` from the gzip'd division file's bytes."""
    # 45k new objects would trigger many useless cyclic-GC passes
    enabled = gc.isenabled()
    gc.disable()
    try:
        units, aliases, meta = parse(gzip.decompress(blob).decode("utf-8"))
    finally:
        if enabled:
            gc.enable()
    return Divisions(units, aliases, meta)


def require_code(code: str | int) -> str:
    """:func:`normalise_code`, or a UsageError naming a code that is not a division code."""
    norm = normalise_code(code)
    if norm is None:
        raise UsageError("units.malformed", fix="units.malformed.fix", code=str(code))
    return norm


def resolve_unit(units, code: str) -> Unit:
    """The real unit for a user-typed code, or a UsageError that suggests what was meant."""
    unit = units.get(code) if normalise_code(code) else None
    if unit is not None and not unit.hidden:
        return unit
    if normalise_code(code) is None:
        raise UsageError("units.malformed", fix="units.malformed.fix", code=code)
    if unit is not None and unit.hidden:
        parent = units.get(unit.parent) if unit.parent else None
        raise UsageError(
            "units.placeholder",
            code=code,
            name=unit.name,
            parent=parent.name if parent else "",
            parent_code=parent.short_code if parent else "",
        )
    near = units.suggest(code)
    if near:
        raise UsageError(
            "units.unknown_near", code=code, name=near[0].name, near=near[0].short_code
        )
    raise UsageError("units.unknown", fix="units.unknown.fix", code=code)
