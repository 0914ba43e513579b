"""Numeric evaluation of the DAG over batches, and substitution of symbols.

A symbol of core shape `s` takes an array of shape `(*batch, *s)`. All batch shapes broadcast
together; every intermediate value is kept as `(*batch', *core)` with `len(batch')` equal to
the common batch rank, so elementwise operations only need their core axes aligned.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from ..core import limits
from ..core.errors import ArgumentError, DomainError, ShapeError
from ..core.greek import canonical_keys
from ..core.expr import Expr, constant_value, rebuild, symbol_name
from ..core.shapes import Shape, size_of
from ..core.traverse import topological
from ..language.parse import as_expression
from ..language.printing import to_text
from .arrays import FLOAT64, Kind, from_compute, kind_of, to_host
from .backend import align, compute
from .lowering import numeric_form
from .semantics import PREV, STEPPED, operands, steps_of

ERRORS = ("ignore", "raise")


def apply_numpy(node: Expr, values: list[np.ndarray], nb: int) -> np.ndarray:
    """Compute `node`'s operation on its arguments' values (each with `nb` batch axes)."""
    result: np.ndarray = compute(node.spec, values, nb, node.kwargs, len(node.shape))
    return result


def node_value(node: Expr, value_of: Callable[[Expr], np.ndarray], nb: int) -> np.ndarray:
    """`node`'s value from the values of the nodes it reads (`semantics.operands`): sums,
    products and powers by the steps kernels run too, every other op by its table entry."""
    if node.op not in STEPPED:
        return apply_numpy(node, [value_of(arg) for arg in node.args], nb)
    rank = len(node.shape)
    current: Any = None
    for ufunc, items in steps_of(node):
        values = [current if item is PREV else item if isinstance(item, float)
                  else align(value_of(item), nb, rank) for item in items]
        current = getattr(np, ufunc)(*values)
    result: np.ndarray = current
    return result


def batch_inputs(symbols: list[Expr], values: Mapping[str, Any], dtype: np.dtype[Any] = FLOAT64,
                 xp: Any = np) -> tuple[dict[str, np.ndarray], Shape]:
    """Each symbol's value as `dtype` with a common batch rank, and the broadcast batch shape.

    `xp` makes the arrays: numpy, or CuPy for a kernel called with CuPy arrays.

    A value for a name the expression does not use is ignored, and so is its shape: the
    expression does not know that name's core shape, so it cannot tell batch axes from core
    axes. (A derivative that lost a variable, such as the constant `d(3*x)/dx`, evaluates to
    one value; `sg.compile(f, grad=True)` and `sg.reverse` know all of `f`'s variables and
    give such gradients per point.)
    """
    arrays: dict[str, np.ndarray] = {}
    batches: list[Shape] = []
    values = canonical_keys(values)  # θ=... is the value of theta
    for node in symbols:
        assert node.name is not None
        if node.name not in values:
            raise ArgumentError(f"no value given for the variable {node.name!r} "
                                f"(given: {', '.join(sorted(values)) or 'none'})")
        array = _as_float_array(node.name, values[node.name], dtype, xp)
        core = node.shape
        if array.shape[array.ndim - len(core):] != core or array.ndim < len(core):
            raise ShapeError(f"{node.name} has shape {core}, so its value needs shape "
                             f"(*batch, {', '.join(map(str, core))}), not {array.shape}")
        arrays[node.name] = array
        batches.append(array.shape[: array.ndim - len(core)])
    try:
        batch = np.broadcast_shapes(*batches) if batches else ()
    except ValueError as error:
        raise ShapeError(f"the batch shapes {' and '.join(map(str, batches))} "
                         "do not broadcast together") from error
    nb = len(batch)
    padded = {name: array.reshape((1,) * (nb + len(node.shape) - array.ndim) + array.shape)
              for node in symbols for name, array in [(symbol_name(node), arrays[symbol_name(node)])]}
    return padded, batch


def largest_core(order: list[Expr]) -> int:
    """The most elements one point of any node in `order` has."""
    return max((size_of(node.shape) for node in order), default=1)


def check_batch(batch: Shape, largest: int) -> None:
    """`LimitError` before evaluating when a value (`batch` points of a node with `largest`
    elements each) would have more than `limits.MAX_ELEMENTS` elements."""
    points = size_of(batch)
    if points * largest > limits.MAX_ELEMENTS:
        raise limits.exceeded("MAX_ELEMENTS", points * largest,
                              f"evaluating {points:,} point(s) of a value of {largest:,} element(s)")


def _as_float_array(name: str, value: Any, dtype: np.dtype[Any] = FLOAT64,
                    xp: Any = np) -> np.ndarray:
    if xp is not np:
        array: np.ndarray = xp.asarray(value, dtype=dtype)
        return array
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    try:
        if np.asarray(value).dtype.kind not in "biuf":  # None or text would become nan
            raise TypeError(value)
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise ArgumentError(f"the value of {name!r} is not a number or array of numbers") from error


def forward_values(roots: list[Expr], values: Mapping[str, Any], errors: str = "ignore",
                   keep_all: bool = False, dtype: np.dtype[Any] = FLOAT64,
                   ) -> tuple[dict[Expr, np.ndarray], Shape]:
    """The value of every node needed for `roots` (only the roots' unless `keep_all`).

    The symbols' values are numpy arrays or numbers, made `dtype` (constants stay float64, so
    a float32 computation may widen; `finish` gives the results `dtype` again).

    With `errors="raise"`, a root that is not finite raises `DomainError` naming the operation
    where the first non-finite value that reaches it was made (an unselected `where` branch
    that is nan does not count).
    """
    if errors not in ERRORS:
        raise ArgumentError(f"errors must be 'ignore' or 'raise', not {errors!r}")
    # The DAG a kernel of these roots computes (lowering.py), so the numbers are the same.
    keep_all = keep_all or errors == "raise"
    shared, rebuilt = numeric_form(roots)
    wanted = topological(roots) if keep_all else roots
    # When every node's value is wanted, so is a rebuilt node the rebuilt roots no longer read
    # (`1 - sigmoid(z)` under a rewritten log).
    extra = [rebuilt[node] for node in wanted] if rebuilt and keep_all else []
    order = topological(shared + extra)
    inputs, batch = batch_inputs([node for node in order if node.op == "symbol"], values, dtype)
    check_batch(batch, largest_core(order))
    nb = len(batch)
    last_use = {arg: position for position, node in enumerate(order) for arg in operands(node)}
    keep = set(shared)
    computed: dict[Expr, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for position, node in enumerate(order):
            if not keep_all and node not in last_use and node not in keep:
                continue  # a negation or reciprocal that every user subtracts or divides by
            computed[node] = _value_of(node, computed, inputs, nb)
            if not keep_all:
                for arg in operands(node):
                    if last_use[arg] == position and arg not in keep:
                        computed.pop(arg, None)
    if rebuilt:
        computed = {node: computed[rebuilt[node]] for node in wanted}
    if errors == "raise":
        for root in roots:
            raise_if_not_finite(root, computed, inputs, nb)
    return computed, batch


def _value_of(node: Expr, computed: dict[Expr, np.ndarray], inputs: dict[str, np.ndarray],
              nb: int) -> np.ndarray:
    if node.op == "symbol":
        return inputs[symbol_name(node)]
    if node.op == "const":
        return constant_value(node).reshape((1,) * nb + node.shape)
    return np.asarray(node_value(node, computed.__getitem__, nb))


def _first_bad(value: np.ndarray) -> tuple[int, ...] | None:
    bad = np.argwhere(~np.isfinite(value))
    return tuple(int(i) for i in bad[0]) if len(bad) else None


def _bad_argument(node: Expr, position: tuple[int, ...], computed: dict[Expr, np.ndarray],
                  nb: int) -> tuple[Expr, tuple[int, ...]] | None:
    """An argument of `node` that is already not finite where `node` is not, and where."""
    if not node.args:
        return None
    candidates = list(node.args)
    if not node.spec.elementwise:
        for arg in candidates:
            bad = _first_bad(computed[arg])
            if bad is not None:
                return arg, bad
        return None
    rank = len(node.shape)
    if node.op == "where":
        condition = np.broadcast_to(align(computed[node.args[0]], nb, rank), computed[node].shape)
        candidates = [node.args[0], node.args[1] if condition[position] else node.args[2]]
    for arg in candidates:
        value = computed[arg]
        aligned = align(value, nb, rank)
        own = tuple(0 if extent == 1 else index for index, extent in zip(position, aligned.shape))
        if not np.isfinite(aligned[own]):
            inserted = rank - (value.ndim - nb)
            return arg, own[:nb] + own[nb + inserted:]
    return None


def raise_if_not_finite(root: Expr, computed: dict[Expr, np.ndarray],
                        inputs: dict[str, np.ndarray], nb: int) -> None:
    """`DomainError` naming the operation that first made a non-finite value in `root`."""
    position = _first_bad(computed[root])
    if position is None:
        return
    node = root
    step = _bad_argument(node, position, computed, nb)
    while step is not None:
        node, position = step
        step = _bad_argument(node, position, computed, nb)
    point = {name: _at(array, position[:nb]) for name, array in inputs.items()}
    shown = ", ".join(f"{name}={item}" for name, item in sorted(point.items())) or "the given point"
    text = to_text(node)
    text = text if len(text) <= 80 else text[:77] + "..."
    what = f"the value of {node.name}" if node.op == "symbol" else node.op
    raise DomainError(f"{what} is not finite at {shown}: {text}")


def _at(array: np.ndarray, batch_position: tuple[int, ...]) -> Any:
    index = tuple(min(p, extent - 1) for p, extent in zip(batch_position, array.shape))
    item = array[index] if index else array
    return item.tolist() if isinstance(item, np.ndarray) else float(item)


def finish(value: np.ndarray, batch: Shape, shape: Shape, dtype: np.dtype[Any] = FLOAT64,
           xp: Any = np) -> np.ndarray:
    """A result with its full shape `(*batch, *shape)`, as a fresh `dtype` array (or numpy
    scalar); `xp` is numpy, or CuPy for results on a GPU."""
    if xp is not np:
        copied: np.ndarray = xp.array(xp.broadcast_to(xp.asarray(value, dtype=dtype), batch + shape),
                                      copy=True)
        return copied
    result = np.array(np.broadcast_to(value, batch + shape), dtype=dtype)
    return result[()] if result.ndim == 0 else result


def call_kind(expr: Expr | list[Expr], values: Mapping[str, Any]) -> tuple[Kind, dict[str, Any]]:
    """The kind of the results at `values` (only the names `expr` uses count), and the values
    as numpy arrays or numbers (torch, JAX and CuPy arrays copied or viewed on the host)."""
    roots = expr if isinstance(expr, list) else [expr]
    names = {symbol_name(node) for node in topological(roots) if node.op == "symbol"}
    kind = kind_of(value for name, value in values.items() if name in names)
    if kind.library == "numpy" or kind.library == "dask":
        return kind, dict(values)
    return kind, {name: to_host(value) if name in names else value
                  for name, value in values.items()}


def evaluate(expr: Expr, values: Mapping[str, Any], errors: str = "ignore") -> np.ndarray:
    """The value of `expr` at `values`, with shape `(*batch, *expr.shape)`, as an array of the
    kind and dtype given (`arrays`); dask arrays give a lazy dask array, through a kernel."""
    kind, host = call_kind(expr, values)
    if kind.library == "dask":
        from .kernel import compile as compile_kernel  # kernel imports this module
        lazy: np.ndarray = compile_kernel(expr, errors=errors)(**host)
        return lazy
    computed, batch = forward_values([expr], host, errors=errors, dtype=kind.dtype)
    # Typed as numpy's (the common case); torch, CuPy, JAX and dask give their own arrays.
    result: np.ndarray = from_compute(finish(computed[expr], batch, expr.shape, kind.dtype), kind)
    return result


def substitute(expr: Expr, mapping: Mapping[str, Any]) -> Expr:
    """`expr` with the named symbols replaced by expressions (an Expr, its text or a SymPy
    expression) or numbers."""
    replacements = {name: as_expression(value) for name, value in mapping.items()}
    new: dict[Expr, Expr] = {}
    for node in topological([expr]):
        if node.op == "symbol" and node.name in replacements:
            replacement = replacements[node.name]
            if replacement.shape != node.shape and not _fits(replacement.shape, node.shape):
                raise ShapeError(f"{node.name} has shape {node.shape}; "
                                 f"cannot put an expression of shape {replacement.shape} in its place")
            new[node] = replacement
        else:
            new[node] = rebuild(node, tuple(new[arg] for arg in node.args))
    return new[expr]


def _fits(shape: Shape, target: Shape) -> bool:
    """Whether an array of `shape` broadcasts to `target` (numpy's rule)."""
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False
