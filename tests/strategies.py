"""Hypothesis strategies: random expressions that share their own subexpressions.

Each generated expression comes with the sample points it is meant to be checked at: every
operation's arguments lie inside that operation's `domain` (from the table) at all of those
points, so derivatives are defined there and away from kinks. An argument that does not fit
is squashed into the interval by `low + (high - low) * sigmoid(a)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from hypothesis import reject, strategies as st

import symgrad as sg
from symgrad.language.sympy_bridge import SympyError
from symgrad.core.expr import Expr, apply
from symgrad.core.opspec import OPS, OpSpec

POINTS = 5
LIMIT = 1e4
EXPONENTS = (2.0, 3.0, -1.0, -2.0, 0.5, 1.5, -0.5)
SPECIAL = {"pow", "where", "clamp"}
# Elementwise ops with a derivative; comparisons only appear inside `where`. remainder and
# fmod are left out: the SymPy oracle's lambdified Mod disagrees with SymPy's own evaluation
# inside products (found by hypothesis: sech(1.0*remainder(...) - 0.5)), so it cannot judge
# them; tests/test_parity_core.py checks both, with derivatives, against torch. heaviside is a
# comparison too (its domain straddles its jump at 0, for the table's tests): it appears in
# every derivative of max, min, clamp and relu, and tests/test_heaviside.py checks it alone.
ELEMENTWISE_OPS: list[OpSpec] = [
    spec for spec in OPS.values()
    if spec.elementwise and spec.name not in ("lt", "le", "gt", "ge", "eq", "ne", "remainder", "fmod",
                                              "heaviside")
]


@dataclass(frozen=True)
class Generated:
    """An expression and the points (name -> array, one row per point) to check it at."""

    expr: Expr
    points: dict[str, np.ndarray]

    def __repr__(self) -> str:
        shown = {name: value.tolist() for name, value in self.points.items()}
        return f"Generated({str(self.expr)!r}, points={shown})"


def values_of(expr: Expr, points: dict[str, np.ndarray]) -> np.ndarray:
    """`expr` at every point, broadcast to (POINTS, *expr.shape)."""
    used = {name: points[name] for name in expr.symbols}
    value = expr.eval(**used)
    return np.broadcast_to(value, (POINTS,) + expr.shape)


def _inside(value: np.ndarray, interval: tuple[float, float]) -> bool:
    low, high = interval
    return bool(np.all(value > low) and np.all(value < high))


def squash(expr: Expr, interval: tuple[float, float]) -> Expr:
    """`expr` mapped smoothly into the open `interval`."""
    low, high = interval
    return low + (high - low) * sg.sigmoid(expr)


def fit(expr: Expr, value: np.ndarray, interval: tuple[float, float]) -> Expr:
    """`scale * expr + shift`, with round numbers where possible, inside `interval` at the
    sample points where `expr` takes `value`."""
    low, high = interval
    smallest, largest = float(np.min(value)), float(np.max(value))
    spread = largest - smallest
    scale = 1.0
    if spread > 0.8 * (high - low):
        scale = float(f"{0.8 * (high - low) / spread:.1g}")
        scale = scale if scale * spread < 0.9 * (high - low) else 0.8 * (high - low) / spread
    shift = (low + high) / 2 - scale * (smallest + largest) / 2
    if _inside(scale * value + round(shift, 1), interval):
        shift = round(shift, 1)
    return scale * expr + shift


def _usable(value: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(value)) and np.all(np.abs(value) < LIMIT))


class _Pool:
    """The expressions built so far, with their values at the sample points."""

    def __init__(self, leaves: list[Expr], points: dict[str, np.ndarray]) -> None:
        self.points = points
        self.items: list[Expr] = []
        self.values: dict[Expr, np.ndarray] = {}
        for leaf in leaves:
            self.add(leaf)

    def add(self, expr: Expr) -> bool:
        if expr in self.values:
            self.items.append(expr)
            return True
        with np.errstate(all="ignore"):
            value = values_of(expr, self.points)
        if not _usable(value):
            return False
        self.items.append(expr)
        self.values[expr] = value
        return True

    def argument(self, draw: Callable[..., Any], interval: tuple[float, float]) -> Expr:
        fitting = [item for item in self.items if _inside(self.values[item], interval)]
        if fitting and draw(st.integers(0, 4)):
            return draw(st.sampled_from(fitting))
        chosen = draw(st.sampled_from(self.items))
        if draw(st.integers(0, 3)):
            return fit(chosen, self.values[chosen], interval)
        return squash(chosen, interval)


def _interval(spec: OpSpec, position: int) -> tuple[float, float]:
    domain = spec.domain or ((-3.0, 3.0),)
    return domain[min(position, len(domain) - 1)]


def _condition(draw: Callable[..., Any], pool: _Pool) -> Expr:
    """`a > c`, with the threshold c in the widest gap of a's values (no point near a tie)."""
    compared = draw(st.sampled_from(pool.items))
    values = np.sort(np.ravel(pool.values[compared]))
    gaps = np.diff(values)
    if gaps.size == 0 or gaps.max() < 0.1:
        threshold = float(values[0]) - 1.0
    else:
        widest = int(np.argmax(gaps))
        threshold = float(values[widest] + values[widest + 1]) / 2
    return apply("gt", compared, threshold)


