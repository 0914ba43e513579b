"""Telling a mistake from rounding: compare at the sample points, confirm in higher precision.

`compare` looks at the true derivative's and the claim's float values at every sample point.
Values that agree to about 12 significant digits agree. Where they differ more, the two
expressions are evaluated again at that exact point (the float's exact binary value) by SymPy's
arbitrary-precision `evalf` (mpmath underneath), under a time limit: a difference that survives
there is a mistake, one that vanishes was rounding. When higher precision is not available
(an operation SymPy lacks, or out of time), large differences still count as mistakes and small
ones leave the verdict inconclusive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping, Protocol

import numpy as np

from ..core.errors import SymgradError
from ..core.expr import Expr
from ..core.traverse import topological
from ..language.sympy_bridge import SympyTimeout, sympy_symbol, to_sympy, within
from ..numeric.evaluate import finish, forward_values
from .diagnosis import Samples, load_sympy
from .sampling import format_point, point_dict

TIGHT_RTOL, TIGHT_ATOL = 1e-12, 1e-14   # floats this close agree without more ado
EXACT_RTOL = 1e-12                      # a difference beyond this in high precision is real
LOUD_RTOL = 1e-6                        # a float difference this large is real when unconfirmable
DIGITS = 30                             # significant digits of the high-precision check
MAX_DIGITS = 1200                       # working precision SymPy may raise to, for cancellation
CONFIRM_SECONDS = 5.0                   # per point; generous, since a loaded machine is slow
MAX_CONFIRMATIONS = 6


@dataclass(frozen=True, slots=True)
class Comparison:
    """What the numbers say: `status` (correct, wrong, inconclusive), the point `index` of a
    confirmed counterexample, and the `reason` when inconclusive."""

    status: str
    index: int = 0
    reason: str | None = None


class Confirmer(Protocol):
    """Tells whether two values differ at a point in high precision (None: cannot tell)."""

    trouble: str

    @property
    def available(self) -> bool:
        """Whether high precision works at all for these expressions."""

    def differ(self, point: Mapping[str, np.ndarray]) -> bool | None: ...


def tight_close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise agreement to about 12 significant digits (`a == b` covers infinities)."""
    with np.errstate(all="ignore"):
        scale = np.maximum(np.abs(a), np.abs(b))
        agree: np.ndarray = (np.abs(a - b) <= TIGHT_ATOL + TIGHT_RTOL * scale) | (a == b)
        return agree


