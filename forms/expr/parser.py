"""Recursive-descent parser for XLSForm expressions (XPath 1.0 grammar plus ``${name}``).

Never uses ``eval``. Every failure is an :class:`~i18n.errors.ExpressionError` naming the
position in the expression; the form loader adds sheet, row and column.
"""

from __future__ import annotations

from functools import lru_cache

from forms.expr import ast
from forms.expr.lexer import (
    END,
    NAME,
    NAMEOP,
    NUMBER,
    OP,
    REF,
    STRING,
    Token,
    syntax_error,
    tokenize,
)
from i18n.errors import ExpressionError

_NODE_TYPES = {"node", "text", "comment", "processing-instruction"}
_MAX_DEPTH = 200
# Axes ODK supports (child, self, parent) plus the ones XPath abbreviations stand for.
_AXES = {"child", "self", "parent", "attribute", "descendant-or-self", "descendant"}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    # -- helpers ---------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def is_op(self, *values: str) -> bool:
        return self.tok.kind == OP and self.tok.value in values

    def expect_op(self, value: str) -> Token:
        if not self.is_op(value):
            self.fail(expected=value)
        return self.advance()

    def fail(self, expected: str | None = None) -> None:
        tok = self.tok
        if tok.kind == END:
            if expected:
                raise syntax_error("forms.expr.end_expected", self.text, tok.pos, expected=expected)
            raise syntax_error("forms.expr.end", self.text, tok.pos)
        shown = tok.value if tok.kind != STRING else f"'{tok.value}'"
        if tok.kind == REF:
            shown = "${" + tok.value + "}"
        if expected:
            raise syntax_error(
                "forms.expr.expected", self.text, tok.pos, token=shown, expected=expected
            )
        raise syntax_error("forms.expr.unexpected", self.text, tok.pos, token=shown)

    # -- grammar ---------------------------------------------------------------------------
    def parse(self) -> ast.Node:
        if self.tok.kind == END:
            raise syntax_error("forms.expr.empty", self.text, 0)
        node = self.expr()
        if self.tok.kind != END:
            self.fail()
        return node

    def expr(self) -> ast.Node:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise syntax_error("forms.expr.too_deep", self.text, self.tok.pos)
        try:
            return self.binary(0)
        finally:
            self.depth -= 1

    _LEVELS = (
        ("or",),
        ("and",),
        ("=", "!="),
        ("<", "<=", ">", ">="),
        ("+", "-"),
        ("*", "div", "mod"),
    )

    def binary(self, level: int) -> ast.Node:
        if level == len(self._LEVELS):
            return self.unary()
        ops = self._LEVELS[level]
        left = self.binary(level + 1)
        while True:
            tok = self.tok
            if (tok.kind == OP and tok.value in ops) or (tok.kind == NAMEOP and tok.value in ops):
                self.advance()
                right = self.binary(level + 1)
                left = ast.Binary(tok.pos, tok.value, left, right)
            else:
                return left

    def unary(self) -> ast.Node:
        if self.is_op("-"):
            tok = self.advance()
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise syntax_error("forms.expr.too_deep", self.text, tok.pos)
            try:
                return ast.Negate(tok.pos, self.unary())
            finally:
                self.depth -= 1
        left = self.path_expr()
        while self.is_op("|"):
            tok = self.advance()
            left = ast.Binary(tok.pos, "|", left, self.path_expr())
        return left

    def path_expr(self) -> ast.Node:
        tok = self.tok
        if (
            tok.kind in (NUMBER, STRING, REF)
            or self.is_op("(")
            or (
                tok.kind == NAME
                and self.peek().kind == OP
                and self.peek().value == "("
                and tok.value not in _NODE_TYPES
            )
        ):
            start = self.filter_expr()
            if self.is_op("/", "//"):
                rest = self.relative_path()
                return ast.Path(tok.pos, False, tuple(rest), start)
            return start
        if self.is_op("/", "//"):
            first = self.advance()
            steps: list[ast.Step] = []
            if first.value == "//":
                steps.append(ast.Step(first.pos, "descendant-or-self", "*"))
                steps.extend(self.relative_steps())
            elif self._starts_step():
                steps.extend(self.relative_steps())
            return ast.Path(tok.pos, True, tuple(steps))
        if self._starts_step():
            return ast.Path(tok.pos, False, tuple(self.relative_steps()))
        self.fail()
        raise AssertionError  # unreachable

    def _starts_step(self) -> bool:
        tok = self.tok
        return tok.kind == NAME or self.is_op(".", "..", "@", "*")

    def relative_path(self) -> list[ast.Step]:
        """``/step/step`` continuing a filter expression."""
        steps: list[ast.Step] = []
        while self.is_op("/", "//"):
            sep = self.advance()
            if sep.value == "//":
                steps.append(ast.Step(sep.pos, "descendant-or-self", "*"))
            steps.extend(self.step())
        return steps

    def relative_steps(self) -> list[ast.Step]:
        steps = list(self.step())
        while self.is_op("/", "//"):
            sep = self.advance()
            if sep.value == "//":
                steps.append(ast.Step(sep.pos, "descendant-or-self", "*"))
            steps.extend(self.step())
        return steps

    def step(self) -> list[ast.Step]:
        """One location step; ``descendant::x`` is two (``descendant-or-self::node()/x``)."""
        tok = self.tok
        if self.is_op("."):
            self.advance()
            return [ast.Step(tok.pos, "self", "", self.predicates())]
        if self.is_op(".."):
            self.advance()
            return [ast.Step(tok.pos, "parent", "", self.predicates())]
        axis = "child"
        if self.is_op("@"):
            self.advance()
            axis = "attribute"
        elif tok.kind in (NAME, NAMEOP) and self.peek().kind == OP and self.peek().value == "::":
            written = tok.value
            if written not in _AXES:
                raise syntax_error("forms.expr.axis", self.text, tok.pos, axis=written)
            self.advance()
            self.advance()
            axis = written
        tok = self.tok
        if self.is_op("*"):
            self.advance()
            name = "*"
        elif tok.kind in (NAME, NAMEOP):
            self.advance()
            name = tok.value
            if self.is_op("::"):
                raise syntax_error("forms.expr.axis", self.text, tok.pos, axis=name)
            if name in _NODE_TYPES and self.is_op("("):
                self.advance()
                self.expect_op(")")
                name = "text()" if name == "text" else "*"
        else:
            self.fail(expected="name")
            raise AssertionError
        preds = self.predicates()
        if axis in ("self", "parent"):
            return [ast.Step(tok.pos, axis, "" if name == "*" else name, preds)]
        if axis == "descendant":
            return [
                ast.Step(tok.pos, "descendant-or-self", "*"),
                ast.Step(tok.pos, "child", name, preds),
            ]
        return [ast.Step(tok.pos, axis, name, preds)]

    def predicates(self) -> tuple[ast.Node, ...]:
        preds: list[ast.Node] = []
        while self.is_op("["):
            self.advance()
            if self.is_op("]"):
                self.fail()
            preds.append(self.expr())
            self.expect_op("]")
        return tuple(preds)

    def filter_expr(self) -> ast.Node:
        grouped = self.is_op("(")
        primary = self.primary()
        preds = self.predicates()
        if not preds:
            return primary
        if grouped and isinstance(primary, ast.Ref | ast.Path):
            primary = ast.Group(primary.pos, primary)  # (/data/hh/age)[last()]: of all ages
        return ast.Filter(primary.pos, primary, preds)

    def primary(self) -> ast.Node:
        tok = self.advance()
        if tok.kind == NUMBER:
            return ast.Number(tok.pos, float(tok.value))
        if tok.kind == STRING:
            return ast.Literal(tok.pos, tok.value)
        if tok.kind == REF:
            return ast.Ref(tok.pos, tok.value)
        if tok.kind == OP and tok.value == "(":
            inner = self.expr()
            if not self.is_op(")"):
                if self.tok.kind == END:
                    raise syntax_error("forms.expr.unclosed_paren", self.text, tok.pos)
                self.fail(expected=")")
            self.advance()
            return inner
        # function call
        self.advance()  # "("
        args: list[ast.Node] = []
        if not self.is_op(")"):
            args.append(self.expr())
            while self.is_op(","):
                self.advance()
                args.append(self.expr())
        if not self.is_op(")"):
            if self.tok.kind == END:
                raise syntax_error("forms.expr.unclosed_call", self.text, tok.pos, name=tok.value)
            self.fail(expected=")")
        self.advance()
        return ast.Call(tok.pos, tok.value, tuple(args))


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> ast.Node:
    return _Parser(text).parse()


def parse(text: str) -> ast.Node:
    """Parse ``text`` into a syntax tree; :class:`ExpressionError` (located) if it is not valid."""
    if not isinstance(text, str):
        raise ExpressionError("forms.expr.empty", expr=str(text), pos=1, near="")
    try:
        return _parse_cached(text)
    except RecursionError:
        raise syntax_error("forms.expr.too_deep", text, 0) from None