def _step(draw: Callable[..., Any], pool: _Pool) -> Expr:
    spec = draw(st.sampled_from(ELEMENTWISE_OPS))
    if spec.name == "where":
        return apply("where", _condition(draw, pool), draw(st.sampled_from(pool.items)),
                     draw(st.sampled_from(pool.items)))
    if spec.name == "pow":
        exponent = draw(st.sampled_from(EXPONENTS))
        return pool.argument(draw, _interval(spec, 0)) ** exponent
    arity = spec.arity if spec.arity >= 0 else draw(st.integers(2, 3))
    args = [pool.argument(draw, _interval(spec, position)) for position in range(arity)]
    if spec.name in ("add", "mul") and draw(st.booleans()):
        args.append(draw(st.sampled_from((-1.0, 2.0, 0.5, -3.0, 1.5))))
    return apply(spec.name, *args)


@st.composite
def expressions(draw: Callable[..., Any], symbols: tuple[str, ...] = ("x", "y"),
                vector: str | None = None, max_steps: int = 8) -> Generated:
    """An expression over scalar `symbols` (and a (3,)-vector symbol named `vector`), built
    by up to `max_steps` elementwise operations whose arguments come from a shared pool;
    a vector result is summed, so the expression is scalar."""
    coordinate = st.floats(-2.0, 2.0, allow_nan=False).map(lambda v: round(v, 3))
    points = {name: np.array(draw(st.lists(coordinate, min_size=POINTS, max_size=POINTS)))
              for name in symbols}
    leaves = [sg.symbols(name) for name in symbols]
    if vector is not None:
        rows = draw(st.lists(st.lists(coordinate, min_size=3, max_size=3),
                             min_size=POINTS, max_size=POINTS))
        points[vector] = np.array(rows)
        leaves.append(sg.symbols(vector, shape=(3,)))
    pool = _Pool(leaves, points)
    for _ in range(draw(st.integers(1, max_steps))):
        pool.add(_step(draw, pool))
    result = pool.items[-1]
    if result.shape != ():
        result = sg.sum(result)
    return Generated(result, points)


