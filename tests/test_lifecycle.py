"""kexie.lifecycle is the one place that spells out statuses; its sets agree with each other."""

from __future__ import annotations

import ast
from pathlib import Path

from kexie import lifecycle as L
from tests.conftest import REPO

PRODUCT = ("forms", "localdb", "exports", "desktop", "kexie", "i18n")


def test_the_sets_are_consistent():
    assert set(L.STATUSES) == set(L.TRANSITIONS)
    for name in (
        "SAVE_STATUSES",
        "OPEN",
        "LOCKED",
        "READ_ONLY",
        "REPORTED",
        "SENT_BY_EXPORT",
        "RETURNABLE",
    ):
        assert getattr(L, name) <= set(L.STATUSES), name
    assert L.DRAFT not in L.EXPORTABLE  # drafts stay home
    assert set(L.EXPORTABLE) >= L.SENT_BY_EXPORT
    assert set(L.EXPORTABLE) >= L.REPORTED
    assert L.RETURNED not in L.REPORTED  # missing until it comes back
    assert L.OPEN.isdisjoint(L.LOCKED)
    assert L.DRAFT not in L.RETURNABLE  # only what was sent can come back
    assert L.LOCKED <= L.READ_ONLY
    assert all(L.after_export(s) in L.STATUSES for s in L.SENT_BY_EXPORT)
    assert {L.carried(s) for s in L.EXPORTABLE} <= set(L.EXPORTABLE) - {L.EXPORTED}
    for current in L.STATUSES:
        assert L.can_move(current, current)  # re-setting is harmless
        for new in L.STATUSES:
            if L.needs_reason(current, new):
                assert new == L.RETURNED or current in L.LOCKED


def _status_literals(node: ast.AST) -> list[str]:
    """The status names of a literal collection made only of status names (a collection that
    also holds other words, e.g. the completeness states data/nil/missing, is another thing)."""
    elts = getattr(node, "elts", None) or []
    words = [e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    if not words or len(words) != len(elts) or not set(words) <= set(L.STATUSES):
        return []
    return words


def test_no_other_module_spells_out_a_set_of_statuses():
    """A tuple/list/set of two or more status names anywhere but kexie/lifecycle.py is a second
    definition of the lifecycle that will drift (it did: the desktop's sets differed)."""
    found = []
    for package in PRODUCT:
        for path in sorted((REPO / package).rglob("*.py")):
            if path == Path(L.__file__):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                is_set = isinstance(node, ast.Tuple | ast.List | ast.Set)
                if is_set and len(_status_literals(node)) >= 2:
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not found, "use kexie.lifecycle instead: " + ", ".join(found)
