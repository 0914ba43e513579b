"""LaTeX commands: the functions, operators and letters a `\\name` stands for, and the
left-hand side of a claimed derivative (dropped before lexing)."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from ..core.errors import NameLookupError, ParseError
from ..core.expr import symbol
from . import notation
from .latex_state import _Function, _Session, _at, _error, _literal

if TYPE_CHECKING:  # lark is imported on the first parse
    from lark import Token


# -- the left-hand side of a claimed derivative ---------------------------------------------------
_PRIME = r"(?:'+|\^\s*\{?\s*(?:\\prime\s*)+\}?|\^\s*\{\s*\(\s*[0-9]+\s*\)\s*\})"
_VARIABLE = r"(?:\(\s*[A-Za-z]\s*\)|\\left\s*\(\s*[A-Za-z]\s*\\right\s*\))"
_D = r"(?:d|\\mathrm\s*\{\s*d\s*\}|\\text\s*\{\s*d\s*\})"
_LEFT_SIDE = re.compile(rf"""\s*(?:
      [A-Za-z]\s*{_PRIME}\s*{_VARIABLE}?                              # f'(x), y', f^{{\prime}}(x)
    | \\[dt]?frac\s*\{{\s*{_D}\s*(?:\^\s*\{{?\s*[0-9]+\s*\}}?\s*)?[A-Za-z]?\s*\}}
      \s*\{{\s*{_D}\s*[A-Za-z]\s*(?:\^\s*\{{?\s*[0-9]+\s*\}}?\s*)?\}}[^=]{{0,400}}   # dy/dx, d/dx ...
    )\s*=""", re.VERBOSE)


def _without_left_side(text: str) -> str:
    """`text` with a derivative's left-hand side blanked out (columns stay as written)."""
    match = _LEFT_SIDE.match(text)
    if match is None or "\n" in match.group():
        return text
    return " " * match.end() + text[match.end():]


# -- commands ---------------------------------------------------------------------------------------
# LaTeX's own operator commands (\sin, \log, ...); those the call table knows are read as
# functions. The reciprocal and inverse trigonometric and hyperbolic names (\sech, \arcsec,
# \arsinh) are macros of many course pages, read too; any other function is \operatorname{...}.
_LATEX_OPERATORS = frozenset("""arccos arcsin arctan arg cos cosh cot coth csc deg det dim exp gcd
    hom inf ker lg lim liminf limsup ln log max min Pr sec sin sinh sup tan tanh""".split())
_FRACTIONS = frozenset({"frac", "dfrac", "tfrac", "cfrac"})
_TIMES = frozenset({"cdot", "times", "ast"})
_SKIPPED = frozenset({"displaystyle", "textstyle", "left.", "quad", "qquad", "limits", "big",
                      "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr"})
_GREEK = frozenset("""alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa
    lambda mu nu xi omicron rho varrho sigma varsigma tau upsilon phi varphi chi psi omega
    Gamma Delta Theta Lambda Xi Sigma Upsilon Phi Psi Omega""".split())


@functools.cache
def _command_functions() -> frozenset[str]:
    """The function names readable as `\\name`: LaTeX's operators and the trigonometric and
    hyperbolic family of the table (its inverse pairs and their synonyms)."""
    family = {*notation.INVERSES, *notation.SYNONYMS}
    names = {name for name in _LATEX_OPERATORS | family if notation.resolve(name) is not None}
    return frozenset(names)


def _known_commands() -> list[str]:
    return sorted({*_command_functions(), *_FRACTIONS, *_TIMES, *_GREEK, "sqrt", "pi", "div",
                   "left", "right", "operatorname", "mathrm", "lvert", "rvert"})


def _retyped(token: Token, kind: str) -> Token:
    return token.new_borrow_pos(kind, str(token), token)


def _name_and_subscript(written: str) -> tuple[str, str | None]:
    """`\\log_{10}` -> ("log", "10"); `x_1` -> ("x", "1"); `\\theta` -> ("theta", None)."""
    head, underscore, subscript = written.lstrip("\\").partition("_")
    cleaned = "".join(subscript.replace("{", "").replace("}", "").split())
    return head.strip(), (cleaned if underscore else None)