def domain_points(spec: OpSpec, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """`count` random values per argument of `spec`, inside its domain."""
    arity = spec.arity if spec.arity >= 0 else 2
    return [rng.uniform(*_interval(spec, position), size=count) for position in range(arity)]


def sympy_modules() -> list[Any]:
    """`lambdify` modules: Python's math plus what it lacks (DiracDelta is 0 away from its
    kink, where the strategies never put a point)."""
    return [{"DiracDelta": lambda *args: 0.0, "Heaviside": _heaviside, "sign": _sign,
             "Min": min, "Max": max, "re": float, "im": lambda value: 0.0}, "math"]


def _heaviside(x: float, at_zero: float = 0.5) -> float:
    return 1.0 if x > 0 else 0.0 if x < 0 else at_zero


def _sign(x: float) -> float:
    return float(np.sign(x))


def _element_symbols(expr: Expr) -> list[tuple[str, tuple[int, ...], Any]]:
    """(name, index, real SymPy symbol) for every scalar element of `expr`'s variables, named
    as `to_sympy` names them (`w` of shape (3,) gives `w_0, w_1, w_2`)."""
    import sympy
    found = []
    for name, shape in expr.symbol_shapes.items():
        for position in np.ndindex(*shape):
            label = "_".join([name, *map(str, position)])
            found.append((name, position, sympy.Symbol(label, real=True)))
    return found


def sympy_at(sympy_expr: Any, expr: Expr, points: dict[str, np.ndarray]) -> np.ndarray:
    """`sympy_expr` (in the variables of `expr`) lambdified and evaluated at `points`.

    Point by point with Python's `math`: numpy's `select` rejects the constant conditions
    SymPy's Piecewise derivatives often have."""
    import sympy
    elements = _element_symbols(expr)
    count = len(next(iter(points.values())))
    sympy_expr = sympy.sympify(sympy_expr).xreplace({sympy.zoo: sympy.nan})
    function = sympy.lambdify([s for _, _, s in elements], sympy_expr, modules=sympy_modules())
    values = []
    for row in range(count):
        arguments = [float(points[name][(row,) + position]) for name, position, _ in elements]
        try:
            values.append(float(function(*arguments)))
        except (ValueError, TypeError, ZeroDivisionError, OverflowError):
            # math's functions reject (and Python's ** of a negative base makes complex) what SymPy's rewrites can make (a square root of a
            # rounding-negative difference); SymPy's own evaluation is the oracle's last word.
            values.append(_evaluated_by_sympy(sympy, sympy_expr, elements, arguments))
    return np.array(values)


def _evaluated_by_sympy(sympy: Any, sympy_expr: Any, elements: list[Any], arguments: list[float]) -> float:
    value = complex(sympy_expr.evalf(30, subs={s: a for (_, _, s), a in zip(elements, arguments)}))
    return value.real if abs(value.imag) <= 1e-12 * max(1.0, abs(value.real)) else math.nan


def sympy_gradient(expr: Expr, points: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every partial derivative of scalar `expr` by `sympy.diff`, at `points`, shaped as ours."""
    import sympy
    from symgrad.language.sympy_bridge import to_sympy
    # SymPy differentiates Abs and sign of an expression it cannot prove real into
    # re/im/arg terms or leaves them unevaluated; equivalent Piecewise forms stay real.
    try:
        return _sympy_gradient(sympy, to_sympy, expr, points)
    except (TypeError, SympyError):
        # SymPy can make a complex value (log of a negative sign) and then refuse to compare
        # it ("Invalid comparison of non-real"): the oracle cannot judge this expression.
        reject()
        raise


def _sympy_gradient(sympy: Any, to_sympy: Any, expr: Expr, points: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    function = to_sympy(expr, real=True).replace(
        sympy.Abs, lambda u: sympy.Piecewise((u, u >= 0), (-u, True))).replace(
        sympy.sign, lambda u: sympy.Piecewise((1, u > 0), (-1, u < 0), (0, True)))
    count = len(next(iter(points.values())))
    result = {name: np.zeros((count,) + shape) for name, shape in expr.symbol_shapes.items()}
    for name, position, element in _element_symbols(expr):
        derivative = sympy.diff(function, element)
        result[name][(slice(None),) + position] = sympy_at(derivative, expr, points)
    return result


def our_gradient(expr: Expr, points: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`sg.grad(expr)` evaluated at `points`, each partial shaped (count, *symbol shape)."""
    count = len(next(iter(points.values())))
    shapes = expr.symbol_shapes
    return {name: np.broadcast_to(partial.eval(**{n: points[n] for n in partial.symbols}),
                                  (count,) + shapes[name])
            for name, partial in sg.grad(expr).items()}


# -- plain oracles and helpers shared by the test modules ---------------------------------------
E_TEXT = "3*x**2 + 4*x + 2*u*x"
"""The README's running example: at x=3, u=2 its value is 51 and its gradient (26, 6)."""


def close(actual: Any, expected: Any, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    """numpy's allclose on float arrays, nan equal to nan."""
    return np.allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                       rtol=rtol, atol=atol, equal_nan=True)


def values(tensor: Any) -> np.ndarray:
    """A tensor's numbers, read through the documented `.numpy()`."""
    return np.asarray(tensor.numpy(), dtype=float)


def central(f: Callable[[float], float], x: float, h: float = 1e-6) -> float:
    """The central difference of `f` at `x`."""
    return (f(x + h) - f(x - h)) / (2 * h)
