"""The page's plot: f, its derivative and the claimed answer, sampled on an interval and drawn as
an SVG by matplotlib's Agg-family SVG backend (no display, no fonts fetched: text becomes paths).

The legend names the curves ("f", "f′ (symgrad)", "your answer") and never repeats the user's
text, so the SVG carries nothing the user typed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..core.errors import ArgumentError, ShapeError
from ..core.expr import Expr
from ..core.greek import canonical_keys
from ..numeric.evaluate import evaluate

POINTS = 401
PRIMES = {1: "′", 2: "″", 3: "‴"}


@dataclass(frozen=True, slots=True)
class Curves:
    """f, its derivative of some order and perhaps a claimed answer, at the same points."""

    wrt: str
    order: int
    xs: np.ndarray
    function: np.ndarray
    derivative: np.ndarray
    answer: np.ndarray | None


def derivative_name(order: int) -> str:
    """f′, f″, f‴, f⁽⁴⁾ ...: how a textbook names the derivative of that order."""
    if order in PRIMES:
        return "f" + PRIMES[order]
    return f"f^({order})"


def sample(function: Expr, derivative: Expr, answer: Expr | None, wrt: str, order: int,
           interval: tuple[float, float], at: Mapping[str, float] | None) -> Curves:
    """The three curves at POINTS points of `interval`; other variables take their `at` value."""
    point = canonical_keys(at or {})  # {"θ": 2} is theta's value
    exprs = [expr for expr in (function, derivative, answer) if expr is not None]
    for expr in exprs:
        if expr.shape != ():
            raise ShapeError(f"the plot draws scalar functions; this one has shape {expr.shape}")
    missing = sorted({name for expr in exprs for name in expr.symbols} - {wrt} - set(point))
    if missing:
        raise ArgumentError(f"to plot against {wrt}, give values for {', '.join(missing)} "
                            "(the API's 'at', such as {\"" + missing[0] + "\": 1})")
    xs = np.linspace(*interval, POINTS)
    values = {**point, wrt: xs}

    def curve(expr: Expr) -> np.ndarray:
        with np.errstate(all="ignore"):
            result = evaluate(expr, {name: values[name] for name in expr.symbols})
        return np.array(np.broadcast_to(result, xs.shape), dtype=np.float64)

    return Curves(wrt, order, xs, curve(function), curve(derivative),
                  None if answer is None else curve(answer))


def as_lists(curves: Curves) -> dict[str, Any]:
    """The sampled points, JSON-ready: a value that is not finite is null (a gap in the curve)."""

    def listed(values: np.ndarray | None) -> list[float | None] | None:
        if values is None:
            return None
        return [float(v) if np.isfinite(v) else None for v in values]

    return {"x": listed(curves.xs), "f": listed(curves.function),
            "derivative": listed(curves.derivative), "answer": listed(curves.answer)}


def _visible_range(curves: Curves) -> tuple[float, float] | None:
    """A y range that shows the curves' shape: the 2nd to 98th percentile of the finite values,
    widened a little, so a pole (tan, 1/x) does not flatten everything else."""
    parts = [curves.function, curves.derivative] + ([curves.answer] if curves.answer is not None else [])
    finite = np.concatenate([part[np.isfinite(part)] for part in parts])
    if finite.size == 0:
        return None
    low, high = np.percentile(finite, [2, 98])
    span = max(high - low, 1e-9 * max(1.0, abs(high)), 1e-12)
    return float(low - 0.15 * span), float(high + 0.15 * span)


def svg(curves: Curves) -> str:
    """The curves drawn as one SVG document (text as paths, no external references)."""
    import matplotlib
    matplotlib.use("Agg")  # no display; the SVG canvas draws text as paths, so no fonts load
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.0), layout="constrained")
    axes = figure.subplots()
    name = derivative_name(curves.order)
    axes.plot(curves.xs, curves.function, color="#1f5fa8", linewidth=2, label="f")
    axes.plot(curves.xs, curves.derivative, color="#2e8b57", linewidth=2, label=f"{name} (symgrad)")
    if curves.answer is not None:
        axes.plot(curves.xs, curves.answer, color="#c0392b", linewidth=2, linestyle="--",
                  label="your answer")
    visible = _visible_range(curves)
    if visible is not None:
        axes.set_ylim(*visible)
    axes.axhline(0.0, color="0.75", linewidth=0.8)
    axes.axvline(0.0, color="0.75", linewidth=0.8)
    axes.set_xlabel(curves.wrt)
    axes.grid(True, color="0.92")
    axes.legend(loc="best")
    buffer = io.StringIO()
    # A fixed hash salt and no date: the same request draws the same bytes.
    with matplotlib.rc_context({"svg.hashsalt": "symgrad", "svg.fonttype": "path"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