def _command(token: Token, session: _Session) -> list[Token]:
    """A `\\name`: a function, \\frac, \\sqrt, an operator, a constant or Greek letter."""
    name, subscript = _name_and_subscript(str(token))
    if name in _SKIPPED:
        return []
    if subscript is None:
        if name in _FRACTIONS:
            _refuse_derivative(token, session)
            return [_retyped(token, "FRAC")]
        if name == "sqrt":
            return [_retyped(token, "SQRT")]
        if name in _TIMES:
            return [_retyped(token, "STAR")]
        if name == "div":
            return [_retyped(token, "SLASH")]
        if name in ("lvert", "rvert"):
            return [_retyped(token, "LBAR" if name == "lvert" else "RBAR")]
    if name in _command_functions():
        return [_function(token, name, subscript, session)]
    if name == "pi" or name in _GREEK:
        return [_retyped(token, "NAMED")]
    if name in ("left", "right"):
        message = (f"'\\{name}' must be followed by a bracket: \\{name}( \\{name}[ "
                   f"\\{name}| (\\left. is not read)")
        raise _error(ParseError, message, _at(token))
    raise _error(NameLookupError, _unknown_command(name), _at(token))


_DERIVATIVE = re.compile(rf"\\[dt]?frac\s*\{{\s*{_D}\s*(?:\^\s*\{{?\s*[0-9]+\s*\}}?\s*)?"
                         rf"[A-Za-z]?\s*\}}\s*\{{\s*{_D}\s*[A-Za-z]")


def _refuse_derivative(token: Token, session: _Session) -> None:
    """`\\frac{d}{dx}` and `\\frac{dy}{dx}` are not quotients: an error pointing to sg.diff
    (a derivative's left-hand side before "=" is dropped before lexing)."""
    if "d" in session.declared:
        return
    if _DERIVATIVE.match(session.text, token.start_pos or 0):
        message = ("a derivative d/dx is not read here: use sg.diff(f, 'x') "
                   "(a left-hand side such as \\frac{dy}{dx} = ... is dropped)")
        raise _error(ParseError, message, _at(token))


def _unknown_command(name: str) -> str:
    message = f"unknown command '\\{name}'"
    if notation.resolve(name) is not None:
        return message + f": write \\operatorname{{{name}}}"
    import difflib  # only on this error path, keeping `import symgrad` light
    close = difflib.get_close_matches(name, _known_commands(), n=1, cutoff=0.6)
    return message + (f" (did you mean '\\{close[0]}'?)" if close else "")


def _operator_name(token: Token, session: _Session) -> list[Token]:
    """`\\operatorname{sech}`, `\\mathrm{e}`, `\\mathrm{x}`: a function, a constant or a letter."""
    written = str(token)
    inner = written[written.index("{") + 1:written.index("}")].strip()
    _, subscript = _name_and_subscript(written[written.index("}") + 1:])
    if notation.resolve(inner) is not None and inner not in session.declared:
        return [_function(token, inner, subscript, session)]
    if subscript is None and (len(inner) == 1 or inner in session.declared):
        return [token.new_borrow_pos("LETTER", inner, token)]
    message = f"unknown function '{inner}'"
    close = notation.suggest(inner)
    raise _error(NameLookupError, message + (f" (did you mean '{close}'?)" if close else ""),
                 _at(token))


def _function(token: Token, name: str, subscript: str | None, session: _Session) -> Token:
    """A function token: CALLFUNC when "(" or "\\left(" follows (a power between allowed),
    BAREFUNC otherwise; a subscript is a logarithm's base."""
    resolved = notation.resolve(name)
    if resolved is None or resolved[1] is not None:  # log_2 is written \log_{2}
        raise _error(NameLookupError, _unknown_command(name), _at(token))
    table_name, base = resolved[0], None
    if subscript is not None:
        if table_name != "log":
            message = f"'\\{name}' takes no subscript (only \\log_{{b}} has a base)"
            raise _error(ParseError, message, _at(token))
        if subscript == "e":
            base = None
        elif _NUMERIC.fullmatch(subscript):
            base = _literal(subscript)
        else:
            base = session.declared.get(subscript) or symbol(subscript)
    session.functions[token.start_pos or 0] = _Function(table_name, base)
    end = token.end_pos or 0
    calls = _CALL_AHEAD.match(session.text, end, min(len(session.text), end + 200))
    return _retyped(token, "CALLFUNC" if calls else "BAREFUNC")


_NUMERIC = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# What makes a function a call: "(" or "\left(" next, after an optional power (\sin^{2}(x)).
_CALL_AHEAD = re.compile(r"(?:\s|\\[,;:! ])*(?:\^\s*(?:\{[^{}]*\}|\\[A-Za-z]+|[^\s{}\\])"
                         r"(?:\s|\\[,;:! ])*)?(?:\(|\\left\s*\()")
