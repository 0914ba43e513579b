"""Elementary functions: trigonometric, hyperbolic, exponential, logarithmic, roots, erf."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..core.opspec import Backend, OpSpec, register

_erf = np.frompyfunc(math.erf, 1, 1)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_WIDE = ((-3.0, 3.0),)
_POSITIVE = ((0.2, 3.0),)
_UNIT = ((-0.9, 0.9),)


def _erf_numpy(x: np.ndarray) -> np.ndarray:
    kind = np.result_type(x)
    return np.asarray(_erf(x), dtype=kind if kind.kind == "f" else np.float64)


def unary(name: str, numpy: Callable[..., Any], grad: Callable[[Backend, Any, Any, Any], tuple[Any]],
          *, sympy: Any = None,
          latex: str | None = None, torch: str = "", domain: tuple[tuple[float, float], ...] = _WIDE,
          note: str = "") -> None:
    """Register a one-argument elementwise function with a common SymPy/torch naming default."""
    register(OpSpec(name=name, arity=1, numpy=numpy, grad=grad, sympy=sympy or name,
                    latex=latex, torch=torch or name.capitalize(), domain=domain, note=note))


def _fn(command: str) -> str:
    return "\\" + command + r"\left({0}\right)"


unary("sin", np.sin, lambda F, g, out, x: (g * F.cos(x),), latex=_fn("sin"))
unary("cos", np.cos, lambda F, g, out, x: (-g * F.sin(x),), latex=_fn("cos"))
unary("tan", np.tan, lambda F, g, out, x: (g * (1 + out * out),), latex=_fn("tan"),
      domain=((-1.2, 1.2),))
unary("asin", np.arcsin, lambda F, g, out, x: (g * (1 - x * x) ** -0.5,), latex=_fn("arcsin"),
      domain=_UNIT)
unary("acos", np.arccos, lambda F, g, out, x: (-g * (1 - x * x) ** -0.5,), latex=_fn("arccos"),
      domain=_UNIT)
unary("atan", np.arctan, lambda F, g, out, x: (g / (1 + x * x),), latex=_fn("arctan"))
unary("asinh", np.arcsinh, lambda F, g, out, x: (g / F.sqrt(x * x + 1),),
      latex=r"\sinh^{{-1}}\left({0}\right)")
unary("acosh", np.arccosh, lambda F, g, out, x: (g / F.sqrt(x * x - 1),),
      latex=r"\cosh^{{-1}}\left({0}\right)", domain=((1.2, 3.0),),
      note="defined on [1, inf)")
unary("atanh", np.arctanh, lambda F, g, out, x: (g / (1 - x * x),),
      latex=r"\tanh^{{-1}}\left({0}\right)", domain=_UNIT, note="defined on (-1, 1)")
unary("sinh", np.sinh, lambda F, g, out, x: (g * F.cosh(x),), latex=_fn("sinh"))
unary("cosh", np.cosh, lambda F, g, out, x: (g * F.sinh(x),), latex=_fn("cosh"))
unary("tanh", np.tanh, lambda F, g, out, x: (g * (1 - out * out),), latex=_fn("tanh"))
unary("exp", np.exp, lambda F, g, out, x: (g * out,), latex=r"e^{{{0}}}")
unary("expm1", np.expm1, lambda F, g, out, x: (g * F.exp(x),),
      sympy=lambda sympy, x: sympy.exp(x) - 1, latex=r"\left(e^{{{0}}} - 1\right)",
      note="exp(x) - 1, accurate for small x")
unary("exp2", np.exp2, lambda F, g, out, x: (g * out * math.log(2.0),),
      sympy=lambda sympy, x: sympy.Integer(2) ** x, latex=r"2^{{{0}}}")
unary("log", np.log, lambda F, g, out, x: (g / x,), latex=_fn("log"), domain=_POSITIVE,
      note="natural logarithm; log(x, b) is log(x)/log(b)")
unary("log2", np.log2, lambda F, g, out, x: (g / (x * math.log(2.0)),),
      sympy=lambda sympy, x: sympy.log(x, 2), latex=r"\log_{{2}}\left({0}\right)",
      domain=_POSITIVE, torch="Log2")
unary("log10", np.log10, lambda F, g, out, x: (g / (x * math.log(10.0)),),
      sympy=lambda sympy, x: sympy.log(x, 10), latex=r"\log_{{10}}\left({0}\right)",
      domain=_POSITIVE, torch="Log10")
unary("log1p", np.log1p, lambda F, g, out, x: (g / (1 + x),),
      sympy=lambda sympy, x: sympy.log(1 + x), latex=r"\ln\left(1 + {0}\right)",
      domain=((-0.8, 3.0),), torch="Log1P", note="log(1 + x), accurate for small x")
unary("sqrt", np.sqrt, lambda F, g, out, x: (g * 0.5 / out,), latex=r"\sqrt{{{0}}}",
      domain=_POSITIVE)
unary("cbrt", np.cbrt, lambda F, g, out, x: (g / (3 * out * out),), latex=r"\sqrt[3]{{{0}}}",
      sympy=lambda sympy, x: sympy.sign(x) * sympy.Abs(x) ** sympy.Rational(1, 3),
      domain=_POSITIVE, note="the real cube root, defined for negative x too")
unary("erf", _erf_numpy, lambda F, g, out, x: (g * _TWO_OVER_SQRT_PI * F.exp(-(x * x)),),
      latex=r"\operatorname{{erf}}\left({0}\right)")
# 1/(1+exp(-x)) is accurate in float64 for every x (exp overflows to inf, giving 0) and is
# several times faster than a logaddexp form.
unary("sigmoid", lambda x: 1.0 / (1.0 + np.exp(-x)),
      lambda F, g, out, x: (g * out * (1 - out),),
      sympy=lambda sympy, x: 1 / (1 + sympy.exp(-x)), latex=r"\frac{{1}}{{1 + e^{{-{0}}}}}",
      note="1/(1+exp(-x))")
unary("softplus", lambda x: np.logaddexp(0.0, x), lambda F, g, out, x: (g * F.sigmoid(x),),
      sympy=lambda sympy, x: sympy.log(1 + sympy.exp(x)),
      latex=r"\operatorname{{softplus}}\left({0}\right)", note="log(1+exp(x)), without overflow")

def _atan2_grad(F: Backend, g: Any, out: Any, y: Any, x: Any) -> tuple[Any, Any]:
    # At (0, 0) the partials do not exist; we take 0 for both, as PyTorch does.
    radius2 = x * x + y * y
    scale = F.where(F.eq(radius2, 0.0), 0.0, g / radius2)
    return scale * x, -scale * y


register(OpSpec(
    name="atan2", arity=2, numpy=np.arctan2, grad=_atan2_grad,
    sympy="atan2", latex=r"\operatorname{{atan2}}\left({0}, {1}\right)", torch="Atan2",
    domain=((0.3, 3.0), (0.3, 3.0)),
    note="same (y, x) argument order as numpy; both partials are 0 at (0, 0), as PyTorch",
))


def _sinc_grad(F: Any, g: Any, out: Any, x: Any) -> tuple[Any]:
    # sinc'(x) = (cos(pi x) - sinc(x))/x away from 0; the limit at 0 is 0.
    return (g * F.where(F.eq(x, 0.0), 0.0, (F.cos(math.pi * x) - out) / x),)


# Normalized, as numpy and PyTorch define it: sin(pi x)/(pi x), with sinc(0) = 1.
unary("sinc", np.sinc, _sinc_grad, sympy=lambda sympy, x: sympy.sinc(sympy.pi * x),
      latex=r"\operatorname{{sinc}}\left({0}\right)", domain=((0.2, 3.0),),
      note="sin(pi*x)/(pi*x), 1 at 0 (tested away from 0, where SymPy's form is 0/0)")

