"""Greek letters in names: `θ`, `\\theta` and `theta` are one symbol, named `theta`.

SymPy names the symbol `theta` (and prints it θ), LaTeX writes `\\theta`, and text that
`sg.parse` reads back must stay ASCII-safe, so a Greek letter typed as a character is read as
its spelled name, the way `π`, `\\pi` and `pi` are one constant. Only a letter standing alone or
followed by a subscript (`θ_1`, `θ1`) is renamed: `Δx` stays a name of its own. Capitals that
look like Latin letters (Α, Β, ...) and `π`/`Π` (the constant; `\\Pi` is no symbol) are left.
"""

from __future__ import annotations

from typing import Mapping, TypeVar

from .errors import ArgumentError

V = TypeVar("V")

SPELLED = {
    "\u03b1": "alpha", "\u03b2": "beta", "\u03b3": "gamma", "\u03b4": "delta",
    "\u03b5": "epsilon", "\u03f5": "epsilon", "\u03b6": "zeta", "\u03b7": "eta",
    "\u03b8": "theta", "\u03b9": "iota", "\u03ba": "kappa", "\u03bb": "lambda",
    "\u03bc": "mu", "\u00b5": "mu", "\u03bd": "nu", "\u03be": "xi", "\u03bf": "omicron",
    "\u03c1": "rho", "\u03c3": "sigma", "\u03c4": "tau", "\u03c5": "upsilon",
    "\u03c6": "phi", "\u03d5": "phi", "\u03c7": "chi", "\u03c8": "psi", "\u03c9": "omega",
    "\u0393": "Gamma", "\u0394": "Delta", "\u0398": "Theta", "\u039b": "Lambda",
    "\u039e": "Xi", "\u03a3": "Sigma", "\u03a5": "Upsilon", "\u03a6": "Phi",
    "\u03a8": "Psi", "\u03a9": "Omega",
}


def canonical_name(name: str) -> str:
    """`name` with a leading Greek letter spelled out when the letter stands alone or before a
    subscript (`θ` -> `theta`, `θ_1` -> `theta_1`, `α2` -> `alpha2`); any other name as is."""
    if name.isascii() or not name:
        return name
    spelled = SPELLED.get(name[0])
    rest = name[1:]
    if spelled is None or rest and not (rest[0] == "_" or rest[0].isdigit()):
        return name
    return spelled + rest


def canonical_keys(values: Mapping[str, V]) -> Mapping[str, V]:
    """`values` with each Greek-letter name spelled out (`{"θ": 1}` -> `{"theta": 1}`), so a
    value given as `θ=...` reaches the symbol theta; `values` itself when every name is ASCII
    (the common case, checked once here for every caller). Raises `ArgumentError` when two
    names are one symbol (`θ` and `theta` both given), rather than keep one value silently."""
    if all(not isinstance(name, str) or name.isascii() for name in values):
        return values
    renamed: dict[str, V] = {}
    written: dict[str, str] = {}
    for name, value in values.items():
        key = canonical_name(name) if isinstance(name, str) else name
        if key in renamed:
            raise ArgumentError(f"{written[key]!r} and {name!r} name one symbol, {key!r}: "
                                "give one value for it")
        renamed[key] = value
        written[key] = name
    return renamed
