"""Kernels on dask arrays: lazy results of the same chunks, one kernel call per block.

The batch axes of the dask arguments (brought to the common batch rank and broadcast against
each other) are mapped block by block with `dask.array.blockwise`; each symbol's core axes
are one chunk, since one point needs all of them. Arguments that are numbers, or numpy arrays
without batch axes of their own (weights shared by every point), travel with the task to every
block; a numpy array with batch axes becomes a dask array first, so each block gets its part.

One task per block calls the kernel once and holds its tuple of results; one light task per
output and block takes its part out, so `val, g = kg(x=big); g["w"].sum().compute()` computes
each block once and holds only a block's arrays at a time on each worker.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Sequence

import numpy as np

from ..core.errors import ArgumentError, ShapeError
from ..core.expr import Expr, symbol_name
from ..core.shapes import Shape
from .arrays import kind_of

FlatCall = Callable[[dict[str, Any]], list[Any]]


class BlockCall:
    """One block's kernel call: the block arrays by name, plus the values shared by all blocks."""

    def __init__(self, run: FlatCall, names: list[str], shared: dict[str, Any]) -> None:
        self.run, self.names, self.shared = run, names, shared

    def __call__(self, *blocks: Any) -> tuple[Any, ...]:
        values = dict(self.shared)
        values.update(zip(self.names, blocks))
        return tuple(self.run(values))


def _dask_array() -> Any:
    """dask.array (imported on first use: only callers with dask arrays need it; untyped)."""
    return importlib.import_module("dask.array")


def _pick(results: Any, position: int) -> Any:
    """Output `position` of one block's results (a tuple made by `BlockCall`)."""
    return results[position]


def _batch_shape(value: Any, core: Shape, name: str) -> Shape:
    shape = tuple(int(extent) for extent in np.shape(value))
    if len(shape) < len(core) or shape[len(shape) - len(core):] != core:
        raise ShapeError(f"{name} has shape {core}, so its value needs shape "
                         f"(*batch, {', '.join(map(str, core))}), not {shape}")
    return shape[:len(shape) - len(core)]


def call_blocks(run: FlatCall, symbols: Sequence[Expr], shapes: Sequence[Shape],
                values: dict[str, Any]) -> list[Any]:
    """The results of `run` (a kernel's flat call) as lazy dask arrays, one per output shape."""
    da = _dask_array()
    dtype = kind_of(values[symbol_name(symbol)] for symbol in symbols
                    if symbol_name(symbol) in values).dtype
    cores = {symbol_name(symbol): symbol.shape for symbol in symbols}
    missing = [name for name in cores if name not in values]
    if missing:
        raise ArgumentError(f"no value given for the variable {missing[0]!r} "
                            f"(given: {', '.join(sorted(values)) or 'none'})")
    batches = {name: _batch_shape(values[name], core, name) for name, core in cores.items()}
    try:
        batch = tuple(np.broadcast_shapes(*batches.values()))
    except ValueError as error:
        raise ShapeError(f"the batch shapes {' and '.join(map(str, batches.values()))} "
                         "do not broadcast together") from error
    nb = len(batch)
    lazy: dict[str, Any] = {}
    shared: dict[str, Any] = {}
    for name, core in cores.items():
        value = values[name]
        if nb and (isinstance(value, da.Array) or any(extent > 1 for extent in batches[name])):
            lazy[name] = _aligned(da.asarray(value), batches[name], core, batch)
        else:
            shared[name] = value
    call = BlockCall(run, list(lazy), shared)
    if not lazy:
        raise ArgumentError("a kernel called with dask arrays needs batch axes on one of them")
    pairs: list[Any] = []
    batch_index = tuple(f"batch{axis}" for axis in range(nb))  # dask sorts index names
    for name, array in lazy.items():
        pairs += [array, batch_index + tuple(f"core:{name}:{axis}" for axis in range(len(cores[name])))]
    blocks = da.blockwise(call, batch_index, *pairs, concatenate=True, dtype=object,
                          meta=np.empty((0,) * nb, dtype=object))
    return [da.map_blocks(_pick, blocks, position, dtype=dtype,
                          chunks=blocks.chunks + tuple((extent,) for extent in shape),
                          new_axis=list(range(nb, nb + len(shape))) or None,
                          meta=np.empty((0,) * (nb + len(shape)), dtype=dtype))
            for position, shape in enumerate(shapes)]


def _aligned(array: Any, own: Shape, core: Shape, batch: Shape) -> Any:
    """`array` with the full batch rank and batch shape, its core axes in one chunk."""
    da = _dask_array()
    extra = len(batch) - len(own)
    if extra:
        array = array.reshape((1,) * extra + tuple(array.shape))
    if tuple(array.shape[:len(batch)]) != batch:
        array = da.broadcast_to(array, batch + core)
    if core:
        array = array.rechunk({axis: -1 for axis in range(len(batch), array.ndim)})
    return array
