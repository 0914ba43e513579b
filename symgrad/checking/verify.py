"""Homework verification: is a claimed derivative right, and if not, what went wrong?

`verify(f, claimed, wrt)` compares the claim with `sg.diff(f, wrt)` at many random points of
f's domain (round one-decimal points first, so a counterexample reads well), and asks SymPy,
within a time limit, to simplify their difference to 0. A wrong claim gets a counterexample and
a diagnosis of the usual mistakes (see `symgrad.diagnosis`): a constant factor, a sign, a
missing chain-rule factor, a reversed quotient rule, the derivative of a constant term, a
missing or extra term.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..language.parse import as_expression, strip_left_side
from .diagnosis import Samples, close, diagnose, shown, sympy_difference
from ..calculus.differentiate import diff, sole_symbol
from ..core.errors import ShapeError
from ..numeric.evaluate import evaluate
from ..core.expr import Expr
from ..language.printing import to_text
from .sampling import count_points, format_point, point_dict, sample_points
from .display import verdict_html
from ..core.shapes import Shape

NICE_POINTS, RANDOM_POINTS = 40, 160


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether `claim` is the derivative of `expr` with respect to `wrt`.

    `derivative` is the right answer. When the claim is wrong, `counterexample` is a point
    (`{"x": 0.7}`) where the two differ, with the `expected` and `claimed` values there, and
    `message` says what differs. `proved` is True when SymPy simplified the difference to 0.
    """

    ok: bool
    expr: Expr
    wrt: str
    claim: Expr
    derivative: Expr
    counterexample: dict[str, Any] | None
    expected: Any
    claimed: Any
    message: str
    proved: bool = False

    def _repr_html_(self) -> str:
        return verdict_html(self)

    def __str__(self) -> str:
        if self.ok:
            return self.message
        lines = [self.message]
        if self.counterexample is not None:
            lines.append(f"  at {format_point(self.counterexample)}: the derivative is "
                         f"{shown(self.expected)}, your answer gives {shown(self.claimed)}")
        lines.append(f"  d/d{self.wrt} {to_text(self.expr, 100)} = {to_text(self.derivative, 100)}")
        return "\n".join(lines)


# -- numbers at the sample points --------------------------------------------------------------------
def _symbol_shapes(*exprs: Expr) -> dict[str, Shape]:
    shapes: dict[str, Shape] = {}
    for expr in exprs:
        for name, shape in expr.symbol_shapes.items():
            if shapes.setdefault(name, shape) != shape:
                raise ShapeError(f"{name} has shape {shapes[name]} in one expression and {shape} "
                                 "in the other")
    return shapes


def _samples(expr: Expr, derivative: Expr, claim: Expr, seed: int) -> Samples:
    shapes = _symbol_shapes(expr, claim)
    rng = np.random.default_rng(seed)
    if shapes:
        nice = sample_points([expr, derivative], shapes, NICE_POINTS, rng, decimals=1)
        rest = sample_points([expr, derivative], shapes, RANDOM_POINTS, rng, decimals=3)
        batch = {name: np.concatenate([nice[name], rest[name]]) for name in shapes}
    else:
        batch = {}
    count = count_points(batch)

    def flat(value: np.ndarray) -> np.ndarray:
        return np.broadcast_to(value, (count, *derivative.shape)).reshape(count, -1)

    with np.errstate(all="ignore"):
        expected = flat(evaluate(derivative, {n: batch[n] for n in derivative.symbols}))
        claimed = flat(evaluate(claim, {n: batch[n] for n in claim.symbols}))
    return Samples(batch, np.array(expected), np.array(claimed))


# -- the verdict -----------------------------------------------------------------------------------
def verify(expr: Any, claimed: Any, wrt: str | Expr | None = None, *,
           shapes: Mapping[str, Shape] | None = None, seed: int = 0,
           use_sympy: bool = True) -> Verdict:
    """Is `claimed` the derivative of `expr` with respect to `wrt`?

    Both may be strings (parsed, with `shapes` for vector symbols) or Exprs. Equivalent forms
    count as right. The decision is numeric, at 200 points of the domain where `expr` and its
    derivative are finite, and symbolic, by SymPy within a time limit: SymPy's proof overrides
    differences that are only rounding. Without `wrt`, `expr` must have one variable; a `wrt`
    that `expr` does not use has derivative 0.
    """
    function = as_expression(expr, shapes)
    if isinstance(claimed, str):  # "f'(x) = 2x" and "dy/dx = 2x" claim 2x
        claimed = strip_left_side(claimed)
    # A claim written as text uses the function's vector symbols unless told otherwise.
    claim = as_expression(claimed, shapes or function.symbol_shapes)
    name = _variable(function, claim, wrt)
    derivative = diff(function, name)
    if claim.shape != derivative.shape and claim.shape != ():
        raise ShapeError(f"the derivative has shape {derivative.shape}, your answer has shape "
                         f"{claim.shape}")
    samples = _samples(function, derivative, claim, seed)
    agree = np.all(close(samples.expected, samples.claimed), axis=1)
    if np.all(agree):
        return _correct(function, name, claim, derivative, use_sympy and _sympy_equal(derivative, claim))
    if use_sympy and _only_rounding(samples, agree) and _sympy_equal(derivative, claim):
        return _correct(function, name, claim, derivative, True)
    first = int(np.argmin(agree))
    point = point_dict(samples.batch, first)
    message = diagnose(function, name, claim, derivative, samples, use_sympy)
    return Verdict(False, function, name, claim, derivative, point,
                   _value(samples.expected[first], derivative), _value(samples.claimed[first], derivative),
                   message)


def _variable(function: Expr, claim: Expr, wrt: str | Expr | None) -> str:
    # Names resolve as everywhere (`resolve_symbols`): a name f does not use has derivative 0.
    return sole_symbol(function, wrt).name or ""


def _value(row: np.ndarray, derivative: Expr) -> Any:
    return float(row[0]) if derivative.shape == () else row.reshape(derivative.shape).tolist()


def _only_rounding(samples: Samples, agree: np.ndarray) -> bool:
    """All differences are small (1e-3 relative) and at finite values: maybe only rounding."""
    expected, claimed = samples.expected[~agree], samples.claimed[~agree]
    if not (np.all(np.isfinite(expected)) and np.all(np.isfinite(claimed))):
        return False
    return bool(np.all(np.abs(expected - claimed) <= 1e-3 * np.maximum(1.0, np.abs(expected))))


def _correct(function: Expr, name: str, claim: Expr, derivative: Expr, proved: bool) -> Verdict:
    message = (f"correct: {to_text(claim, 100)} is the derivative of {to_text(function, 100)} "
               f"with respect to {name}")
    if claim is not derivative:
        message += f" (symgrad writes it {to_text(derivative, 100)})"
    return Verdict(True, function, name, claim, derivative, None, None, None, message, proved)


def _sympy_equal(derivative: Expr, claim: Expr) -> bool:
    """SymPy simplifies `derivative - claim` to 0 within `diagnosis.SYMPY_SECONDS`."""
    difference = sympy_difference(derivative, claim)
    return difference is not None and difference == 0
