"""Derivatives by finite differences along directions, refined by Ridders' extrapolation.

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


LEVELS = 40   # steps h0 / 2**k, k < LEVELS: from 0.1 * max(1, |x|) down to about 2e-12 of it
WINDOW = 8    # the length of each Ridders tableau along the steps
CONFIRM = 1e-4  # how closely a run's estimate must agree with the next runs' (relative)


def finite_differences(expr: Expr, probes: list[Probe], batch: dict[str, np.ndarray],
                       levels: int = LEVELS) -> tuple[Column, Column]:
    """Each probe's derivative at each point, and its error estimate.

    Steps h0/2**k halve from h0 = 0.1 * max(1, |x|). Every run of WINDOW consecutive steps
    is extrapolated by Ridders' tableau, so the run that suits the function's local
    behaviour wins: large steps for a smooth function, small ones for `sin(1000*x)` or near a
    pole; a run's error estimate includes rounding at its smallest step. Central differences
    are used where some run of them gives an answer; one-sided ones (from the value at the
    point) only where none does, as at the edge of a domain.
    """
    count = count_points(batch)
    scale = np.ones((len(probes), count))
    for i, probe in enumerate(probes):
        magnitude = np.abs(batch[probe.name]).reshape(count, -1).max(axis=1, initial=0.0)
        scale[i] = np.maximum(1.0, magnitude)
    steps = 0.1 * scale[:, :, None] / 2.0 ** np.arange(levels)   # (probes, points, levels)
    with np.errstate(all="ignore"):
        values = evaluate(expr, _perturbed(batch, probes, steps))
        phi = _projected(expr, values, probes, count, levels)
        centre = _centre(expr, evaluate(expr, batch), probes, count)
        differences = [
            ((phi[..., 0] - phi[..., 1]) / (2 * steps), 2),          # central: error in h**2
            ((phi[..., 0] - centre[..., None]) / steps, 1),          # forward: error in h
            ((centre[..., None] - phi[..., 1]) / steps, 1),          # backward
        ]
        # Rounding in f(x + h) - f(x - h) is about eps * |f| / h: the floor of a run's error.
        finite = np.where(np.isfinite(phi), np.abs(phi), 0.0)
        rounding = np.finfo(float).eps * finite.max(axis=(-1, -2), initial=0.0)
        best, error = _best_run(differences[0][0], 2, steps, rounding)
        # One-sided differences only where no central run gave an answer (a domain edge).
        for sequence, order in differences[1:]:
            estimate, spread = _best_run(sequence, order, steps, rounding)
            better = ~np.isfinite(error) & (spread < np.inf)
            best = np.where(better, estimate, best)
            error = np.where(better, spread, error)
    column = {(i, p): float(best[i, p]) for i in range(len(probes)) for p in range(count)}
    errors = {(i, p): float(error[i, p]) for i in range(len(probes)) for p in range(count)}
    return column, errors


def _best_run(sequence: np.ndarray, order: int, steps: np.ndarray,
              rounding: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Ridders estimate of the run of WINDOW steps with the smallest error estimate
    (including rounding at its smallest step), and that estimate."""
    levels = sequence.shape[-1]
    firsts = range(0, max(1, levels - WINDOW + 1), 2)
    runs = [richardson(sequence[..., first:first + WINDOW], order) for first in firsts]
    best = np.full(sequence.shape[:-1], np.nan)
    error = np.full(sequence.shape[:-1], np.inf)
    for position, (first, (estimate, spread)) in enumerate(zip(firsts, runs)):
        last = min(first + WINDOW, levels) - 1
        spread = spread + rounding / steps[..., last]
        # An estimate counts only where the next two runs (smaller steps) confirm it: a
        # step that is a multiple of a fast oscillation's period gives the same wrong
        # difference at every level, and so a tableau that looks converged.
        if position + 1 == len(runs):  # nothing left to confirm it
            continue
        for later, later_spread in runs[position + 1:position + 3]:
            tolerance = CONFIRM * np.fmax(1.0, np.abs(estimate)) + 10 * (spread + later_spread)
            spread = np.where(np.abs(later - estimate) <= tolerance, spread, np.inf)
        better = spread < error
        best = np.where(better, estimate, best)
        error = np.where(better, spread, error)
    return best, error


def _centre(expr: Expr, values: Any, probes: list[Probe], count: int) -> np.ndarray:
    """The value at each point, projected on each probe's output seed: (probes, points)."""
    grid: np.ndarray = np.broadcast_to(values, (count, *expr.shape))
    if expr.shape == ():
        return np.broadcast_to(grid, (len(probes), count))
    seeds = np.stack([probe.seed for probe in probes if probe.seed is not None])
    projected: np.ndarray = np.sum(grid[None] * seeds.reshape((len(probes), 1) + expr.shape),
                                   axis=tuple(range(2, 2 + expr.ndim)))
    return projected


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


def richardson(central: np.ndarray, order: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Ridders' extrapolation of differences `central[..., k]` (step h/2**k) whose error is a
    series in h**order, h**(2*order), ... (2 for central differences, 1 for one-sided).

    Each tableau column removes the next power of h; the entry whose neighbours agree
    best is the answer, and their disagreement its error estimate. Non-finite entries are
    skipped, so a large first step that jumps over a pole does no harm.
    """
    best = np.full(central.shape[:-1], np.nan)
    error = np.full(central.shape[:-1], np.inf)
    previous = [central[..., 0]]
    for k in range(1, central.shape[-1]):
        row = [central[..., k]]
        for j in range(1, k + 1):
            factor = 2.0 ** (order * j)
            row.append((factor * row[j - 1] - previous[j - 1]) / (factor - 1))
            estimate = np.maximum(np.abs(row[j] - row[j - 1]), np.abs(row[j] - previous[j - 1]))
            better = estimate < error
            best = np.where(better, row[j], best)
            error = np.where(better, estimate, error)
        previous = row
    return best, error
