"""The XLSForm expression language: our own parser and evaluator (never ``eval``).

``compile_expression(text, scope)`` parses and compiles once; the result is called with an
evaluation context. :func:`evaluate_expression` evaluates a free-standing expression over a dict
of values (handy in tests and for form authors).
"""

from __future__ import annotations

from datetime import date, datetime

from forms.expr.compiler import Compiled, Scope, compile_expression
from forms.expr.parser import parse
from forms.expr.values import NodeSet, to_bool, to_num, to_str

__all__ = [
    "Compiled",
    "MapContext",
    "NodeSet",
    "Scope",
    "compile_expression",
    "evaluate_expression",
    "parse",
    "to_bool",
    "to_num",
    "to_str",
]


class MapContext:
    """An evaluation context over plain values: ``{name: value}`` (lists are repeated nodes)."""

    def __init__(
        self,
        values: dict[str, object] | None = None,
        *,
        current: str | None = None,
        instances: dict[str, list[dict]] | None = None,
        labels: dict[str, dict[str, str]] | None = None,
        today: date | None = None,
        now: datetime | None = None,
        position: int = 1,
    ) -> None:
        self.values = values or {}
        self.current = current
        self.instances = instances or {}
        self.labels = labels or {}
        self._today = today
        self._now = now
        self._position = position
        self.chain: tuple[str, ...] = ()
        self.idx: tuple[int, ...] = ()
        self.item = None
        self.item_pos = 0
        self.item_size = 0

    def nodes(self, name: str) -> NodeSet:
        value = self.values.get(name)
        if isinstance(value, list):
            return NodeSet(_node_text(v) for v in value)
        return NodeSet([_node_text(value)])

    def position(self) -> float:
        return float(self._position)

    def instance(self, list_id: str) -> NodeSet:
        items = self.instances.get(list_id)
        return NodeSet([{"root": {"item": items}}]) if items is not None else NodeSet()

    def choice_label(self, name: str, value: str) -> str:
        return self.labels.get(name, {}).get(value, "")

    def indexed(self, name: str, pairs: list[tuple[str, int]]) -> NodeSet:
        value = self.values.get(name)
        if isinstance(value, list) and pairs:
            i = pairs[0][1]
            return NodeSet([_node_text(value[i - 1])]) if 1 <= i <= len(value) else NodeSet()
        return NodeSet()

    def repeat_instances(self, repeat: str) -> tuple[tuple[str, ...], list[tuple[int, ...]]]:
        """Plain values have no repeat structure: a filtered repeat step selects nothing."""
        return (), []

    def today(self) -> date:
        return self._today or date.today()

    def now(self) -> datetime:
        return self._now or datetime.now().astimezone()


def _node_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return to_str(value) if not isinstance(value, str) else value


def evaluate_expression(text: str, values: dict[str, object] | None = None, **context: object):
    """Evaluate ``text`` with ``${name}`` taken from ``values``; see :class:`MapContext`."""
    compiled = compile_expression(text, Scope(current=context.get("current")))
    return compiled(MapContext(values, **context))
