"""Implicit differentiation: is a claimed dy/dx right on the curve F(x, y) = 0?

`verify_implicit("x^2 + y^2 = 25", "-x/y", wrt="x", dependent="y")` finds points on the curve
(for each sampled x, every sign change of F along a y grid of several scales, refined by
bisection, all points at once), and compares the claim there with the textbook formula
dy/dx = -F_x/F_y. A claim may use the equation to simplify (`-x/sqrt(25 - x^2)` on the upper
half): only its values on the curve count. Differences are confirmed at a point of the curve
found again in higher precision (SymPy's `nsolve`, mpmath underneath).
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Mapping

import numpy as np

from ..calculus.differentiate import diff
from ..core.errors import ArgumentError, DomainError, SymgradError
from ..core.expr import Expr
from ..language.parse import as_expression, strip_left_side
from ..language.printing import to_text
from ..language.sympy_bridge import SympyTimeout, to_sympy, within
from ..numeric.evaluate import evaluate
from .confirm import CONFIRM_SECONDS, DIGITS, EXACT_RTOL, Comparison, compare
from .diagnosis import Samples, close, load_sympy, sympy_difference
from .domains import At, sample_domain
from .sampling import LARGE, format_point, point_dict
from .verdict import CORRECT, INCONCLUSIVE, WRONG, Verdict

X_POINTS = 120                # x values tried; each gives every root of F along the y grid
MAX_ROOTS_PER_X = 4
GRID = np.sinh(np.linspace(-math.asinh(1000.0), math.asinh(1000.0), 801))  # fine near 0
BISECTIONS = 64


def verify_implicit(equation: Any, claimed: Any, wrt: str = "x", dependent: str = "y",
                    at: At | None = None, *, seed: int = 0, use_sympy: bool = True,
                    prove: bool = True) -> Verdict:
    """Is `claimed` the derivative d(dependent)/d(wrt) on the curve `equation`?

    `equation` is text with one `=` (`"x^2 + y^2 = 25"`), an expression F meaning F = 0, or a
    pair (left, right). The claim may use both variables. `at` restricts `wrt` (and any other
    parameter) as in `verify`. The verdict's `expr` is F (left minus right) and its
    `derivative` is -F_x/F_y.
    """
    curve = _curve(equation)
    claim = as_expression(strip_left_side(claimed) if isinstance(claimed, str) else claimed)
    for name, expr in (("the equation", curve), ("the claim", claim)):
        if any(shape != () for shape in expr.symbol_shapes.values()):
            raise ArgumentError(f"{name} uses a vector symbol; implicit curves take scalars")
    if wrt == dependent:
        raise ArgumentError("wrt and dependent must be two different variables")
    if dependent not in curve.symbols:
        raise ArgumentError(f"the equation does not use {dependent}; nothing defines it implicitly")
    reference = -diff(curve, wrt) / diff(curve, dependent)

    def verdict(status: str, message: str, **fields: Any) -> Verdict:
        return Verdict(status, curve, wrt, claim, reference, message=message,
                       dependent=dependent, **fields)

    try:
        samples = _points_on_curve(curve, reference, claim, wrt, dependent, at, seed)
    except DomainError as error:
        return verdict(INCONCLUSIVE, f"inconclusive: {error}", reason=str(error))
    exact = OnCurve(curve, reference, claim, wrt, dependent)
    comparison = compare(samples, reference, claim, exact)
    what = f"d{dependent}/d{wrt} on the curve {to_text(curve, 80)} = 0"
    if comparison.status == CORRECT:
        proved = use_sympy and prove and _sympy_equal(reference, claim)
        return verdict(CORRECT, f"correct: {to_text(claim, 100)} is {what}", proved=proved)
    if comparison.status == INCONCLUSIVE:
        reason = comparison.reason or "the numbers cannot tell"
        return verdict(INCONCLUSIVE, "inconclusive: " + reason, reason=reason)
    return _wrong(curve, reference, claim, wrt, dependent, samples, comparison, verdict)


def _curve(equation: Any) -> Expr:
    """F with the curve F = 0, from "left = right", (left, right) or F itself."""
    if isinstance(equation, tuple) and len(equation) == 2:
        return as_expression(equation[0]) - as_expression(equation[1])
    if not isinstance(equation, str):
        return as_expression(equation)
    sides = [match.start() for match in re.finditer(r"(?<![<>=!])=(?!=)", equation)]
    if len(sides) > 1:
        raise ArgumentError(f"the equation {equation!r} has {len(sides)} '=' signs; give one")
    if not sides:
        return as_expression(equation)
    (split,) = sides
    # Blank out the other side, so parse errors point at the column as written.
    left = equation[:split] + " " * (len(equation) - split)
    right = " " * (split + 1) + equation[split + 1:]
    return as_expression(left) - as_expression(right)


# -- points on the curve ----------------------------------------------------------------------------
def _points_on_curve(curve: Expr, reference: Expr, claim: Expr, wrt: str, dependent: str,
                     at: At | None, seed: int) -> Samples:
    names = sorted(set(curve.symbols) | set(claim.symbols) | {wrt, dependent})
    rng = np.random.default_rng(seed)
    # Solve for y at sampled x, and for x at sampled y: a curve such as cos(y) = x - 100
    # lies in a strip that sampled x values rarely hit.
    found = [roots for solved in (dependent, wrt)
             if (roots := _solved(curve, names, solved, at or {}, rng)) is not None]
    if not found:
        raise DomainError(f"found no point on the curve where it crosses a line of constant "
                          f"{wrt}; give a region with at=")
    roots = {name: np.concatenate([part[name] for part in found]) for name in found[0]}
    batch = _usable(roots, [curve, reference, diff(curve, wrt), diff(curve, dependent)])
    if not len(batch[dependent]):
        raise DomainError(f"found no point on the curve where d{dependent}/d{wrt} is finite")
    with np.errstate(all="ignore"):
        expected = _values(reference, batch)
        claimed = _values(claim, batch)
    return Samples(batch, expected, claimed)


def _solved(curve: Expr, names: list[str], solved: str, at: At,
            rng: np.random.Generator) -> dict[str, np.ndarray] | None:
    """Points of the curve found by solving for `solved` at sampled values of the others,
    inside the region `at` (a fixed value of `solved` leaves this way nothing to solve)."""
    region = at.get(solved)
    if region is not None and not isinstance(region, (tuple, list)):
        return None
    given = {name: value for name, value in at.items() if name != solved}
    others = _abscissas(curve, {name: () for name in names if name != solved}, given, rng)
    roots = _roots(curve, others, solved)
    if roots is None or region is None:
        return roots
    low, high = region
    inside = (roots[solved] >= low) & (roots[solved] <= high)
    return {name: array[inside] for name, array in roots.items()} if inside.any() else None


def _abscissas(curve: Expr, shapes: Mapping[str, tuple[int, ...]], at: At | None,
               rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Values of every variable but the dependent one: round ones first, then random ones."""
    nothing: list[Expr] = []
    return sample_domain(nothing, shapes, at, rng, X_POINTS // 2, X_POINTS // 2) if shapes else {}


def _roots(curve: Expr, xs: Mapping[str, np.ndarray], dependent: str) -> dict[str, np.ndarray] | None:
    """Every sign change of F along the y grid, for each x, bisected to full precision."""
    count = len(next(iter(xs.values())))
    grid = {name: np.repeat(values, len(GRID)) for name, values in xs.items()}
    grid[dependent] = np.tile(GRID, count)
    with np.errstate(all="ignore"):
        values = np.broadcast_to(evaluate(curve, grid), (count * len(GRID),)).reshape(count, -1)
    sign = np.sign(values)
    crossing = (sign[:, :-1] * sign[:, 1:] < 0) & np.isfinite(values[:, :-1]) & np.isfinite(values[:, 1:])
    # A few crossings per x, spread along y, are plenty.
    rows, columns = np.nonzero(crossing)
    keep = _first_per_row(rows, MAX_ROOTS_PER_X)
    rows, columns = rows[keep], columns[keep]
    if not len(rows):
        return None
    low, high = GRID[columns], GRID[columns + 1]
    fixed = {name: values_[rows] for name, values_ in xs.items()}
    low_value = values[rows, columns]
    for _ in range(BISECTIONS):
        middle = 0.5 * (low + high)
        with np.errstate(all="ignore"):
            at_middle = np.broadcast_to(evaluate(curve, {**fixed, dependent: middle}), middle.shape)
        same = np.sign(at_middle) == np.sign(low_value)
        low, high = np.where(same, middle, low), np.where(same, high, middle)
        low_value = np.where(same, at_middle, low_value)
    root = 0.5 * (low + high)
    with np.errstate(all="ignore"):
        residual = np.abs(np.broadcast_to(evaluate(curve, {**fixed, dependent: root}), root.shape))
    # A sign change through a pole is no root: there |F| grows instead of vanishing.
    ends = np.maximum(np.abs(values[rows, columns]), np.abs(values[rows, columns + 1]))
    real = residual <= 1e-6 * ends
    return {**{name: array[real] for name, array in fixed.items()}, dependent: root[real]}


def _first_per_row(rows: np.ndarray, limit: int) -> np.ndarray:
    """A mask keeping up to `limit` entries per row (rows sorted), spread out along the row."""
    keep = np.zeros(len(rows), dtype=bool)
    for row in np.unique(rows):
        where = np.flatnonzero(rows == row)
        chosen = where[np.linspace(0, len(where) - 1, min(limit, len(where))).round().astype(int)]
        keep[chosen] = True
    return keep


def _usable(batch: dict[str, np.ndarray], exprs: list[Expr]) -> dict[str, np.ndarray]:
    count = len(next(iter(batch.values())))
    good = np.ones(count, dtype=bool)
    for expr in exprs:
        with np.errstate(all="ignore"):
            value = _values(expr, batch)
        good &= np.all(np.isfinite(value) & (np.abs(value) < LARGE), axis=1)
    # The plainest points first (round x, small |y|), so a counterexample reads well.
    return {name: array[good] for name, array in batch.items()}


def _values(expr: Expr, batch: Mapping[str, np.ndarray]) -> np.ndarray:
    count = len(next(iter(batch.values())))
    value = evaluate(expr, {name: batch[name] for name in expr.symbols})
    return np.array(np.broadcast_to(value, (count,)), dtype=np.float64).reshape(count, 1)


# -- confirming on the curve in high precision -------------------------------------------------------
class OnCurve:
    """Reference and claim compared at the curve's point found again to `DIGITS` digits."""

    def __init__(self, curve: Expr, reference: Expr, claim: Expr, wrt: str, dependent: str) -> None:
        self.parts = (curve, reference, claim)
        self.dependent = dependent
        self.trouble = ""
        self._available = True

    @property
    def available(self) -> bool:
        """False once SymPy failed on these expressions (not merely ran out of time)."""
        return self._available

    def differ(self, point: Mapping[str, np.ndarray]) -> bool | None:
        """True, False, or None when high precision cannot tell (see `confirm.HighPrecision`)."""
        load_sympy()
        try:
            return within(CONFIRM_SECONDS, _differ_on_curve, self.parts, self.dependent,
                          {name: float(value) for name, value in point.items()})
        except SympyTimeout:
            self.trouble = f"higher precision took over {CONFIRM_SECONDS:g} s"
        except (SymgradError, ArithmeticError, ValueError, TypeError, AttributeError,
                RecursionError, NotImplementedError, ZeroDivisionError) as error:
            self.trouble = f"higher precision failed: {type(error).__name__}"
            self._available = False
        return None


def _differ_on_curve(parts: tuple[Expr, Expr, Expr], dependent: str,
                     point: Mapping[str, float]) -> bool | None:
    import sympy
    curve, reference, claim = (to_sympy(part, real=True) for part in parts)
    fixed = {sympy.Symbol(name, real=True): sympy.Rational(value)
             for name, value in point.items() if name != dependent}
    y = sympy.Symbol(dependent, real=True)
    root = sympy.nsolve(curve.xreplace(fixed), y, point[dependent], prec=DIGITS + 10)
    if not root.is_real:
        return None
    fixed[y] = root
    expected = reference.xreplace(fixed).evalf(DIGITS)
    claimed = claim.xreplace(fixed).evalf(DIGITS)
    if not expected.is_real or expected.has(sympy.zoo, sympy.nan):
        return None
    if not claimed.is_real or claimed.has(sympy.zoo, sympy.nan):
        return True
    scale = max(abs(expected), abs(claimed))
    return bool(scale > 0 and abs(expected - claimed) > EXACT_RTOL * scale)


# -- wrong claims -----------------------------------------------------------------------------------
def _wrong(curve: Expr, reference: Expr, claim: Expr, wrt: str, dependent: str,
           samples: Samples, comparison: Comparison,
           verdict: Callable[..., Verdict]) -> Verdict:
    index = comparison.index
    point = point_dict(samples.batch, index)
    diagnosis = _diagnose(curve, reference, claim, wrt, dependent, samples)
    return verdict(WRONG, "wrong: " + diagnosis, counterexample=point,
                   expected=float(samples.expected[index, 0]),
                   claimed=float(samples.claimed[index, 0]), diagnosis=diagnosis)


def _diagnose(curve: Expr, reference: Expr, claim: Expr, wrt: str, dependent: str,
              samples: Samples) -> str:
    valid = np.all(np.isfinite(samples.expected) & np.isfinite(samples.claimed), axis=1)
    if not valid.all():
        first = int(np.argmin(valid))
        return (f"your answer is not defined at {format_point(point_dict(samples.batch, first))} "
                "on the curve")
    expected, claimed = samples.expected[valid], samples.claimed[valid]
    partial_x = _values(diff(curve, wrt), samples.batch)[valid]
    partial_y = _values(diff(curve, dependent), samples.batch)[valid]

    def matches(values: np.ndarray) -> bool:
        return bool(np.all(close(claimed, values)))

    if matches(-expected):
        return (f"your answer has the wrong sign: d{dependent}/d{wrt} = -F_{wrt}/F_{dependent}, "
                f"with F = {to_text(curve, 60)}")
    with np.errstate(all="ignore"):
        if matches(1 / expected) or matches(-1 / expected):
            return (f"your answer is upside down: that is d{wrt}/d{dependent}; "
                    f"d{dependent}/d{wrt} = -F_{wrt}/F_{dependent}")
    if matches(-partial_x) or matches(partial_x):
        return (f"you stopped at F_{wrt}: divide by F_{dependent} = "
                f"{to_text(diff(curve, dependent), 60)}, the factor that multiplies "
                f"d{dependent}/d{wrt} when you differentiate both sides")
    if matches(np.zeros_like(expected)):
        return "your answer is 0 on the curve, but the slope is not"
    del partial_y
    return (f"your answer is not d{dependent}/d{wrt} on the curve; differentiating both sides "
            f"gives -F_{wrt}/F_{dependent} = {to_text(reference, 80)}")


def _sympy_equal(reference: Expr, claim: Expr) -> bool:
    difference = sympy_difference(reference, claim)
    return difference is not None and difference == 0

