"""The state of one `parse_latex` call and errors at a position in its text."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, cast

from ..core.errors import ArgumentError, LimitError, ParseError, SymgradError
from ..core.expr import Expr, symbol
from ..core.shapes import Shape
from .parse import parse

if TYPE_CHECKING:  # lark is imported on the first parse
    from lark import Token

Where = tuple[int, int]  # (line, column), both 1-based


@dataclass(slots=True)
class _Session:
    """What one call of `parse_latex` knows: its text, declared shapes, open brackets."""

    text: str
    declared: dict[str, Expr]
    open_brackets: list[Token] = field(default_factory=list)
    functions: dict[int, _Function] = field(default_factory=dict)  # by a token's start_pos
    awaiting: Token | None = None  # the last \frac, \sqrt or ^, for "missing argument"


@dataclass(frozen=True, slots=True)
class _Function:
    """A function command as written: the table name it means, a logarithm's base."""

    name: str
    base: Expr | None = None


_local = threading.local()


def _session() -> _Session:
    return _local.session  # type: ignore[no-any-return]


# -- errors at a position -------------------------------------------------------------------------
def _error(kind: type[ParseError], message: str, where: Where) -> ParseError:
    text = _session().text.replace("\t", " ").replace("\r", " ")
    return kind(message, text, where[0], where[1])


def _at(token: Token | None) -> Where:
    return (1, 1) if token is None else (token.line or 1, token.column or 1)


def _build(token: Token | None, builder: Any, *args: Any) -> Expr:
    """`builder(*args)`; its errors point at `token`, the command or operator it came from."""
    try:
        return cast(Expr, builder(*args))
    except SymgradError as error:
        if isinstance(error, LimitError) or isinstance(error, ParseError) and error.line:
            raise  # a limit is about the work, not the spot
        kind = type(error) if isinstance(error, ParseError) else ParseError
        message = error.message if isinstance(error, ParseError) else str(error)
        raise _error(kind, message, _at(token)) from error


@functools.lru_cache(maxsize=512)
def _literal(text: str) -> Expr:
    """A number or constant exactly as `sg.parse` reads it (so both give the same node)."""
    return parse(text)
