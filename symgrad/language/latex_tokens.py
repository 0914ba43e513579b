"""The LaTeX postlexer: reads commands, decides whether "|" opens or closes, pairs brackets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from ..core.errors import ParseError
from .latex_commands import _command, _operator_name, _retyped
from .latex_state import _Session, _at, _error, _session

if TYPE_CHECKING:  # lark is imported on the first parse
    from lark import Token


class _Tokens:
    """The postlexer: reads commands, decides "|", pairs brackets (`\\left(` with `\\right)`)."""

    always_accept = ("CMD", "OPNAME", "LEFT", "RIGHT", "BAR")

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        session = _session()
        previous: Token | None = None
        for lexed in stream:
            for token in self._classify(lexed, session, previous):
                kind = token.type
                if kind in _OPENING:
                    session.open_brackets.append(token)
                elif kind in _CLOSING:
                    _close(session.open_brackets, token)
                elif kind in ("FRAC", "SQRT", "POW"):
                    session.awaiting = token
                previous = token
                yield token

    def _classify(self, token: Token, session: _Session, previous: Token | None) -> list[Token]:
        kind = token.type
        if kind == "NUMBER" and previous is not None and previous.type == "FRAC" \
                and len(token) == 2 and "." not in token:
            return _split_digits(token)  # \frac12 is \frac{1}{2}, as TeX reads it
        if kind == "CMD" and str(token) in ("\\vert", "\\mid"):
            token, kind = _retyped(token, "BAR"), "BAR"
        if kind == "CMD":
            return _command(token, session)
        if kind == "OPNAME":
            return _operator_name(token, session)
        if kind in ("LEFT", "RIGHT"):
            return [_delimiter(token)]
        if kind == "BAR":
            closes = (previous is not None and previous.type in _OPERAND_END
                      and session.open_brackets and session.open_brackets[-1].type == "LBAR")
            return [_retyped(token, "RBAR" if closes else "LBAR")]
        return [token]


def _split_digits(token: Token) -> list[Token]:
    from lark import Token as LarkToken
    start, column = token.start_pos or 0, token.column or 1
    return [LarkToken("NUMBER", digit, start_pos=start + index, line=token.line,
                      column=column + index, end_line=token.line, end_column=column + index + 1,
                      end_pos=start + index + 1) for index, digit in enumerate(str(token))]


_DELIMITERS = {"(": "PAR", "[": "SQB", "|": "BAR", "\\{": "BRACE", "\\}": "BRACE", ")": "PAR",
               "]": "SQB", "\\lvert": "BAR", "\\rvert": "BAR", "\\vert": "BAR",
               "\\lbrack": "SQB", "\\rbrack": "SQB"}


def _delimiter(token: Token) -> Token:
    """`\\left(` is LPAR, `\\right|` is RBAR: the side is known, unlike a plain "|"."""
    written = str(token)
    side = "L" if written.startswith("\\left") else "R"
    delimiter = written[len("\\left" if side == "L" else "\\right"):].strip()
    return _retyped(token, side + _DELIMITERS[delimiter])


# -- brackets ---------------------------------------------------------------------------------------
_CLOSING = {"RPAR": "LPAR", "RSQB": "LSQB", "RBRACE": "LBRACE", "RBAR": "LBAR"}
_OPENING = frozenset(_CLOSING.values())
_OPERAND_END = frozenset({"LETTER", "NUMBER", "NAMED", "RPAR", "RSQB", "RBRACE", "RBAR"})


def _closer_for(opener: Token) -> str:
    written = str(opener)
    pairs = {"(": ")", "[": "]", "{": "}", "|": "|", "\\{": "\\}", "\\lvert": "\\rvert",
             "\\vert": "\\vert", "\\lbrack": "\\rbrack"}
    if written.startswith("\\left"):
        return "\\right" + pairs[written[5:].strip()]
    return pairs.get(written, "|")


def _close(open_brackets: list[Token], closer: Token) -> None:
    if not open_brackets:
        raise _error(ParseError, f"unbalanced '{closer}': nothing to close", _at(closer))
    opener = open_brackets.pop()
    sized = str(opener).startswith("\\left") or str(opener) == "\\lvert"
    if _CLOSING[closer.type] != opener.type or sized != (str(closer).startswith("\\right")
                                                         or str(closer) == "\\rvert"):
        line, column = _at(opener)
        message = (f"'{closer}' does not close the '{opener}' at line {line}, column {column}"
                   f" (close it with '{_closer_for(opener)}')")
        raise _error(ParseError, message, _at(closer))