def relative_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| / max(|a|, |b|, 1e-300) by row (the largest over a row's elements); inf where
    one side is not finite."""
    with np.errstate(all="ignore"):
        scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
        difference = np.where(np.isfinite(a) & np.isfinite(b), np.abs(a - b) / scale, np.inf)
        largest: np.ndarray = np.max(difference, axis=1)
        return largest


def compare(samples: Samples, derivative: Expr, claim: Expr,
            exact: Confirmer | None = None) -> Comparison:
    """Decide from the samples, confirming differences in high precision (see the module)."""
    expected, claimed = samples.expected, samples.claimed
    defined = np.all(np.isfinite(expected), axis=1)
    if not defined.any():
        return Comparison("inconclusive", reason="the derivative is not a finite real number "
                          "at any point checked")
    agree = np.all(tight_close(expected, claimed), axis=1) | ~defined
    # NaN is the claim leaving the real numbers (sqrt of a negative): no rounding does that.
    # A NaN made from an overflow (inf/inf where sinh(x)/cosh(x) meets x = 800) says nothing.
    not_a_number = np.flatnonzero(~agree & np.any(np.isnan(claimed), axis=1))
    if len(not_a_number):
        real_exit, _ = first_trouble(claim, samples.batch, not_a_number)
        if real_exit.any():
            return Comparison("wrong", int(not_a_number[np.argmax(real_exit)]))
        agree[not_a_number] = True
    # Where floats overflowed on the way (exp(x)**2 at x = 650), the final value can be
    # garbage even when finite: such points are left out.
    differing = np.flatnonzero(~agree)
    if len(differing):
        for expr in (derivative, claim):
            _, overflow = first_trouble(expr, samples.batch, differing)
            agree[differing[overflow]] = True
    if np.all(agree):
        return Comparison("correct")
    if exact is None:
        exact = HighPrecision(derivative, claim)
    relative = relative_difference(expected, claimed)
    suspects = _suspects(agree, relative, _plainness(samples.batch, len(agree)))
    unconfirmed = []
    for index in suspects:
        answer = exact.differ(point_of(samples.batch, index))
        if answer is True:
            return Comparison("wrong", index)
        if answer is None:
            unconfirmed.append(index)
    if not unconfirmed:
        return Comparison("correct")  # every difference was rounding
    if not exact.available:
        # No high precision at all (an operation SymPy lacks): large differences still tell.
        loud = [index for index in unconfirmed if relative[index] > LOUD_RTOL]
        if loud:
            return Comparison("wrong", loud[0])
    digits = int(-math.log10(max(float(np.max(relative[unconfirmed])), 1e-16)))
    return Comparison("inconclusive", reason=(
        f"the values agree only to about {digits} significant digits at "
        f"{format_point(point_dict(samples.batch, unconfirmed[0]))}, and neither higher "
        f"precision nor SymPy could tell whether that is rounding ({exact.trouble})"))


_ARITHMETIC = frozenset({"add", "mul", "sum", "mean", "prod", "dot", "matmul"})


def first_trouble(expr: Expr, batch: Mapping[str, np.ndarray],
                  rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of `rows` (points of `batch`), how `expr` first goes wrong there: by leaving
    the real numbers (a node turns NaN from finite arguments: sqrt(-1)), or by overflowing (a
    node turns infinite), each as a boolean mask over `rows`."""
    points = {name: array[rows] for name, array in batch.items() if name in expr.symbols}
    count = len(rows)
    computed, shape = forward_values([expr], points, keep_all=True)
    decided = np.zeros(count, dtype=bool)
    real_exit = np.zeros(count, dtype=bool)
    overflow = np.zeros(count, dtype=bool)
    finite: dict[Expr, np.ndarray] = {}
    for node in topological([expr]):
        value = np.broadcast_to(finish(computed[node], shape, node.shape),
                                (count, *node.shape)).reshape(count, -1)
        finite[node] = np.all(np.isfinite(value), axis=1)
        arguments_finite = np.ones(count, dtype=bool)
        for argument in node.args:
            arguments_finite &= finite[argument]
        first = ~decided & ~finite[node] & arguments_finite
        # Sums and products of finite numbers turn NaN only through an overflow on the way
        # (inf - inf, inf * 0); other operations turn NaN by leaving their domain.
        not_a_number = np.any(np.isnan(value), axis=1) & (node.op not in _ARITHMETIC)
        real_exit |= first & not_a_number
        overflow |= first & ~not_a_number
        decided |= first
    return real_exit, overflow


def _plainness(batch: Mapping[str, np.ndarray], count: int) -> np.ndarray:
    """How plain each point reads (lower is plainer): round one-decimal points near 0 first."""
    if not batch:
        return np.zeros(count)
    flat = np.concatenate([np.reshape(array, (count, -1)) for array in batch.values()], axis=1)
    with np.errstate(all="ignore"):
        ragged = np.sum(np.round(flat, 1) != flat, axis=1)
        size: np.ndarray = np.max(np.abs(flat), axis=1) + 1e6 * ragged
    return size


def _suspects(agree: np.ndarray, relative: np.ndarray, plainness: np.ndarray) -> list[int]:
    """The points to confirm: the plainest disagreeing point, then the largest differences."""
    disagree = np.flatnonzero(~agree)
    chosen = [int(disagree[np.argmin(plainness[disagree])])]
    by_size = disagree[np.argsort(-relative[disagree], kind="stable")]
    for index in by_size:
        if len(chosen) >= MAX_CONFIRMATIONS:
            break
        if int(index) not in chosen:
            chosen.append(int(index))
    return chosen


def point_of(batch: Mapping[str, np.ndarray], index: int) -> dict[str, np.ndarray]:
    """Point `index` of batched values, each value an array of its symbol's shape."""
    return {name: np.asarray(array[index], dtype=np.float64) for name, array in batch.items()}


class HighPrecision:
    """The derivative and the claim in SymPy, evaluated at exact points to `DIGITS` digits."""

    def __init__(self, derivative: Expr, claim: Expr) -> None:
        self.derivative, self.claim = derivative, claim
        self.trouble = ""
        self._converted: tuple[list[Any], list[Any]] | None = None
        self._failed = False

    @property
    def available(self) -> bool:
        """False once SymPy could not read the expressions."""
        return not self._failed

    def differ(self, point: Mapping[str, np.ndarray]) -> bool | None:
        """True when the two differ at `point` beyond rounding, False when they agree there,
        None when high precision cannot tell (`trouble` says why)."""
        converted = self._sympy()
        if converted is None:
            return None
        try:
            return within(CONFIRM_SECONDS, _differ, converted, point)
        except SympyTimeout:
            self.trouble = f"higher precision took over {CONFIRM_SECONDS:g} s"
        except _Unknowable as error:
            self.trouble = str(error)
        except (SymgradError, ArithmeticError, ValueError, TypeError, AttributeError,
                RecursionError, NotImplementedError) as error:
            self.trouble = f"higher precision failed: {type(error).__name__}"
        return None

    def _sympy(self) -> tuple[list[Any], list[Any]] | None:
        if self._converted is None and not self._failed:
            load_sympy()
            try:
                self._converted = within(CONFIRM_SECONDS, _convert, self.derivative, self.claim)
            except SympyTimeout:
                self.trouble = "SymPy took too long to read the expressions"
                self._failed = True
            except (SymgradError, ArithmeticError, ValueError, TypeError, AttributeError,
                    RecursionError, NotImplementedError) as error:
                self.trouble = f"SymPy cannot read the expressions ({type(error).__name__})"
                self._failed = True
        return self._converted


def _convert(derivative: Expr, claim: Expr) -> tuple[list[Any], list[Any]]:
    expected, claimed = _elements(to_sympy(derivative, real=True)), _elements(to_sympy(claim, real=True))
    if len(claimed) == 1 and len(expected) > 1:  # a scalar claim stands for every element
        claimed = claimed * len(expected)
    return expected, claimed


def _elements(value: Any) -> list[Any]:
    import sympy
    items = list(sympy.flatten(value.tolist())) if isinstance(value, sympy.NDimArray) else [value]
    return [_exact_constants(sympy, item) for item in items]


def _exact_constants(sympy: Any, expression: Any) -> Any:
    """Floats that are decimal fractions as written (`1/2e8` is stored as the float 5e-9) as
    those exact fractions, so that high precision sees what the user wrote, not its rounding."""
    exact = {}
    for number in expression.atoms(sympy.Float):
        value = float(number)
        fraction = Fraction(value).limit_denominator(10 ** 15)
        if math.isfinite(value) and float(fraction) == value:
            exact[number] = sympy.Rational(fraction.numerator, fraction.denominator)
    return expression.xreplace(exact) if exact else expression


def _differ(converted: tuple[list[Any], list[Any]], point: Mapping[str, np.ndarray]) -> bool | None:
    import sympy
    substitution = _exact_point(sympy, point)
    expected_items, claimed_items = converted
    for expected_item, claimed_item in zip(expected_items, claimed_items):
        try:
            expected = _evaluate(sympy, expected_item, substitution)
        except _Unknowable:
            # The derivative cancels beyond MAX_DIGITS digits of its terms: it is 0 there to
            # that precision (d/dx (sec^2 x - tan^2 x)). A claim with a definite value that is
            # not 0 differs from it; a claim of exactly 0 agrees.
            claimed = _evaluate(sympy, claimed_item, substitution)  # may be unknowable too
            if claimed is None or float(claimed) != 0.0:
                return True
            continue
        claimed = _evaluate(sympy, claimed_item, substitution)
        if expected is None:
            return None  # the true value is not a real number here: nothing to confirm
        if claimed is None:
            return True  # the claim is undefined (or complex) where the derivative is real
        scale = max(abs(expected), abs(claimed))
        if abs(expected - claimed) > EXACT_RTOL * scale and scale > 0:
            return True
    return False


def _exact_point(sympy: Any, point: Mapping[str, np.ndarray]) -> dict[Any, Any]:
    """Each float as the exact rational it is, so only the expressions' own rounding is left."""
    substitution: dict[Any, Any] = {}
    for name, value in point.items():
        array = np.asarray(value, dtype=np.float64)
        for index in np.ndindex(array.shape):
            exact = Fraction(float(array[index]))
            rational = sympy.Rational(exact.numerator, exact.denominator)
            substitution[sympy_symbol(name, tuple(index), real=True)] = rational
            substitution[sympy_symbol(name, tuple(index), real=False)] = rational
    return substitution


class _Unknowable(ArithmeticError):
    """The value cannot be had to `DIGITS` digits (cancellation beyond `MAX_DIGITS`)."""


def _evaluate(sympy: Any, expression: Any, substitution: Mapping[Any, Any]) -> Any:
    """The value as an mpmath-backed SymPy Float, or None when it is not a finite real.
    SymPy raises the working precision where terms cancel, up to `MAX_DIGITS`, and
    `strict=True` makes it say when even that is not enough (then `_Unknowable`)."""
    from sympy.core.evalf import PrecisionExhausted
    try:
        value = expression.xreplace(substitution).evalf(DIGITS, maxn=MAX_DIGITS, strict=True)
    except PrecisionExhausted:
        raise _Unknowable("the values cancel beyond the precision tried") from None
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or not value.is_number:
        return None
    real, imaginary = value.as_real_imag()
    if imaginary != 0 and abs(imaginary) > 1e-25 * max(1, abs(real)):
        return None
    return sympy.Float(real, DIGITS)
