"""Tokens of the XLSForm expression language (XPath 1.0 plus ``${name}`` references)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from i18n.errors import ExpressionError

# Token kinds
NUMBER, STRING, REF, NAME, OP, NAMEOP, END = (
    "number",
    "string",
    "ref",
    "name",
    "op",
    "nameop",
    "end",
)

_TWO_CHAR = ("!=", "<=", ">=", "//", "..", "::")
_ONE_CHAR = "()[]/.@,|+-=<>*"
# After these tokens, ``*`` and ``and/or/div/mod`` are not operators (XPath 1.0 §3.7).
_NO_OPERATOR_AFTER = {
    "@",
    "::",
    "(",
    "[",
    ",",
    "|",
    "+",
    "-",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "/",
    "//",
    "*",
}
_DIGITS = frozenset("0123456789")
_OPERATOR_NAMES = {"and", "or", "div", "mod"}
# Typographic quotes that spreadsheet autocorrect substitutes for straight ones. pyxform
# replaces each with its straight twin before anything reads the expression, so mixed
# spellings such as ``${a} = ’x'`` work; the replacement keeps every character's position.
SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def normalise_quotes(text: str) -> str:
    """``text`` with curly quotes made straight, exactly as pyxform does."""
    return text.translate(SMART_QUOTES)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    value: str
    pos: int  # 0-based offset in the expression


def _is_name_start(ch: str) -> bool:
    return ch.isalpha() or ch == "_"


def _is_name_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_-."


def syntax_error(code: str, text: str, pos: int, **params: Any) -> ExpressionError:
    """A located syntax error: ``pos`` is shown 1-based, with the text around it."""
    pos = max(0, min(pos, len(text)))
    near = text[pos : pos + 12] if pos < len(text) else ""
    return ExpressionError(code, expr=text, pos=pos + 1, near=near, **params)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; :class:`ExpressionError` on a character that cannot start one."""
    text = normalise_quotes(text)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        start = i
        if ch == "$" and text.startswith("${", i):
            end = text.find("}", i + 2)
            if end < 0:
                raise syntax_error("forms.expr.unclosed_ref", text, i)
            name = text[i + 2 : end].strip()
            if not name or not all(_is_name_char(c) for c in name) or not _is_name_start(name[0]):
                raise syntax_error("forms.expr.bad_ref", text, i, name=name)
            tokens.append(Token(REF, name, start))
            i = end + 1
            continue
        if ch in "'\"":
            end = text.find(ch, i + 1)
            if end < 0:
                raise syntax_error("forms.expr.unclosed_string", text, i)
            tokens.append(Token(STRING, text[i + 1 : end], start))
            i = end + 1
            continue
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            j = i
            while j < n and text[j] in _DIGITS:
                j += 1
            if j < n and text[j] == ".":
                j += 1
                while j < n and text[j] in _DIGITS:
                    j += 1
            tokens.append(Token(NUMBER, text[i:j], start))
            i = j
            continue
        if _is_name_start(ch):
            j = i + 1
            while j < n and _is_name_char(text[j]):
                j += 1
            # A QName prefix (jr:choice-name, odk:..): one colon followed by a name start.
            if j + 1 < n and text[j] == ":" and text[j + 1] != ":" and _is_name_start(text[j + 1]):
                j += 2
                while j < n and _is_name_char(text[j]):
                    j += 1
            word = text[i:j]
            # "a.b" is a valid name, but a trailing "." or "-" is almost always a typo'd operator.
            prev = tokens[-1] if tokens else None
            if (
                word in _OPERATOR_NAMES
                and prev is not None
                and not (
                    (prev.kind in (OP,) and prev.value in _NO_OPERATOR_AFTER) or prev.kind == NAMEOP
                )
            ):
                tokens.append(Token(NAMEOP, word, start))
            else:
                tokens.append(Token(NAME, word, start))
            i = j
            continue
        two = text[i : i + 2]
        if two in _TWO_CHAR:
            tokens.append(Token(OP, two, start))
            i += 2
            continue
        if ch in _ONE_CHAR:
            tokens.append(Token(OP, ch, start))
            i += 1
            continue
        raise syntax_error("forms.expr.bad_char", text, i, char=ch)
    tokens.append(Token(END, "", n))
    return tokens
