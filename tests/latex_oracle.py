"""SymPy's LaTeX parser as the oracle of `.latex()`: does a printed string mean the expression?

Shared by test_latex_roundtrip.py and test_latex_audit.py. The reader is
`sympy.parsing.latex.parse_latex` (its ANTLR backend; where that one cannot read a construct
symgrad prints, such as `\\left| x \\right|`, its Lark backend). Symbols are matched by name;
`e` is Euler's number, as symgrad prints it. Named operators SymPy does not know
(`\\operatorname{sgn}`, ...) are handed to it as functions `F_{sgn}` and replaced by SymPy's
own definitions afterwards.
"""

from __future__ import annotations

import math
import re
import warnings
from typing import Any, Callable

import numpy as np

import symgrad as sg

import sympy
from sympy.parsing import latex as latex_parsing


def _normalized(name: str) -> str:
    return re.sub(r"[\\{}_ ]", "", name)


def _clean(parsed: Any) -> bool:
    return isinstance(parsed, sympy.Basic) and not any(
        isinstance(f, sympy.core.function.AppliedUndef) for f in parsed.atoms(sympy.Function))


def _parse(text: str) -> Any:
    """SymPy's reading of `text`: the ANTLR backend's (it reads `|x|` but not the same bars
    written `\\left| \\right|`, so those are given to it as bars), else, for a short text, the
    Lark backend's (whose ambiguity trees grow too fast on long ones); None if neither reads it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return latex_parsing.parse_latex(text.replace(r"\left|", "|").replace(r"\right|", "|"))
        except Exception:  # noqa: BLE001 - an unreadable string is what is being counted
            if len(text) > 120:
                return None
        try:
            parsed = latex_parsing.parse_latex(text, backend="lark")
        except Exception:  # noqa: BLE001
            return None
    return parsed if isinstance(parsed, sympy.Basic) else None


def _clamp(x: Any, low: Any, high: Any) -> Any:
    return sympy.Min(sympy.Max(x, low), high)


# Named operators SymPy's reader does not know, with SymPy's definition of each. Each is handed
# to the reader as a function `F_{n}` (n its place here: a name in letters would be read as a
# product of letters and reordered) and replaced by its definition afterwards.
OPERATORS: dict[str, Callable[..., Any]] = {
    "sgn": sympy.sign, "atan2": sympy.atan2, "erf": sympy.erf,
    "softplus": lambda x: sympy.log(1 + sympy.exp(x)), "relu": lambda x: sympy.Max(x, 0),
    "clamp": _clamp, "sinc": lambda x: sympy.sin(sympy.pi * x) / (sympy.pi * x),
    "sech": sympy.sech, "csch": sympy.csch, "arcsec": sympy.asec, "arccsc": sympy.acsc,
    "arccot": sympy.acot, "arsech": sympy.asech, "arcsch": sympy.acsch, "arcoth": sympy.acoth,
    "fmod": lambda a, b: a - b * sympy.sign(a / b) * sympy.floor(sympy.Abs(a / b)),
    "mod": lambda a, b: sympy.Mod(a, b), "max": sympy.Max, "min": sympy.Min,
}
_NUMBERED = {f"F_{{{place}}}": definition for place, definition in enumerate(OPERATORS.values())}
_PLACE = {name: place for place, name in enumerate(OPERATORS)}
# Standard LaTeX commands the reader does not know, written as ones it knows that do not occur
# in the text, and swapped back after reading.
_UNKNOWN_COMMANDS = {r"\coth": sympy.coth}
_SPARE = {r"\sec": sympy.sec, r"\csc": sympy.csc, r"\cot": sympy.cot}
_CASES = re.compile(r"\\begin\{cases\} ((?:(?!\\begin\{cases\}).)*?) \\end\{cases\}")
_BMOD = re.compile(r"([A-Za-z0-9.]+) \\bmod ([A-Za-z0-9.]+)")


def _named(text: str) -> tuple[str, dict[Any, Callable[..., Any]]]:
    """`text` with the operators and commands SymPy does not read replaced by ones it reads,
    and the map from what those read as to the definitions."""
    text = _BMOD.sub(r"\\operatorname{mod}\\left(\1, \2\\right)", text)
    text = re.sub(r"\\(max|min)(?![A-Za-z])", r"\\operatorname{\1}", text)
    text = re.sub(r"\\operatorname\{(\w+)\}",
                  lambda m: f"F_{{{_PLACE[m.group(1)]}}}" if m.group(1) in _PLACE else m.group(0),
                  text)
    swaps: dict[Any, Callable[..., Any]] = {}
    spare = [command for command in _SPARE if command not in text]
    for command, definition in _UNKNOWN_COMMANDS.items():
        if re.search(re.escape(command) + r"(?![A-Za-z])", text):
            stand_in = spare.pop()
            text = re.sub(re.escape(command) + r"(?![A-Za-z])", lambda _: stand_in, text)
            swaps[_SPARE[stand_in]] = definition
    return text, swaps


def _defined(parsed: Any, swaps: dict[Any, Callable[..., Any]]) -> Any:
    """`parsed` with the stand-ins replaced by their definitions; a cube root is the real one,
    as `\\sqrt[3]{-8}` is -2 in a textbook (SymPy's reader takes the principal root)."""
    parsed = parsed.replace(  # bottom-up: an operator inside another is replaced too
        lambda node: isinstance(node, sympy.Function) and type(node).__name__ in _NUMBERED,
        lambda node: _NUMBERED[type(node).__name__](*node.args))
    # SymPy's reader makes `\log_{10}` a two-argument log, whose base `exp(-log(u, 10))` drops
    # (it simplifies to 1/u): written as the quotient of logs it keeps the base.
    parsed = parsed.replace(
        lambda node: isinstance(node, sympy.log) and len(node.args) == 2,
        lambda node: sympy.log(node.args[0]) / sympy.log(node.args[1]))
    for stand_in, definition in swaps.items():
        parsed = parsed.replace(stand_in, definition)
    return parsed.replace(
        lambda node: (isinstance(node, sympy.Pow) and isinstance(node.exp, sympy.Rational)
                      and node.exp.q == 3),
        lambda node: sympy.sign(node.base) ** node.exp.p * sympy.Abs(node.base) ** node.exp)


_WHERE = r" \quad \text{where } "


def read_latex(text: str) -> Any:
    r"""`text` read by SymPy's LaTeX parser; a case analysis (which it does not read) is read
    row by row into a Piecewise, innermost first, and the shared parts a long expression names
    (`... \quad \text{where } t_{0} = ..., \; t_{1} = ...`) are read one by one and put back.
    None where some part is unreadable."""
    if _WHERE in text:
        body, _, named = text.partition(_WHERE)
        definitions: list[tuple[Any, Any]] = []
        for definition in named.split(r", \; "):
            name, _, value = definition.partition(" = ")
            read_name, read_value = read_latex(name), read_latex(value)
            if read_name is None or read_value is None:
                return None
            definitions.append((read_name, read_value))
        parsed = read_latex(body)
        if parsed is None:
            return None
        for name, value in reversed(definitions):  # a part may use the parts named before it
            parsed = parsed.subs(name, value)
        return parsed
    text, swaps = _named(text)
    pieces: dict[Any, Any] = {}
    while (match := _CASES.search(text)) is not None:
        rows = []
        for row in match.group(1).split(r" \\ "):
            value, _, condition = row.partition(" & ")
            read_value = _parse(value)
            read_condition = sympy.true if condition == r"\text{otherwise}" else _parse(condition)
            if read_value is None or read_condition is None:
                return None
            rows.append((_defined(read_value, swaps), _defined(read_condition, swaps)))
        name = sympy.Symbol(f"c_{{{len(pieces)}}}")
        pieces[name] = sympy.Piecewise(*rows)
        text = text[: match.start()] + f"c_{{{len(pieces) - 1}}}" + text[match.end():]
    parsed = _parse(text)
    if parsed is None:
        return None
    parsed = _defined(parsed, swaps)
    for _ in range(len(pieces)):  # a case analysis may hold another's placeholder
        parsed = parsed.subs(pieces)
    return parsed


def _ours(expr: sg.Expr, point: dict[str, float]) -> complex:
    with np.errstate(all="ignore"):
        return complex(np.asarray(expr.eval(**{n: point[n] for n in expr.symbols})).item())


def _outside_domain(expr: sg.Expr, point: dict[str, float]) -> bool:
    """Whether some part of `expr` is not a real number at `point` (a comparison in a case
    analysis may then hold where SymPy, with complex values, cannot decide it)."""
    from symgrad.core.traverse import topological
    for node in topological([expr]):
        with np.errstate(all="ignore"):
            value = np.asarray(node.eval(**{n: point[n] for n in node.symbols}))
        if not np.all(np.isfinite(value)):
            return True
    return False


def compare(expr: sg.Expr, text: str, points: list[dict[str, float]]) -> tuple[str | None, int]:
    """Why `text` does not mean `expr` (unreadable, unknown names, other values), or None when
    it reads back to the same values at every point where `expr` is finite and real; with the
    number of points compared."""
    parsed = read_latex(text)
    if parsed is None:
        return f"unreadable: {text}", 0
    if not _clean(parsed):
        return f"reads as unknown functions: {text} -> {parsed}", 0
    names = {_normalized(name): name for name in expr.symbols}
    substitution: dict[Any, Any] = {}
    for symbol in parsed.free_symbols:
        if symbol.name in ("e", "pi") and symbol.name not in names:
            substitution[symbol] = sympy.E if symbol.name == "e" else sympy.pi
        elif _normalized(symbol.name) not in names:
            return f"reads as other symbols ({symbol.name}): {text} -> {parsed}", 0
    compared = 0
    for point in points:
        ours = _ours(expr, point)
        if not math.isfinite(ours.real) or abs(ours) > 1e30:
            continue
        values = {**substitution, **{symbol: point[names[_normalized(symbol.name)]]
                                     for symbol in parsed.free_symbols if symbol not in substitution}}
        try:
            theirs = complex(sympy.N(parsed.subs(values), 20))
        except (TypeError, ValueError):
            if _outside_domain(expr, point):  # SymPy cannot compare complex parts of a case
                continue
            return f"reads as a non-number: {text} -> {parsed}", compared
        if not abs(theirs - ours) <= 1e-7 * max(1.0, abs(ours)):
            return f"other values ({ours} vs {theirs} at {point}): {text} -> {parsed}", compared
        compared += 1
    return None, compared


def latex_problem(expr: sg.Expr, points: list[dict[str, float]]) -> str | None:
    """Why `expr.latex()` does not mean `expr`, or None (see `compare`)."""
    return compare(expr, expr.latex(), points)[0]
