"""Elementary functions: trigonometric, hyperbolic, exponential, logarithmic, roots, erf."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from ..core.expr import Expr, named_constant
from ..core.opspec import Backend, OpSpec, register, symbolic
from .arithmetic import exact_power, integer_root

_erf = np.frompyfunc(math.erf, 1, 1)
_WIDE = ((-3.0, 3.0),)
_POSITIVE = ((0.2, 3.0),)
_UNIT = ((-0.9, 0.9),)


def _erf_numpy(x: np.ndarray) -> np.ndarray:
    kind = np.result_type(x)
    return np.asarray(_erf(x), dtype=kind if kind.kind == "f" else np.float64)


def unary(name: str, numpy: Callable[..., Any], grad: Callable[[Backend, Any, Any, Any], tuple[Any]],
          *, sympy: Any = None,
          latex: str | None = None, torch: str = "", domain: tuple[tuple[float, float], ...] = _WIDE,
          note: str = "", exact: Callable[[Fraction], Fraction | None] | None = None,
          at: dict[int, int] | None = None) -> None:
    """Register a one-argument elementwise function with a common SymPy/torch naming default.

    `exact` gives its exact value at a rational where that is rational; `at` lists the
    integer points where it has an integer value (sin at 0, cos at 0, log at 1)."""
    if exact is None and at is not None:
        exact = _at_points(at)
    register(OpSpec(name=name, arity=1, numpy=numpy, grad=grad, sympy=sympy or name,
                    latex=latex, torch=torch or name.capitalize(), domain=domain, note=note,
                    exact=exact))


def _at_points(points: dict[int, int]) -> Callable[[Fraction], Fraction | None]:
    def exact(x: Fraction) -> Fraction | None:
        value = points.get(x) if x.denominator == 1 else None  # type: ignore[call-overload]
        return None if value is None else Fraction(value)
    return exact


def pi_like(F: Backend, x: Any) -> Any:
    """pi for a rule: the symbolic constant when the rule builds Exprs, else the float."""
    return named_constant("pi") if symbolic(F) or isinstance(x, Expr) else math.pi


def _exact_sqrt(x: Fraction) -> Fraction | None:
    return exact_power(x, Fraction(1, 2)) if x >= 0 else None


def _exact_cbrt(x: Fraction) -> Fraction | None:
    root = exact_power(abs(x), Fraction(1, 3))
    return None if root is None else (root if x >= 0 else -root)


def _exact_log(base: int) -> Callable[[Fraction], Fraction | None]:
    """log_base at a whole power of `base` (log2(8) = 3, log10(1/100) = -2)."""
    def exact(x: Fraction) -> Fraction | None:
        if x <= 0:
            return None
        top, bottom = (x.numerator, x.denominator) if x >= 1 else (x.denominator, x.numerator)
        if bottom != 1:
            return None
        power = 0
        while top % base == 0:
            top, power = top // base, power + 1
        return None if top != 1 else Fraction(power if x >= 1 else -power)
    return exact


def _exact_exp2(x: Fraction) -> Fraction | None:
    return exact_power(Fraction(2), x) if x.denominator == 1 else None


def _fn(command: str) -> str:
    return "\\" + command + r"\left({0}\right)"


unary("sin", np.sin, lambda F, g, out, x: (g * F.cos(x),), latex=_fn("sin"), at={0: 0})
unary("cos", np.cos, lambda F, g, out, x: (-g * F.sin(x),), latex=_fn("cos"), at={0: 1})
unary("tan", np.tan, lambda F, g, out, x: (g * (1 + out * out),), latex=_fn("tan"),
      domain=((-1.2, 1.2),), at={0: 0})
# 1/sqrt(1 - x**2), as textbooks and SymPy print it, rather than (1 - x**2)**(-1/2).
unary("asin", np.arcsin, lambda F, g, out, x: (g / F.sqrt(1 - x * x),), latex=_fn("arcsin"),
      domain=_UNIT, at={0: 0})
unary("acos", np.arccos, lambda F, g, out, x: (-g / F.sqrt(1 - x * x),), latex=_fn("arccos"),
      domain=_UNIT, at={1: 0})
unary("atan", np.arctan, lambda F, g, out, x: (g / (1 + x * x),), latex=_fn("arctan"),
      at={0: 0})
unary("asinh", np.arcsinh, lambda F, g, out, x: (g / F.sqrt(x * x + 1),),
      latex=r"\sinh^{{-1}}\left({0}\right)", at={0: 0})
unary("acosh", np.arccosh, lambda F, g, out, x: (g / F.sqrt(x * x - 1),),
      latex=r"\cosh^{{-1}}\left({0}\right)", domain=((1.2, 3.0),),
      note="defined on [1, inf)", at={1: 0})
unary("atanh", np.arctanh, lambda F, g, out, x: (g / (1 - x * x),),
      latex=r"\tanh^{{-1}}\left({0}\right)", domain=_UNIT, note="defined on (-1, 1)",
      at={0: 0})
unary("sinh", np.sinh, lambda F, g, out, x: (g * F.cosh(x),), latex=_fn("sinh"), at={0: 0})
unary("cosh", np.cosh, lambda F, g, out, x: (g * F.sinh(x),), latex=_fn("cosh"), at={0: 1})
unary("tanh", np.tanh, lambda F, g, out, x: (g * (1 - out * out),), latex=_fn("tanh"),
      at={0: 0})
unary("exp", np.exp, lambda F, g, out, x: (g * out,), latex=r"e^{{{0}}}", at={0: 1})
unary("expm1", np.expm1, lambda F, g, out, x: (g * F.exp(x),),
      sympy=lambda sympy, x: sympy.exp(x) - 1, latex=r"\left(e^{{{0}}} - 1\right)",
      note="exp(x) - 1, accurate for small x", at={0: 0})
unary("exp2", np.exp2, lambda F, g, out, x: (g * out * F.log(2),),
      sympy=lambda sympy, x: sympy.Integer(2) ** x, latex=r"2^{{{0}}}", exact=_exact_exp2)
unary("log", np.log, lambda F, g, out, x: (g / x,), latex=_fn("log"), domain=_POSITIVE,
      note="natural logarithm; log(x, b) is log(x)/log(b)", at={1: 0})
unary("log2", np.log2, lambda F, g, out, x: (g / (x * F.log(2)),),
      sympy=lambda sympy, x: sympy.log(x, 2), latex=r"\log_{{2}}\left({0}\right)",
      domain=_POSITIVE, torch="Log2", exact=_exact_log(2))
unary("log10", np.log10, lambda F, g, out, x: (g / (x * F.log(10)),),
      sympy=lambda sympy, x: sympy.log(x, 10), latex=r"\log_{{10}}\left({0}\right)",
      domain=_POSITIVE, torch="Log10", exact=_exact_log(10))
unary("log1p", np.log1p, lambda F, g, out, x: (g / (1 + x),),
      sympy=lambda sympy, x: sympy.log(1 + x), latex=r"\ln\left(1 + {0}\right)",
      domain=((-0.8, 3.0),), torch="Log1P", note="log(1 + x), accurate for small x", at={0: 0})
unary("sqrt", np.sqrt, lambda F, g, out, x: (g / (2 * out),), latex=r"\sqrt{{{0}}}",
      domain=_POSITIVE, exact=_exact_sqrt)
unary("cbrt", np.cbrt, lambda F, g, out, x: (g / (3 * out * out),), latex=r"\sqrt[3]{{{0}}}",
      sympy=lambda sympy, x: sympy.sign(x) * sympy.Abs(x) ** sympy.Rational(1, 3),
      domain=_POSITIVE, note="the real cube root, defined for negative x too", exact=_exact_cbrt)
# erf' = 2*exp(-x**2)/sqrt(pi), with pi kept symbolic in closed forms.
unary("erf", _erf_numpy, lambda F, g, out, x: (2 * g * F.exp(-(x * x)) / F.sqrt(pi_like(F, x)),),
      latex=r"\operatorname{{erf}}\left({0}\right)", at={0: 0})
# 1/(1+exp(-x)) is accurate in float64 for every x (exp overflows to inf, giving 0) and is
# several times faster than a logaddexp form.
unary("sigmoid", lambda x: 1.0 / (1.0 + np.exp(-x)),
      lambda F, g, out, x: (g * out * (1 - out),),
      sympy=lambda sympy, x: 1 / (1 + sympy.exp(-x)), latex=r"\frac{{1}}{{1 + e^{{-{0}}}}}",
      note="1/(1+exp(-x))", exact=lambda x: Fraction(1, 2) if x == 0 else None)
unary("softplus", lambda x: np.logaddexp(0.0, x), lambda F, g, out, x: (g * F.sigmoid(x),),
      sympy=lambda sympy, x: sympy.log(1 + sympy.exp(x)),
      latex=r"\operatorname{{softplus}}\left({0}\right)", note="log(1+exp(x)), without overflow")

def _atan2_grad(F: Backend, g: Any, out: Any, y: Any, x: Any) -> tuple[Any, Any]:
    # At (0, 0) the partials do not exist; we take 0 for both, as PyTorch does.
    radius2 = x * x + y * y
    scale = F.where(F.eq(radius2, 0), 0, g / radius2)
    return scale * x, -scale * y


register(OpSpec(
    name="atan2", arity=2, numpy=np.arctan2, grad=_atan2_grad,
    sympy="atan2", latex=r"\operatorname{{atan2}}\left({0}, {1}\right)", torch="Atan2",
    domain=((0.3, 3.0), (0.3, 3.0)),
    note="same (y, x) argument order as numpy; both partials are 0 at (0, 0), as PyTorch",
))


def _sinc_grad(F: Any, g: Any, out: Any, x: Any) -> tuple[Any]:
    # sinc'(x) = (cos(pi x) - sinc(x))/x away from 0; the limit at 0 is 0.
    return (g * F.where(F.eq(x, 0), 0, (F.cos(pi_like(F, x) * x) - out) / x),)


# Normalized, as numpy and PyTorch define it: sin(pi x)/(pi x), with sinc(0) = 1.
unary("sinc", np.sinc, _sinc_grad, sympy=lambda sympy, x: sympy.sinc(sympy.pi * x),
      latex=r"\operatorname{{sinc}}\left({0}\right)", domain=((0.2, 3.0),),
      exact=lambda x: Fraction(1) if x == 0 else Fraction(0) if x.denominator == 1 else None,
      note="sin(pi*x)/(pi*x), 1 at 0 (tested away from 0, where SymPy's form is 0/0)")

