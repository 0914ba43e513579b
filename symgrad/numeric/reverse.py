"""Numeric reverse mode on the DAG: forward values, then adjoints in reverse topological order.

The same derivative rules that build symbolic gradients run here on numpy arrays through
`NumericBackend`. Every value keeps `nb` leading batch axes, so one sweep gives the gradient
at every point of a batch, as `jax.vmap(jax.grad(f))` does. No DAG node is ever built.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..calculus.differentiate import depends, resolve_symbols
from ..core.errors import ArgumentError, DomainError, ShapeError
from .evaluate import align, finish, forward_values
from ..core.expr import Expr, as_expr
from ..core.opspec import OPS, OpSpec
from ..core.shapes import Shape, summed_axes
from ..core.traverse import topological
from ..language.printing import to_text


class NumericBackend:
    """The `F` a derivative rule sees when it computes numbers with `nb` batch axes."""

    def __init__(self, nb: int) -> None:
        self.nb = nb
        self._cache: dict[str, Callable[..., np.ndarray]] = {}

    def shape(self, value: Any) -> Shape:
        """The core (per-point) shape of `value`."""
        return np.shape(value)[self.nb:]

    def broadcast_to(self, value: Any, shape: Shape) -> np.ndarray:
        """`value` broadcast to core `shape` (rules pass the shape positionally)."""
        return self.__getattr__("broadcast_to")(value, shape=tuple(shape))

    def sum_to(self, value: Any, shape: Shape) -> np.ndarray:
        """`value` summed down to core `shape`."""
        return fit_core(value, self.nb, tuple(shape))

    def __getattr__(self, name: str) -> Callable[..., np.ndarray]:
        spec = OPS.get(name)
        if spec is None:
            raise AttributeError(name)
        function = self._cache.get(name)
        if function is None:
            function = self._elementwise(spec) if spec.elementwise else self._structural(spec)
            self._cache[name] = function
        return function

    def _elementwise(self, spec: OpSpec) -> Callable[..., np.ndarray]:
        nb = self.nb

        def run(*values: Any, **params: Any) -> np.ndarray:
            # Core axes align on the right, after the batch axes: pad each to the widest rank.
            rank = max(np.ndim(value) - nb for value in values)
            aligned = [align(value, nb, rank) if isinstance(value, np.ndarray) and value.ndim > nb
                       else value for value in values]
            return spec.numpy(*aligned, **params)
        return run

    def _structural(self, spec: OpSpec) -> Callable[..., np.ndarray]:
        nb = self.nb

        def run(*values: Any, **params: Any) -> np.ndarray:
            batched = [batched_value(value, nb) for value in values]
            return spec.numpy(*batched, nb=nb, **params)
        return run


def batched_value(value: Any, nb: int) -> np.ndarray:
    """`value` as an array with at least `nb` axes (a plain number gets size-1 batch axes)."""
    array = np.asarray(value, dtype=np.float64)
    return array.reshape((1,) * nb + array.shape) if array.ndim < nb else array


def fit_core(value: Any, nb: int, shape: Shape) -> np.ndarray:
    """`value` summed over broadcast core axes (or broadcast) to core `shape`; batch axes kept."""
    value = batched_value(value, nb)
    core = value.shape[nb:]
    if core == shape:
        return value
    if len(core) < len(shape):
        value = align(value, nb, len(shape))
        core = value.shape[nb:]
    axes = summed_axes(core, shape)
    if axes:
        value = np.sum(value, axis=axes, keepdims=True)
    value = value.reshape(value.shape[:nb] + value.shape[len(value.shape) - len(shape):])
    if value.shape[nb:] != shape:
        value = np.broadcast_to(value, value.shape[:nb] + shape)
    return value


def zero_upstream(adjoint: np.ndarray, nb: int, elementwise: bool) -> np.ndarray:
    """Where the upstream adjoint is exactly 0 (per element, or per point for other ops)."""
    zero = adjoint == 0
    if elementwise or adjoint.ndim == nb:
        return zero
    return np.all(zero, axis=tuple(range(nb, adjoint.ndim)), keepdims=True)


def masked(contribution: Any, zero: np.ndarray, nb: int) -> np.ndarray:
    """`contribution` set to 0 where the upstream adjoint is (`zero`, from `zero_upstream`)."""
    # Adjoints are linear in the upstream g: where g is 0 the contribution is 0, even if the
    # rule multiplied it by an infinite local derivative (the unselected branch of `where`).
    contribution = batched_value(contribution, nb)
    rank = max(contribution.ndim, zero.ndim) - nb
    return np.where(align(zero, nb, rank), 0.0, align(contribution, nb, rank))


class _Sweep:
    """One reverse sweep: adjoints of every live node, accumulated per point."""

    def __init__(self, order: list[Expr], values: dict[Expr, np.ndarray], nb: int,
                 live: set[Expr], watch: bool = False) -> None:
        self.values, self.nb, self.live = values, nb, live
        self.backend = NumericBackend(nb)
        self.masking = any(node.op == "where" for node in order)
        self.adjoints: dict[Expr, np.ndarray] = {}
        self.watch = watch  # errors="raise": remember where a derivative first went non-finite
        self.first_bad: Expr | None = None

    def add(self, node: Expr, contribution: np.ndarray) -> None:
        previous = self.adjoints.get(node)
        self.adjoints[node] = contribution if previous is None else previous + contribution

    def propagate(self, node: Expr) -> None:
        adjoint = self.adjoints.pop(node, None)
        if adjoint is None or node.op in ("symbol", "const"):
            if adjoint is not None:
                self.adjoints[node] = adjoint  # a symbol keeps its gradient
            return
        spec = node.spec
        if spec.grad is None:
            raise ArgumentError(f"{node.op} has no derivative rule")
        nb, rank = self.nb, len(node.shape)
        adjoint = fit_core(adjoint, nb, node.shape)
        args = [self.values[arg] for arg in node.args]
        if spec.elementwise:
            args = [align(value, nb, rank) for value in args]
        contributions = spec.grad(self.backend, adjoint, self.values[node], *args, **node.kwargs)
        zero = zero_upstream(adjoint, nb, spec.elementwise) if self.masking else None
        for arg, contribution in zip(node.args, contributions):
            if contribution is None or arg not in self.live:
                continue
            if zero is not None:
                contribution = masked(contribution, zero, nb)
            if self.watch and self.first_bad is None and not np.all(np.isfinite(contribution)) \
                    and np.all(np.isfinite(adjoint)):
                self.first_bad = node
            self.add(arg, fit_core(contribution, nb, arg.shape))


def _seed_array(expr: Expr, seed: Any) -> np.ndarray:
    if seed is None:
        if expr.shape != ():
            raise ShapeError(f"reverse of an expression of shape {expr.shape} needs a seed of "
                             "that shape (the v in v^T J); only a scalar expression has a "
                             "gradient without one")
        return np.float64(1.0)
    if hasattr(seed, "numpy") and not isinstance(seed, np.ndarray):
        seed = seed.numpy()
    try:
        array = np.asarray(seed, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ArgumentError(f"the seed is not a number or array of numbers: {seed!r}") from error
    core = array.shape[max(array.ndim - len(expr.shape), 0):]
    if array.ndim < len(expr.shape) or core != expr.shape:
        raise ShapeError(f"the seed must have the expression's shape {expr.shape} "
                         f"(after any batch axes), not {array.shape}")
    return array


def _with_batch(values: dict[Expr, np.ndarray], batch: Shape, seed: np.ndarray,
                shape: Shape) -> tuple[dict[Expr, np.ndarray], Shape]:
    """Values and batch shape widened so a batched seed broadcasts against the points."""
    seed_batch = seed.shape[: seed.ndim - len(shape)]
    try:
        full = np.broadcast_shapes(batch, seed_batch)
    except ValueError as error:
        raise ShapeError(f"the seed's batch shape {seed_batch} does not broadcast with the "
                         f"points' batch shape {batch}") from error
    extra = len(full) - len(batch)
    if extra:
        values = {node: value.reshape((1,) * extra + value.shape) for node, value in values.items()}
    return values, full


def reverse(expr: Expr, at: Mapping[str, Any], wrt: str | Sequence[str] | None = None,
            seed: Any = None, errors: str = "ignore") -> tuple[Any, dict[str, Any]]:
    """The value of `expr` at `at` and its gradient, by one numeric reverse sweep.

    Batched like `Expr.eval`: each gradient has shape `(*batch, *symbol_shape)`, one per point.
    A non-scalar `expr` needs `seed` (its shape, optionally batched) and gives `seed^T J`.
    `wrt` picks symbols (default: all free symbols). Where the upstream adjoint is exactly 0,
    a contribution is 0, so the unselected branch of `where` never leaks nan or inf.
    `errors="raise"` raises `DomainError` when a value or a gradient is not finite.
    """
    expr = as_expr(expr)
    if not isinstance(at, Mapping):
        raise ArgumentError(f"at takes a mapping of names to values, not {type(at).__name__}")
    symbols = resolve_symbols(expr, wrt)
    seed_value = _seed_array(expr, seed)
    order = topological([expr])
    values, batch = forward_values([expr], at, errors=errors, keep_all=True)
    values, full = _with_batch(values, batch, seed_value, expr.shape)
    nb = len(full)
    sweep = _Sweep(order, values, nb, depends(order, set(symbols)), watch=errors == "raise")
    with np.errstate(all="ignore"):
        sweep.add(expr, batched_value(seed_value, nb))
        for node in reversed(order):
            if node in sweep.live:
                sweep.propagate(node)
    value = _plain(finish(values[expr], full, expr.shape))
    gradients = {symbol.name: _plain(_gradient(sweep, symbol, full)) for symbol in symbols}
    if errors == "raise":
        _check_gradients(gradients, at, sweep.first_bad)
    return value, gradients  # type: ignore[return-value]


def _gradient(sweep: _Sweep, symbol: Expr, batch: Shape) -> np.ndarray:
    adjoint = sweep.adjoints.get(symbol)
    if adjoint is None:
        return finish(np.zeros(symbol.shape), batch, symbol.shape)
    return finish(fit_core(adjoint, sweep.nb, symbol.shape), batch, symbol.shape)


def _plain(value: Any) -> Any:
    """A 0-d result as a Python float, as the API shows it (51.0, not np.float64(51.0))."""
    return float(value) if np.ndim(value) == 0 else value


def _check_gradients(gradients: Mapping[str, Any], at: Mapping[str, Any], culprit: Expr | None) -> None:
    for name, gradient in gradients.items():
        if not np.all(np.isfinite(gradient)):
            shown = ", ".join(f"{key}={np.asarray(at[key]).tolist()}" for key in sorted(at))
            cause = ""
            if culprit is not None:
                text = to_text(culprit)
                cause = f": the derivative of {culprit.op} is not finite there ({text[:60]})"
            raise DomainError(f"the derivative with respect to {name} is not finite at {shown}{cause}")
