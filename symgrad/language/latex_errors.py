"""Lark's errors on LaTeX input become `ParseError`s that point where a user would look."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.errors import ParseError
from .latex_state import Where, _Session, _at, _error
from .latex_tokens import _closer_for

if TYPE_CHECKING:  # lark is imported on the first parse
    from lark.exceptions import UnexpectedInput


def _syntax_error(error: UnexpectedInput, session: _Session) -> ParseError:
    """The `ParseError` for a lark error, pointing where a user would look."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken
    if isinstance(error, UnexpectedCharacters):
        char = error.char
        hint = {"'": ": a prime is read only in a left-hand side such as f'(x) =",
                "=": ": only a derivative's left-hand side (f'(x) =, \\frac{dy}{dx} =) is read",
                "\\": ": not a command symgrad reads"}.get(char, "")
        return _error(ParseError, f"unexpected character {char!r}{hint}",
                      (error.line, error.column))
    if not isinstance(error, UnexpectedToken):
        return _error(ParseError, "invalid input", (error.line or 1, error.column or 1))
    token = error.token
    script_due = "LBRACE" in error.expected and "PLUS" not in error.expected and \
        "STAR" not in error.expected
    if token.type == "$END" and session.open_brackets and not script_due:
        opener = session.open_brackets[-1]
        return _error(ParseError, f"unbalanced '{opener}': no '{_closer_for(opener)}' closes it",
                      _at(opener))
    where = _at(token) if token.type != "$END" else _end(session.text)
    shown = "end of input" if token.type == "$END" else repr(str(token))
    if script_due:
        command = session.awaiting
        what = {"FRAC": "\\frac takes two arguments, as in \\frac{a}{b}",
                "SQRT": "\\sqrt takes an argument, as in \\sqrt{x}",
                "POW": "^ takes a superscript: one character or a group in braces, as in x^{-1}"}
        detail = what.get(command.type, "an argument is due") if command is not None else \
            "an argument is due"
        return _error(ParseError, f"missing argument at {shown}: {detail}", where)
    if "NUMBER" in error.expected and "STAR" not in error.expected:
        return _error(ParseError, f"unexpected {shown}: expected a number, a letter or a bracket",
                      where)
    if token.type == "COMMA":
        return _error(ParseError, "unexpected ',': commas separate a function's arguments only",
                      where)
    if token.type == "POW":
        return _error(ParseError, "unexpected '^': a double superscript needs braces, as in "
                      "{x^{2}}^{3}", where)
    return _error(ParseError, f"unexpected {shown}", where)


def _end(text: str) -> Where:
    return (text.count("\n") + 1, len(text) - text.rfind("\n"))
