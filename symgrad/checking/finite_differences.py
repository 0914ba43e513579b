"""Derivatives by central differences along directions, refined by Ridders' extrapolation.

Independent of every derivative rule: only the expression's values are used. At smooth
points the result is accurate to about 1e-10; the tableau also estimates its own error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..numeric.evaluate import evaluate
from ..core.expr import Expr
from .sampling import count_points
from ..core.shapes import size_of

Column = dict[tuple[int, int], float]   # (probe index, point index) -> value


@dataclass(frozen=True, slots=True)
class Probe:
    """One derivative v.J.u: the output seed `v` and the direction `u` in the variable `name`.

    `output` and `variable` label it in a report (`f[1]`, `x[2]`); `element` and
    `output_element` are the Jacobian entry it is, when it is one.
    """

    output: str
    seed: np.ndarray | None      # None: the output is a scalar
    variable: str
    name: str
    direction: np.ndarray        # unit vector over the symbol's elements, the symbol's shape
    element: tuple[int, ...] | None = None
    output_element: tuple[int, ...] | None = None


def _perturbed(batch: dict[str, np.ndarray], probes: list[Probe],
               steps: np.ndarray) -> dict[str, np.ndarray]:
    """Values at x + s*h*u for every (probe, point, level, sign s = +1/-1), flattened."""
    count = count_points(batch)
    signs = np.array([1.0, -1.0])
    shape = (len(probes), count, steps.shape[-1], 2)
    result = {}
    for name, base in batch.items():
        core = base.shape[1:]
        extra = (1,) * len(core)
        offsets = np.zeros(shape + core)
        for i, probe in enumerate(probes):
            if probe.name == name:
                scale = steps[i][:, :, None] * signs  # (points, levels, 2)
                offsets[i] = scale.reshape(scale.shape + extra) * probe.direction
        values = base.reshape((1, count, 1, 1) + core) + offsets
        result[name] = values.reshape((-1,) + core)
    return result


def finite_differences(expr: Expr, probes: list[Probe], batch: dict[str, np.ndarray],
                       levels: int = 8) -> tuple[Column, Column]:
    """Each probe's derivative at each point, and its error estimate: central differences with
    steps h0/2**k (h0 = 0.1 * max(1, |x|)), extrapolated by Ridders' tableau."""
    count = count_points(batch)
    scale = np.ones((len(probes), count))
    for i, probe in enumerate(probes):
        magnitude = np.abs(batch[probe.name]).reshape(count, -1).max(axis=1, initial=0.0)
        scale[i] = np.maximum(1.0, magnitude)
    steps = 0.1 * scale[:, :, None] / 2.0 ** np.arange(levels)   # (probes, points, levels)
    with np.errstate(all="ignore"):
        values = evaluate(expr, _perturbed(batch, probes, steps))
        phi = _projected(expr, values, probes, count, levels)
        central = (phi[..., 0] - phi[..., 1]) / (2 * steps)
        best, error = richardson(central)
    column = {(i, p): float(best[i, p]) for i in range(len(probes)) for p in range(count)}
    errors = {(i, p): float(error[i, p]) for i in range(len(probes)) for p in range(count)}
    return column, errors


def _projected(expr: Expr, values: Any, probes: list[Probe], count: int, levels: int) -> np.ndarray:
    shape = (len(probes), count, levels, 2)
    grid: np.ndarray = np.broadcast_to(values, (size_of(shape), *expr.shape)).reshape(shape + expr.shape)
    if expr.shape == ():
        return grid
    # Every probe of a non-scalar output has a seed.
    seeds = np.stack([probe.seed for probe in probes if probe.seed is not None])
    projected: np.ndarray = np.sum(grid * seeds.reshape((len(probes), 1, 1, 1) + expr.shape),
                                   axis=tuple(range(4, 4 + expr.ndim)))
    return projected


def richardson(central: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ridders' extrapolation of central differences `central[..., k]` (step h/2**k).

    Each tableau column removes the next even power of h; the entry whose neighbours agree
    best is the answer, and their disagreement its error estimate. Non-finite entries are
    skipped, so a large first step that jumps over a pole does no harm.
    """
    best = np.full(central.shape[:-1], np.nan)
    error = np.full(central.shape[:-1], np.inf)
    previous = [central[..., 0]]
    for k in range(1, central.shape[-1]):
        row = [central[..., k]]
        for j in range(1, k + 1):
            factor = 4.0 ** j
            row.append((factor * row[j - 1] - previous[j - 1]) / (factor - 1))
            estimate = np.maximum(np.abs(row[j] - row[j - 1]), np.abs(row[j] - previous[j - 1]))
            better = estimate < error
            best = np.where(better, row[j], best)
            error = np.where(better, estimate, error)
        previous = row
    return best, error
