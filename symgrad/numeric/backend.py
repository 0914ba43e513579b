"""The numeric backend: one way to run an operation on numbers, one masking policy.

Values carry `nb` leading batch axes, then their core (per-point) axes. Evaluation
(`evaluate`), the numeric reverse sweep (`reverse`) and eager tensors' backward pass
(`eager.autograd`, with `nb = 0`) all compute through `compute`, and rules see
`NumericBackend` as their `F`. Two policies every sweep shares are written once:

- fitting a contribution to an argument's shape: `core.opspec.fit_shape`, which calls the
  backend's `sum_to` and `broadcast_to` (here `fit_core`, for numbers with batch axes);
- masking: where the upstream adjoint is exactly 0, a contribution is 0 even when the rule
  multiplied that 0 by an infinite local derivative (the unselected branch of `where`):
  `zero_upstream` says where, `mask` replaces those values, through the sweep's own backend
  (numbers here, recorded tensors under `create_graph`). The symbolic sweep has no values to
  test, so it gets the same guarantee when a product is built (`ops.arithmetic.build_mul`
  moves the product into the live branch of a `where`).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..core.opspec import OPS, Backend, OpSpec
from ..core.shapes import Shape, summed_axes


def align(value: np.ndarray, nb: int, rank: int) -> np.ndarray:
    """`value` (nb batch axes, then core axes) with size-1 axes inserted up to core `rank`."""
    missing = rank - (value.ndim - nb)
    if missing <= 0:
        return value
    return value.reshape(value.shape[:nb] + (1,) * missing + value.shape[nb:])


def batched_value(value: Any, nb: int) -> np.ndarray:
    """`value` as an array with at least `nb` axes (a plain number gets size-1 batch axes)."""
    array = np.asarray(value, dtype=np.float64)
    return array.reshape((1,) * nb + array.shape) if array.ndim < nb else array


def compute(spec: OpSpec, values: Sequence[Any], nb: int, params: Mapping[str, Any],
            rank: int | None = None) -> Any:
    """`spec`'s numpy function on `values` (arrays with `nb` batch axes, or plain numbers).

    Elementwise ops get their array operands' core axes aligned on the right, after the batch
    axes, to core `rank` (the widest operand's when not given); other ops get every operand
    as a batched array and `nb=`.
    """
    if spec.elementwise:
        if rank is None:
            rank = max(np.ndim(value) for value in values) - nb
        return spec.numpy(*[align(value, nb, rank) if type(value) is np.ndarray else value
                            for value in values], **params)
    return spec.numpy(*[value if type(value) is np.ndarray and value.ndim >= nb
                        else batched_value(value, nb) for value in values], nb=nb, **params)


def fit_core(value: Any, nb: int, shape: Shape) -> np.ndarray:
    """`value` summed over broadcast core axes (or broadcast) to core `shape`; batch axes kept."""
    array = batched_value(value, nb)
    core = array.shape[nb:]
    if core == shape:
        return array
    if len(core) < len(shape):
        array = align(array, nb, len(shape))
        core = array.shape[nb:]
    axes = summed_axes(core, shape)
    if axes:
        array = np.sum(array, axis=axes, keepdims=True)
    array = array.reshape(array.shape[:nb] + array.shape[len(array.shape) - len(shape):])
    if array.shape[nb:] != shape:
        array = np.broadcast_to(array, array.shape[:nb] + shape)
    return array


class NumericBackend:
    """The `F` a derivative rule sees when it computes numbers with `nb` batch axes."""

    def __init__(self, nb: int) -> None:
        self.nb = nb
        self._cache: dict[str, Callable[..., Any]] = {}

    def shape(self, value: Any) -> Shape:
        """The core (per-point) shape of `value` (all of it when it has no batch axes)."""
        try:
            shape: Shape = value.shape  # arrays and numpy scalars: faster than np.shape
        except AttributeError:
            shape = np.shape(value)
        nb = self.nb
        return shape[nb:] if len(shape) >= nb else shape

    def broadcast_to(self, value: Any, shape: Shape, exact: bool = False) -> Any:
        """`value` broadcast to core `shape` (numbers are always broadcast, exact or not)."""
        return self.__getattr__("broadcast_to")(value, shape=tuple(shape))

    def sum_to(self, value: Any, shape: Shape) -> np.ndarray:
        """`value` summed down to core `shape`."""
        return fit_core(value, self.nb, tuple(shape))

    def __getattr__(self, name: str) -> Callable[..., Any]:
        spec = OPS.get(name)
        if spec is None:
            raise AttributeError(name)
        function = self._cache.get(name)
        if function is None:
            nb = self.nb

            def function(*values: Any, **params: Any) -> Any:
                return compute(spec, values, nb, params)
            self._cache[name] = function
        return function


def zero_upstream(adjoint: np.ndarray, nb: int, elementwise: bool) -> np.ndarray:
    """Where the upstream adjoint is exactly 0 (per element, or per point for other ops)."""
    zero: np.ndarray = np.equal(adjoint, 0)
    if elementwise or adjoint.ndim == nb:
        return zero
    per_point: np.ndarray = np.all(zero, axis=tuple(range(nb, adjoint.ndim)), keepdims=True)
    return per_point


def mask(F: Backend, contribution: Any, numbers: Any, zero: np.ndarray, nb: int) -> Any:
    """`contribution` (whose values are `numbers`) with 0 where the upstream adjoint is 0
    (`zero`, from `zero_upstream`) and the rule made nan or inf.

    Adjoints are linear in the upstream g, so where g is 0 every finite contribution is 0
    already; only 0 times an infinite local derivative needs replacing. Replacing just those
    values (through `F.where`) leaves a recorded contribution its derivative.
    """
    numbers = batched_value(numbers, nb)
    rank = max(numbers.ndim, zero.ndim) - nb
    bad = align(zero, nb, rank) & ~np.isfinite(align(numbers, nb, rank))
    if not bad.any():
        return contribution
    return F.where(bad.astype(np.float64), 0.0, contribution)
