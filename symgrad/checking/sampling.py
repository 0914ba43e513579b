"""Random points inside an expression's domain, and points written as a person writes them.

`sample_points` draws candidate points (one interval per symbol and point, rounded, away from
kinks), keeps those where every given expression is finite and not huge, and redraws until it
has enough. `check` and `verify` both sample this way.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from ..core.errors import DomainError
from ..numeric.evaluate import finish, forward_values
from ..core.expr import Expr
from ..core.shapes import Shape, size_of

LARGE = 1e8               # a value or gradient this large marks a point too near a pole


# Each symbol at each candidate point draws all its elements from one of these intervals, so a
# vector inside log() gets all-positive elements often enough.
_INTERVALS = ((-3.0, 3.0), (0.1, 3.0), (-0.9, 0.9))
_WEIGHTS = (0.5, 0.3, 0.2)


def candidate_points(shapes: Mapping[str, Shape], count: int, rng: np.random.Generator,
                     decimals: int = 3) -> dict[str, np.ndarray]:
    """`count` random points as batched values: name -> array of shape (count, *shape).

    Values are rounded to `decimals`, never 0 nor a multiple of 1/2 (where piecewise functions
    put their kinks), and elements of one point never repeat (kinks of max(x, y) at x = y).
    """
    decimals = _enough_decimals(shapes, decimals)
    values = {name: _draw(shape, count, rng, decimals) for name, shape in shapes.items()}
    keep = _spread_out(values, count)
    return {name: array[keep] for name, array in values.items()}


def _enough_decimals(shapes: Mapping[str, Shape], decimals: int) -> int:
    """`decimals`, or more where a point has so many elements that most candidates would
    repeat one (the narrowest interval then needs about n**2 / 4 values for n elements)."""
    elements = sum(size_of(shape) for shape in shapes.values())
    needed = math.ceil(math.log10(max(1.0, elements ** 2 / (4 * _NARROWEST))))
    return max(decimals, min(needed, 12))


_NARROWEST = min(high - low for low, high in _INTERVALS)


def _draw(shape: Shape, count: int, rng: np.random.Generator, decimals: int) -> np.ndarray:
    choice = rng.choice(len(_INTERVALS), size=count, p=_WEIGHTS)
    low = np.array([_INTERVALS[c][0] for c in choice]).reshape((count,) + (1,) * len(shape))
    high = np.array([_INTERVALS[c][1] for c in choice]).reshape((count,) + (1,) * len(shape))
    drawn: np.ndarray = np.round(low + (high - low) * rng.random((count, *shape)), decimals)
    return drawn


def _spread_out(values: Mapping[str, np.ndarray], count: int) -> np.ndarray:
    if not values:
        return np.ones(count, dtype=bool)
    flat = np.concatenate([array.reshape(count, -1) for array in values.values()], axis=1)
    on_kink = np.any((flat * 2) % 1 == 0, axis=1)
    ordered = np.sort(flat, axis=1)
    repeated = np.any(ordered[:, 1:] == ordered[:, :-1], axis=1)
    keep: np.ndarray = ~(on_kink | repeated)
    return keep


def finite_points(roots: Sequence[Expr], candidates: Mapping[str, np.ndarray]) -> np.ndarray:
    """The mask of candidate points where every root is finite and not huge (near a pole)."""
    count = count_points(candidates)
    computed, batch = forward_values(list(roots), candidates)
    good = np.ones(count, dtype=bool)
    for root in roots:
        value = finish(computed[root], batch, root.shape)
        value = np.broadcast_to(value, (count, *root.shape)).reshape(count, -1)
        good &= np.all(np.isfinite(value) & (np.abs(value) < LARGE), axis=1)
    return good


def sample_points(roots: Sequence[Expr], shapes: Mapping[str, Shape], count: int,
                  rng: np.random.Generator, decimals: int = 3,
                  rounds: int = 12) -> dict[str, np.ndarray]:
    """Up to `count` random points (batched) where all `roots` are finite; redraws the others."""
    found: list[dict[str, np.ndarray]] = []
    total = 0
    for _ in range(rounds):
        candidates = candidate_points(shapes, max(64, 2 * count), rng, decimals)
        with np.errstate(all="ignore"):
            if not candidates:
                mask = np.ones(1, dtype=bool)
            elif count_points(candidates) == 0:  # every candidate was on a kink or repeated
                continue
            else:
                mask = finite_points(roots, candidates)
        found.append({name: array[mask] for name, array in candidates.items()})
        total += int(mask.sum())
        if total >= count or not shapes:
            break
    if total == 0:
        raise DomainError("found no point where the expression and its derivative are finite; "
                          "give one with at=")
    return {name: np.concatenate([chunk[name] for chunk in found])[:count] for name in shapes}


def point_dict(batch: Mapping[str, np.ndarray], index: int) -> dict[str, Any]:
    """Point `index` of batched values, as plain floats and lists."""
    return {name: array[index].tolist() if array.ndim > 1 else float(array[index])
            for name, array in batch.items()}


def count_points(batch: Mapping[str, np.ndarray]) -> int:
    """The number of points in batched values (1 when there are no variables)."""
    return len(next(iter(batch.values()))) if batch else 1


# -- writing points ---------------------------------------------------------------------------------
def format_point(point: Mapping[str, Any], limit: int = 8) -> str:
    """`x=3, u=[1, 2]`: a point as a person writes it (long vectors elided after `limit`)."""
    return ", ".join(f"{name}={_elided(value, limit)}"
                     for name, value in sorted(point.items())) or "(no variables)"


def _elided(value: Any, limit: int) -> str:
    flat = np.ravel(np.asarray(value, dtype=np.float64))
    if flat.size <= limit:
        return format_value(value)
    shown = ", ".join(format_value(item) for item in flat[: limit - 1])
    return f"[{shown}, ..., {format_value(flat[-1])}] ({flat.size} elements)"


def format_value(value: Any) -> str:
    """A number to 10 significant digits, an array as a flat list, None as "-"."""
    if value is None:
        return "-"
    array = np.asarray(value, dtype=np.float64)
    if array.ndim:
        return "[" + ", ".join(format_value(item) for item in array.ravel()) + "]"
    return f"{float(array):.10g}"
