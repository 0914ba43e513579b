"""Numeric reverse mode on the DAG: forward values, then adjoints in reverse topological order.

The same derivative rules that build symbolic gradients run here on numpy arrays through
`numeric.backend.NumericBackend`. Every value keeps `nb` leading batch axes, so one sweep gives the gradient
at every point of a batch, as `jax.vmap(jax.grad(f))` does. No DAG node is ever built.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..calculus.differentiate import depends, resolve_symbols
from ..core.errors import ArgumentError, DomainError, ShapeError
from ..core.expr import Expr, symbol_name
from ..core.opspec import fit_shape
from ..core.shapes import Shape
from ..core.traverse import topological
from .backend import NumericBackend, align, batched_value, mask, zero_upstream
from .arrays import FLOAT64, Kind, from_compute, to_host
from .evaluate import call_kind, finish, forward_values
from .kernel import compile as compile_kernel
from ..language.parse import as_expression
from ..language.printing import to_text


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
        nb, rank, backend = self.nb, len(node.shape), self.backend
        adjoint = batched_value(fit_shape(backend, adjoint, node.shape), nb)
        args = [self.values[arg] for arg in node.args]
        if spec.elementwise:
            args = [align(value, nb, rank) for value in args]
        contributions = spec.grad(backend, adjoint, self.values[node], *args, **node.kwargs)
        zero = zero_upstream(adjoint, nb, spec.elementwise) if self.masking else None
        for arg, contribution in zip(node.args, contributions):
            if contribution is None or arg not in self.live:
                continue
            if zero is not None:
                contribution = mask(backend, contribution, contribution, zero, nb)
            if self.watch and self.first_bad is None and not np.all(np.isfinite(contribution)) \
                    and np.all(np.isfinite(adjoint)):
                self.first_bad = node
            self.add(arg, fit_shape(backend, contribution, arg.shape))


def _seed_array(expr: Expr, seed: Any) -> np.ndarray:
    if seed is None:
        if expr.shape != ():
            raise ShapeError(f"reverse of an expression of shape {expr.shape} needs a seed of "
                             "that shape (the v in v^T J); only a scalar expression has a "
                             "gradient without one")
        return np.asarray(1.0)
    if not isinstance(seed, (np.ndarray, np.generic, float, int)):
        seed = to_host(seed)  # a torch tensor (even one that requires grad), CuPy, JAX
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


def reverse(expr: Expr | str, at: Mapping[str, Any], wrt: str | Expr | Sequence[str | Expr] | None = None,
            seed: Any = None, errors: str = "ignore") -> tuple[Any, dict[str, Any]]:
    """The value of `expr` at `at` and its gradient, by one numeric reverse sweep.

    Batched like `Expr.eval`: each gradient has shape `(*batch, *symbol_shape)`, one per point.
    A non-scalar `expr` needs `seed` (its shape, optionally batched) and gives `seed^T J`.
    `wrt` picks symbols (default: all free symbols); a name in `wrt` that `expr` does not use
    gets a zero gradient, and a name only in `at` is ignored. Where the upstream adjoint is
    exactly 0, a contribution is 0, so the unselected branch of `where` never leaks nan or inf.
    `errors="raise"` raises `DomainError` when a value or a gradient is not finite.
    """
    expr = as_expression(expr)  # an Expr, its text or a SymPy expression, as elsewhere
    if not isinstance(at, Mapping):
        raise ArgumentError(f"at takes a mapping of names to values, not {type(at).__name__}")
    symbols = resolve_symbols(expr, wrt)
    kind, host = call_kind(expr, at)
    if kind.library == "dask":
        return _reverse_dask(expr, host, symbols, seed, errors)
    seed_value = _seed_array(expr, seed)
    order = topological([expr])
    values, batch = forward_values([expr], host, errors=errors, keep_all=True, dtype=kind.dtype)
    values, full = _with_batch(values, batch, seed_value, expr.shape)
    nb = len(full)
    sweep = _Sweep(order, values, nb, depends(order, set(symbols)), watch=errors == "raise")
    # The seed's own batch axes are on its left; an unbatched seed is the same for every point.
    seeded = seed_value.reshape((1,) * (nb + len(expr.shape) - seed_value.ndim) + seed_value.shape)
    with np.errstate(all="ignore"):
        sweep.add(expr, seeded)
        for node in reversed(order):
            if node in sweep.live:
                sweep.propagate(node)
    value = _plain(finish(values[expr], full, expr.shape, kind.dtype), kind)
    gradients = {symbol_name(symbol): _gradient(sweep, symbol, full, kind.dtype)
                 for symbol in symbols}
    if errors == "raise":  # on the numpy results, before they become the caller's kind
        _check_gradients(gradients, host, sweep.first_bad)
    return value, {name: _plain(gradient, kind) for name, gradient in gradients.items()}


def _reverse_dask(expr: Expr, at: Mapping[str, Any], symbols: list[Expr], seed: Any,
                  errors: str) -> tuple[Any, dict[str, Any]]:
    """Lazy dask results, through a gradient kernel mapped over the blocks."""
    if seed is not None or expr.shape != ():
        raise ArgumentError("with dask arrays, reverse takes a scalar expression and no seed; "
                            "compile sg.jacobian(...) for other derivatives")
    kernel = compile_kernel(expr, wrt=list(symbols), grad=True, errors=errors)
    value, gradients = kernel(**at)
    return value, dict(gradients)


def _gradient(sweep: _Sweep, symbol: Expr, batch: Shape, dtype: np.dtype[Any]) -> np.ndarray:
    adjoint = sweep.adjoints.get(symbol)
    if adjoint is None:
        return finish(np.zeros(symbol.shape), batch, symbol.shape, dtype)
    return finish(fit_shape(sweep.backend, adjoint, symbol.shape), batch, symbol.shape, dtype)


def _plain(value: Any, kind: Kind) -> Any:
    """A result of the caller's kind; a 0-d float64 numpy result as a Python float, as the API
    shows it (51.0, not np.float64(51.0)); a float32 one stays np.float32."""
    if kind.library == "numpy" and kind.dtype == FLOAT64 and np.ndim(value) == 0:
        return float(value)
    return from_compute(value, kind)


def _check_gradients(gradients: Mapping[str, Any], at: Mapping[str, Any], culprit: Expr | None) -> None:
    for name, gradient in gradients.items():
        if not np.all(np.isfinite(gradient)):
            shown = ", ".join(f"{key}={np.asarray(at[key]).tolist()}" for key in sorted(at))
            cause = ""
            if culprit is not None:
                text = to_text(culprit)
                cause = f": the derivative of {culprit.op} is not finite there ({text[:60]})"
            raise DomainError(f"the derivative with respect to {name} is not finite at {shown}{cause}")
