"""Homework verification: is a claimed derivative right, and if not, what went wrong?

`verify(f, claimed, wrt, order, at)` compares the claim with the true derivative at many points
of f's real domain (see `domains`: round one-decimal points first, so a counterexample reads
well), and asks SymPy, within a time limit, to simplify their difference to 0. A difference is
called a mistake only once higher precision (`confirm`) shows it is not rounding. A wrong claim
gets a counterexample and a diagnosis of the usual mistakes (see `diagnosis`).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..calculus.differentiate import diff, resolve_symbols, sole_symbol
from ..core.errors import ArgumentError, DomainError, ShapeError
from ..core.expr import Expr
from ..core.shapes import Shape
from ..language.parse import as_expression, strip_left_side
from ..language.printing import to_text
from ..numeric.evaluate import evaluate
from .confirm import Comparison, compare
from .diagnosis import Samples, diagnose, sympy_difference
from .domains import At, sample_domain
from .sampling import count_points, format_value, point_dict
from .verdict import CORRECT, INCONCLUSIVE, WRONG, Verdict, derivative_name

NICE_POINTS, RANDOM_POINTS = 40, 160
Wrt = str | Expr | Sequence[str | Expr] | None


def verify(expr: Any, claimed: Any, wrt: Wrt = None, order: int = 1, at: At | None = None, *,
           shapes: Mapping[str, Shape] | None = None, seed: int = 0,
           use_sympy: bool = True, prove: bool = True) -> Verdict:
    """Is `claimed` the derivative of `expr`: `order` times by `wrt`, or the mixed partial
    when `wrt` is a tuple (`("x", "y")` is f_xy)? A dict of partials (`{"x": ..., "y": ...}`)
    claims the gradient.

    Both may be strings (parsed, with `shapes` for vector symbols) or Exprs. Equivalent forms
    count as right. `at` restricts the check: `{"x": (5, 10)}` an interval, `{"x": 7}` a
    point; without it the points come from the expression's real domain wherever it lies.
    `use_sympy=False` skips SymPy's simplification (the proof, and the simplified difference
    in a diagnosis; differences are still confirmed with SymPy's arbitrary precision);
    `prove=False` simplifies only when the numbers cannot decide (faster; `proved` then stays
    False for answers the numbers settle). Wrong far from 0 is wrong: the points reach out to
    ±1000, and a claim NaN where the derivative is real (x^1.5 at x < 0) is wrong there.
    """
    function = as_expression(expr, shapes)
    if isinstance(claimed, Mapping):
        return _verify_gradient(function, claimed, wrt, at, shapes, seed, use_sympy, prove)
    claim = _claim(claimed, shapes or function.symbol_shapes)
    variables, shown_wrt = _variables(function, wrt, order)
    derivative = function
    for name in variables:
        derivative = diff(derivative, name)
    if claim.shape != derivative.shape and claim.shape != ():
        raise ShapeError(f"the derivative has shape {derivative.shape}, your answer has shape "
                         f"{claim.shape}")
    return _decide(function, shown_wrt, variables, claim, derivative, at, seed, use_sympy, prove)


def _claim(claimed: Any, shapes: Mapping[str, Shape]) -> Expr:
    if isinstance(claimed, str):  # "f'(x) = 2x" and "dy/dx = 2x" claim 2x
        claimed = strip_left_side(claimed)
    # A claim written as text uses the function's vector symbols unless told otherwise.
    return as_expression(claimed, shapes)


def _variables(function: Expr, wrt: Wrt, order: int) -> tuple[tuple[str, ...], str | tuple[str, ...]]:
    """The names to differentiate by, in order, and `wrt` as the verdict shows it."""
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ArgumentError(f"order must be a whole number 1 or more, not {order!r}")
    if wrt is None or isinstance(wrt, (str, Expr)):
        name = sole_symbol(function, wrt).name or ""
        return (name,) * order, name
    if not isinstance(wrt, Sequence):
        raise ArgumentError(f"wrt takes a variable name or a tuple of names, not {wrt!r}")
    names = tuple(symbol.name or "" for symbol in resolve_symbols(function, list(wrt)))
    if not names:
        raise ArgumentError("wrt names no variable")
    if order != 1 and len(names) > 1:
        raise ArgumentError("give either order= or a tuple of variables for a mixed partial, "
                            "not both")
    if len(names) == 1:
        return names * order, names[0]
    return names, names


def _verify_gradient(function: Expr, claimed: Mapping[Any, Any], wrt: Wrt, at: At | None,
                     shapes: Mapping[str, Shape] | None, seed: int, use_sympy: bool,
                     prove: bool) -> Verdict:
    """A gradient claimed as a dict of partials: one verdict per partial, and their sum."""
    if wrt is not None:
        raise ArgumentError("a gradient given as a dict names its variables itself; leave wrt out")
    parts = {str(name): verify(function, part, str(name), 1, at, shapes=shapes, seed=seed,
                               use_sympy=use_sympy, prove=prove)
             for name, part in claimed.items()}
    missing = [name for name in function.symbols if name not in parts]
    if not parts:
        raise ArgumentError("the gradient has no partial derivatives in it")
    wrong = [part for part in parts.values() if part.status == WRONG]
    unsure = [part for part in parts.values() if part.status == INCONCLUSIVE]
    first = wrong[0] if wrong else unsure[0] if unsure else next(iter(parts.values()))
    if wrong:
        status = WRONG
        names = ", ".join(name for name, part in parts.items() if part.status == WRONG)
        message = f"wrong: the partial derivative by {names} is wrong"
    elif unsure:
        status, message = INCONCLUSIVE, "inconclusive: " + (first.reason or "")
    else:
        status = CORRECT
        message = "correct: every partial derivative is right"
    if missing and status != WRONG:
        status = WRONG
        message = f"wrong: the gradient lacks the partial derivative by {', '.join(missing)}"
    return Verdict(status, function, tuple(parts), first.claim, first.derivative,
                   first.counterexample, first.expected, first.claimed, message,
                   all(part.proved for part in parts.values()) and status == CORRECT,
                   first.diagnosis if status == WRONG else None,
                   first.reason if status == INCONCLUSIVE else None, 1, parts)


# -- the decision ---------------------------------------------------------------------------------
def _decide(function: Expr, wrt: str | tuple[str, ...], variables: tuple[str, ...], claim: Expr,
            derivative: Expr, at: At | None, seed: int, use_sympy: bool, prove: bool) -> Verdict:
    order = len(variables) if isinstance(wrt, str) else 1

    def verdict(status: str, message: str, **fields: Any) -> Verdict:
        return Verdict(status, function, wrt, claim, derivative, message=message, order=order,
                       **fields)

    try:
        samples = _samples(function, derivative, claim, at, seed)
    except DomainError as error:
        reason = str(error)
        return verdict(INCONCLUSIVE, "inconclusive: " + reason, reason=reason)
    comparison = compare(samples, derivative, claim)
    right = _correct_message(function, variables, claim, derivative) + _where(at)
    if comparison.status == CORRECT:
        proved = use_sympy and prove and _sympy_equal(derivative, claim)
        return verdict(CORRECT, right, proved=proved)
    if use_sympy and comparison.status != WRONG and _sympy_equal(derivative, claim):
        return verdict(CORRECT, right, proved=True)
    if comparison.status == INCONCLUSIVE:
        reason = comparison.reason or "the numbers cannot tell"
        return verdict(INCONCLUSIVE, "inconclusive: " + reason, reason=reason)
    return _wrong(function, wrt, variables, claim, derivative, samples, comparison, use_sympy)


def _wrong(function: Expr, wrt: str | tuple[str, ...], variables: tuple[str, ...], claim: Expr,
           derivative: Expr, samples: Samples, comparison: Comparison, use_sympy: bool) -> Verdict:
    index = comparison.index
    point = point_dict(samples.batch, index)
    message = diagnose(function, variables, claim, derivative, samples, use_sympy)
    order = len(variables) if isinstance(wrt, str) else 1
    return Verdict(WRONG, function, wrt, claim, derivative, point,
                   _value(samples.expected[index], derivative),
                   _value(samples.claimed[index], derivative), message,
                   diagnosis=message.removeprefix("wrong: "), order=order)


def _samples(function: Expr, derivative: Expr, claim: Expr, at: At | None, seed: int) -> Samples:
    shapes = _symbol_shapes(function, claim)
    rng = np.random.default_rng(seed)
    batch = sample_domain([function, derivative], shapes, at, rng,
                          NICE_POINTS, RANDOM_POINTS) if shapes else {}
    count = count_points(batch)

    def flat(value: np.ndarray) -> np.ndarray:
        return np.broadcast_to(value, (count, *derivative.shape)).reshape(count, -1)

    with np.errstate(all="ignore"):
        expected = flat(evaluate(derivative, {n: batch[n] for n in derivative.symbols}))
        claimed = flat(evaluate(claim, {n: batch[n] for n in claim.symbols}))
    return Samples(batch, np.array(expected, dtype=np.float64), np.array(claimed, dtype=np.float64))


def _where(at: At | None) -> str:
    """` (checked for x in [5, 10])`: the region a verdict was restricted to."""
    if not at:
        return ""
    parts = [f"{name} in [{value[0]:g}, {value[1]:g}]" if isinstance(value, (tuple, list))
             and len(value) == 2 and np.ndim(value[0]) == 0 else f"{name}={format_value(value)}"
             for name, value in at.items()]
    return f" (checked for {', '.join(parts)})"


def _symbol_shapes(*exprs: Expr) -> dict[str, Shape]:
    shapes: dict[str, Shape] = {}
    for expr in exprs:
        for name, shape in expr.symbol_shapes.items():
            if shapes.setdefault(name, shape) != shape:
                raise ShapeError(f"{name} has shape {shapes[name]} in one expression and {shape} "
                                 "in the other")
    return shapes


def _value(row: np.ndarray, derivative: Expr) -> Any:
    return float(row[0]) if derivative.shape == () else row.reshape(derivative.shape).tolist()


def _correct_message(function: Expr, variables: tuple[str, ...], claim: Expr, derivative: Expr) -> str:
    what = "the derivative" if len(variables) == 1 else f"{derivative_name(variables)}"
    if len(variables) == 1:
        message = (f"correct: {to_text(claim, 100)} is the derivative of {to_text(function, 100)} "
                   f"with respect to {variables[0]}")
    else:
        message = f"correct: {to_text(claim, 100)} is {what} of {to_text(function, 100)}"
    if claim is not derivative:
        message += f" (symgrad writes it {to_text(derivative, 100)})"
    return message


def _sympy_equal(derivative: Expr, claim: Expr) -> bool:
    """SymPy simplifies `derivative - claim` to 0 within `diagnosis.SYMPY_SECONDS`."""
    difference = sympy_difference(derivative, claim)
    return difference is not None and difference == 0
