"""Reciprocal trigonometric and hyperbolic functions and their inverses, as textbooks use them.

Each inverse follows SymPy's real branch: asec(x) = acos(1/x), acsc(x) = asin(1/x),
acot(x) = atan(1/x), asech(x) = acosh(1/x), acsch(x) = asinh(1/x), acoth(x) = atanh(1/x).
"""

from __future__ import annotations

import numpy as np

from .elementary import unary

_NEAR_QUARTER_TURN = ((-1.2, 1.2),)
_OPEN_HALF_TURN = ((0.3, 2.8),)
_POSITIVE = ((0.3, 3.0),)
_OUTSIDE_UNIT = ((1.2, 3.0),)
_INSIDE_UNIT = ((0.2, 0.9),)


def _fn(command: str) -> str:
    return "\\" + command + r"\left({0}\right)"


def _operator(name: str) -> str:
    return r"\operatorname{{" + name + r"}}\left({0}\right)"


# sec' = sec*tan and csc' = -csc*cot, the textbook's (and SymPy's) forms, written with `out` so
# the rule shares the node it differentiates.
unary("sec", lambda x: 1.0 / np.cos(x), lambda F, g, out, x: (g * out * F.tan(x),),
      latex=_fn("sec"), domain=_NEAR_QUARTER_TURN, at={0: 1})
unary("csc", lambda x: 1.0 / np.sin(x), lambda F, g, out, x: (-g * out * F.cot(x),),
      latex=_fn("csc"), domain=_OPEN_HALF_TURN)
unary("cot", lambda x: np.cos(x) / np.sin(x), lambda F, g, out, x: (-g * (1 + out * out),),
      latex=_fn("cot"), domain=_OPEN_HALF_TURN)
unary("sech", lambda x: 1.0 / np.cosh(x), lambda F, g, out, x: (-g * out * out * F.sinh(x),),
      latex=_operator("sech"), at={0: 1})
unary("csch", lambda x: 1.0 / np.sinh(x), lambda F, g, out, x: (-g * out * out * F.cosh(x),),
      latex=_operator("csch"), domain=_POSITIVE)
unary("coth", lambda x: 1.0 / np.tanh(x), lambda F, g, out, x: (g * (1 - out * out),),
      latex=_fn("coth"), domain=_POSITIVE)

# The inverse rules are SymPy's forms: 1/(x^2*sqrt(1 - 1/x^2)) needs no abs().
unary("asec", lambda x: np.arccos(1.0 / x),
      lambda F, g, out, x: (g / (x * x * F.sqrt(1 - 1 / (x * x))),),
      latex=_operator("arcsec"), domain=_OUTSIDE_UNIT, note="acos(1/x), defined for |x| >= 1",
      at={1: 0})
unary("acsc", lambda x: np.arcsin(1.0 / x),
      lambda F, g, out, x: (-g / (x * x * F.sqrt(1 - 1 / (x * x))),),
      latex=_operator("arccsc"), domain=_OUTSIDE_UNIT, note="asin(1/x), defined for |x| >= 1")
unary("acot", lambda x: np.arctan(1.0 / x), lambda F, g, out, x: (-g / (1 + x * x),),
      latex=_operator("arccot"), domain=_POSITIVE,
      note="atan(1/x), SymPy's branch: a jump at 0 (pi/2 from the right, -pi/2 from the left)")
unary("asech", lambda x: np.arccosh(1.0 / x),
      lambda F, g, out, x: (-g / (x * F.sqrt(1 - x * x)),),
      latex=_operator("arsech"), domain=_INSIDE_UNIT, note="acosh(1/x), defined on (0, 1]",
      at={1: 0})
unary("acsch", lambda x: np.arcsinh(1.0 / x),
      lambda F, g, out, x: (-g / (x * x * F.sqrt(1 + 1 / (x * x))),),
      latex=_operator("arcsch"), domain=_POSITIVE, note="asinh(1/x), defined for x != 0")
unary("acoth", lambda x: np.arctanh(1.0 / x), lambda F, g, out, x: (g / (1 - x * x),),
      latex=_operator("arcoth"), domain=_OUTSIDE_UNIT, note="atanh(1/x), defined for |x| > 1")
