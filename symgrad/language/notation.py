"""Textbook names of functions, derived from the call table: `ln`, `arcsin`, `log_2`, inverses.

Nothing here lists a function: synonyms and inverse pairs are read off `functions.CALLS`, so a
new table entry (`acoth` next to `coth`) gives the parser `arcoth`, `arccoth` and `coth^-1`.
"""

from __future__ import annotations

import re

from ..ops import functions


def _inverses() -> dict[str, str]:
    """`sin` -> `asin` for every name whose inverse is in the table as `a` + name."""
    return {name: "a" + name for name in functions.CALLS if "a" + name in functions.CALLS}


INVERSES: dict[str, str] = _inverses()


def _synonyms() -> dict[str, str]:
    """Other spellings of table names: `ln`, `arcsin`, for hyperbolic inverses `arsinh`, and
    SymPy's `Heaviside`."""
    names = {"ln": "log", "Heaviside": "heaviside"}
    for name, inverse in INVERSES.items():
        names["arc" + name] = inverse
        if name.endswith("h") and name[:-1] in INVERSES:  # sinh: also the ISO spelling arsinh
            names["ar" + name] = inverse
    return names


SYNONYMS: dict[str, str] = _synonyms()
_LOG_BASE = re.compile(r"log_(?:([0-9]+(?:\.[0-9]+)?)|(e))")
# Names that multiply when written before "(": a letter with an optional subscript or digits.
_SHORT = re.compile(r"[^\W\d_](?:_?[0-9]+|_[^\W\d_][0-9]*)?")
GREEK = frozenset("""alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi
    omicron rho sigma tau upsilon phi chi psi omega""".split())


def resolve(name: str) -> tuple[str, int | float | None] | None:
    """The table name `name` spells, with a logarithm's numeric base; None if not a function.

    `sin` -> ("sin", None), `ln` -> ("log", None), `arcsin` -> ("asin", None),
    `log_2` -> ("log", 2), `log_2.5` -> ("log", 2.5), `log_e` -> ("log", None).
    """
    if name in functions.CALLS:
        return name, None
    if name in SYNONYMS:
        return SYNONYMS[name], None
    match = _LOG_BASE.fullmatch(name) if name.startswith("log_") else None
    if match is None:
        return None
    digits = match.group(1)
    return "log", (None if not digits else int(digits) if digits.isdigit() else float(digits))


def may_be_function(name: str) -> bool:
    """A quick test that `resolve(name)` may find a function (the parser asks for every name)."""
    return name in functions.CALLS or name in SYNONYMS or name.startswith("log_")


def multiplies_before_parenthesis(name: str) -> bool:
    """Whether `name(...)` is a product: a one-letter name (`x`, `x1`, `x_1`, `θ`) or a Greek
    letter spelled out (`theta`)."""
    return _SHORT.fullmatch(name) is not None or name in GREEK


def function_and_letter(name: str) -> str | None:
    """The function `name` starts with when the rest is one letter (or digits and a letter),
    as in `sinx`, `lnx`, `sin2x`; None otherwise."""
    if len(name) < 3 or not name[-1].isalpha():
        return None
    head = name[:-1]
    for candidate in (head, head.rstrip("0123456789")):
        if candidate in functions.CALLS or candidate in SYNONYMS:
            return candidate
    return None


def _textbook_functions() -> frozenset[str]:
    """The functions a calculus book writes without parentheses: trigonometric and hyperbolic
    names with their inverses, logarithms, `exp` and `sqrt` (not `sum`, `max`, `where`, ...)."""
    names = {*INVERSES, *INVERSES.values(), *SYNONYMS, "log", "exp", "sqrt"}
    return frozenset(name for name in names if name in functions.CALLS or name in SYNONYMS)


TEXTBOOK_FUNCTIONS = _textbook_functions()


def letter_and_function(name: str) -> tuple[str, str] | None:
    """The letter and the textbook function a name glues together, as in `xsin`, `xln`,
    `tcos`, `xsinx`, `xln2` (a student's x sin x); None for any other name."""
    if len(name) < 3 or not name.isascii() or not name[0].isalpha():
        return None
    body = name.rstrip("0123456789")  # xln2: x ln 2
    if not body.isalpha():
        return None
    for end in (len(body), len(body) - 1) if body == name else (len(body),):
        if name[1:end] in TEXTBOOK_FUNCTIONS:
            return name[0], name[1:end]
    return None


def suggest(name: str) -> str | None:
    """The known function name or spelling closest to `name`, if one is close."""
    import difflib
    matches = difflib.get_close_matches(name, [*functions.CALLS, *SYNONYMS], n=1, cutoff=0.6)
    return matches[0] if matches else None
