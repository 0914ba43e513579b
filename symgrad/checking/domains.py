"""Points from an expression's real domain, wherever it lies, or from the region the user gave.

`sample_domain` draws each variable from intervals of several scales and both signs (near 0,
out to a thousand), keeps the points where every given expression is finite, and, when that
finds too few (`log(x - 500)`, `asin(x - 100)`), asks SymPy for the domain of a one-variable
expression (`continuous_domain`, under a time limit) and samples inside it. `at=` fixes a
variable (`{"x": 7}`) or confines it to an interval (`{"x": (5, 10)}`).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from ..core.errors import ArgumentError, DomainError
from ..core.expr import Expr
from ..core.greek import canonical_keys
from ..core.shapes import Shape
from ..language.sympy_bridge import SympyTimeout, to_sympy, within
from .diagnosis import load_sympy
from .sampling import count_points, finite_points

At = Mapping[str, Any]
Interval = tuple[float, float]

# (low, high, weight): most points near the origin, where textbook answers are usually read,
# and a fifth far out, where wrong answers that agree near 0 (`abs(x - 10)` vs -1) show.
WIDE: tuple[tuple[float, float, float], ...] = (
    (-3.0, 3.0, 0.3), (0.1, 3.0, 0.15), (-0.9, 0.9, 0.1),
    (3.0, 12.0, 0.1), (-12.0, -3.0, 0.1), (12.0, 100.0, 0.1), (-100.0, -12.0, 0.1),
    (100.0, 1000.0, 0.025), (-1000.0, -100.0, 0.025),
)
MIN_POINTS = 30        # fewer valid points than this: ask SymPy where the domain is
ROUNDS = 8
DOMAIN_SECONDS = 5.0     # SymPy's first domain search in a process is slow


def sample_domain(roots: Sequence[Expr], shapes: Mapping[str, Shape], at: At | None,
                  rng: np.random.Generator, nice: int, rest: int) -> dict[str, np.ndarray]:
    """`nice` round (one-decimal) points, then up to `rest` more, where all `roots` are finite:
    batched values, name -> array of shape (points, *shape). Raises `DomainError` when there
    is none."""
    _TROUBLE.clear()
    regions = _regions(shapes, at or {})
    if all(isinstance(region, np.ndarray) for region in regions.values()):
        point = {name: np.asarray(region, dtype=np.float64)[None] for name, region in regions.items()}
        return point  # a single given point: checked there, whatever the values are
    batch = _valid(roots, shapes, regions, rng, nice, 1)
    batch = _joined(batch, _valid(roots, shapes, regions, rng, rest, 3))
    if count_points(batch) < MIN_POINTS:
        domain = _sympy_regions(roots, shapes, regions)
        if domain is not None:
            extra = _valid(roots, shapes, domain, rng, nice + rest, 3)
            batch = _joined(batch, extra)
    if count_points(batch) == 0:
        where = " in the region given with at=" if at else ""
        trouble = f" ({_TROUBLE[0]})" if _TROUBLE else ""
        raise DomainError("found no point where the function and its derivative are both "
                          f"real and finite{where}{trouble}; give one with at=")
    return batch


# -- regions ----------------------------------------------------------------------------------------
Region = np.ndarray | tuple[tuple[float, float, float], ...]


def _regions(shapes: Mapping[str, Shape], at: At) -> dict[str, Region]:
    """Per variable: a fixed value (an array), or the intervals to draw from."""
    at = canonical_keys(at)  # at={"θ": ...} gives theta's value or range
    unknown = sorted(set(at) - set(shapes))
    if unknown:
        raise ArgumentError(f"at= names {', '.join(unknown)}, which the expressions do not use; "
                            f"their variables: {', '.join(sorted(shapes)) or 'none'}")
    regions: dict[str, Region] = {}
    for name, shape in shapes.items():
        regions[name] = WIDE if name not in at else _region(name, shape, at[name])
    return regions


def _region(name: str, shape: Shape, value: Any) -> Region:
    if shape == () and isinstance(value, (tuple, list)) and len(value) == 2:
        low, high = (_number(name, item) for item in value)
        if not low < high:
            raise ArgumentError(f"at={{{name!r}: ({low:g}, {high:g})}}: an interval needs low < high")
        return ((low, high, 1.0),)
    array = np.asarray(value, dtype=object)
    try:
        numbers = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ArgumentError(f"at= gives {name} the value {value!r}; expected a number, a "
                            "(low, high) interval or an array of its shape") from None
    if numbers.shape != shape or array.dtype == bool:
        raise ArgumentError(f"at= gives {name} shape {numbers.shape}, but it has shape {shape}")
    return numbers


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ArgumentError(f"at= gives {name} an interval end {value!r}; expected a number")
    number = float(value)
    if not math.isfinite(number):
        raise ArgumentError(f"at= gives {name} an infinite interval end; use a finite one")
    return number


# -- drawing ----------------------------------------------------------------------------------------
def _valid(roots: Sequence[Expr], shapes: Mapping[str, Shape], regions: Mapping[str, Region],
           rng: np.random.Generator, count: int, decimals: int) -> dict[str, np.ndarray]:
    """Up to `count` drawn points where every root is finite and not huge."""
    found: list[dict[str, np.ndarray]] = []
    total = 0
    for _ in range(ROUNDS):
        candidates = _candidates(shapes, regions, max(64, 2 * count), rng, decimals)
        if count_points(candidates) == 0:
            continue
        with np.errstate(all="ignore"):
            mask = finite_points(list(roots), candidates)
        found.append({name: array[mask] for name, array in candidates.items()})
        total += int(mask.sum())
        if total >= count:
            break
    if not found:
        return {name: np.zeros((0, *shape)) for name, shape in shapes.items()}
    return {name: np.concatenate([chunk[name] for chunk in found])[:count] for name in shapes}


def _candidates(shapes: Mapping[str, Shape], regions: Mapping[str, Region], count: int,
                rng: np.random.Generator, decimals: int) -> dict[str, np.ndarray]:
    values: dict[str, np.ndarray] = {}
    drawn: list[np.ndarray] = []
    for name, shape in shapes.items():
        region = regions[name]
        if isinstance(region, np.ndarray):
            values[name] = np.broadcast_to(region, (count, *shape)).copy()
            continue
        values[name] = _draw(region, shape, count, rng, decimals)
        drawn.append(values[name].reshape(count, -1))
    keep = _away_from_kinks(drawn, count)
    return {name: array[keep] for name, array in values.items()}


def _draw(intervals: tuple[tuple[float, float, float], ...], shape: Shape, count: int,
          rng: np.random.Generator, decimals: int) -> np.ndarray:
    weights = np.array([weight for _, _, weight in intervals])
    choice = rng.choice(len(intervals), size=count, p=weights / weights.sum())
    extra = (1,) * len(shape)
    low = np.array([intervals[c][0] for c in choice]).reshape((count, *extra))
    high = np.array([intervals[c][1] for c in choice]).reshape((count, *extra))
    # Round only where the interval is wide enough for round values to lie inside it.
    width = float(min(h - lo for lo, h, _ in intervals))
    digits = max(decimals, int(math.ceil(-math.log10(width))) + 2) if width < 1 else decimals
    raw = low + (high - low) * rng.random((count, *shape))
    rounded = np.round(raw, digits)
    inside = (rounded > low) & (rounded < high)
    result: np.ndarray = np.where(inside, rounded, raw)
    return result


def _away_from_kinks(drawn: list[np.ndarray], count: int) -> np.ndarray:
    """Points off multiples of 1/2 (where piecewise functions put their kinks) and without a
    repeated element (kinks of max(x, y) at x = y)."""
    if not drawn:
        return np.ones(count, dtype=bool)
    flat = np.concatenate(drawn, axis=1)
    on_kink = np.any((flat * 2) % 1 == 0, axis=1)
    ordered = np.sort(flat, axis=1)
    repeated = np.any(ordered[:, 1:] == ordered[:, :-1], axis=1)
    keep: np.ndarray = ~(on_kink | repeated)
    return keep


def _joined(first: Mapping[str, np.ndarray], second: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: np.concatenate([first[name], second[name]]) for name in first}


# -- SymPy's domain -----------------------------------------------------------------------------------
_TROUBLE: list[str] = []   # why SymPy's domain did not help, for the message (one process, one call)

def _sympy_regions(roots: Sequence[Expr], shapes: Mapping[str, Shape],
                   regions: Mapping[str, Region]) -> dict[str, Region] | None:
    """The free scalar variable's intervals from SymPy's domain of the roots (one variable
    only: SymPy finds domains of one variable), or None."""
    free = [name for name, region in regions.items() if not isinstance(region, np.ndarray)]
    if len(free) != 1 or shapes[free[0]] != ():
        return None
    (name,) = free
    load_sympy()
    try:
        intervals = within(DOMAIN_SECONDS, _domain_intervals, list(roots), name, regions)
    except SympyTimeout:
        _TROUBLE.append(f"SymPy's search for the domain took over {DOMAIN_SECONDS:g} s")
        return None
    except (DomainError, ArithmeticError, ValueError, TypeError, AttributeError,
            NotImplementedError, RecursionError):
        return None
    if not intervals:
        return None
    given = regions[name]
    assert not isinstance(given, np.ndarray)
    clipped = _clip(intervals, given)
    if not clipped:
        return None
    return {**regions, name: clipped}


def _domain_intervals(roots: list[Expr], name: str,
                      regions: Mapping[str, Region]) -> list[Interval]:
    import sympy
    from sympy.calculus.util import continuous_domain
    fixed = {sympy.Symbol(other, real=True): sympy.Float(float(np.asarray(region).ravel()[0]))
             for other, region in regions.items() if isinstance(region, np.ndarray)}
    variable = sympy.Symbol(name, real=True)
    domain = sympy.S.Reals
    for root in roots:
        expression = to_sympy(root, real=True)
        if isinstance(expression, sympy.NDimArray):
            continue
        domain = domain.intersect(continuous_domain(expression.xreplace(fixed), variable,
                                                    sympy.S.Reals))
    return _intervals_of(sympy, domain)


def _intervals_of(sympy: Any, domain: Any) -> list[Interval]:
    pieces = list(domain.args) if isinstance(domain, sympy.Union) else [domain]
    intervals: list[Interval] = []
    for piece in pieces:
        if isinstance(piece, sympy.Interval):
            intervals.extend(_finite_spans(float(piece.start), float(piece.end)))
    return intervals


def _finite_spans(low: float, high: float) -> list[Interval]:
    """An interval of the domain as finite intervals of several scales (infinite ends reach
    out to a thousand beyond the finite one)."""
    if math.isfinite(low) and math.isfinite(high):
        return [(low, high)] if high > low else []
    if math.isfinite(low):
        return [(low, low + span) for span in (1.0, 10.0, 1000.0)]
    if math.isfinite(high):
        return [(high - span, high) for span in (1.0, 10.0, 1000.0)]
    return [(-1000.0, 1000.0), (-3.0, 3.0)]


def _clip(intervals: list[Interval], given: tuple[tuple[float, float, float], ...]) -> tuple[tuple[float, float, float], ...]:
    """The domain's intervals inside the variable's region (the whole line when unrestricted)."""
    if given is WIDE:
        return tuple((low, high, 1.0) for low, high in intervals)
    clipped = []
    for low, high in intervals:
        for region_low, region_high, _ in given:
            start, end = max(low, region_low), min(high, region_high)
            if end > start:
                clipped.append((start, end, 1.0))
    return tuple(clipped)
