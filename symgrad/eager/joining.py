"""Joining tensors, with PyTorch's signatures: `stack`, `cat` and `meshgrid`, differentiable.

`stack` along the first axis is the table's array literal; along another axis, and `cat`,
place each tensor into zeros of the result's shape (`scatter`, whose adjoint is indexing) and
add the pieces, so backward and `.expr` need no operation of their own.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from ..core.errors import ArgumentError, ShapeError
from ..core.expr import normalize_index
from ..core.shapes import Shape
from .tensor import Tensor, apply_op, make_leaf

__all__ = ["cat", "concat", "concatenate", "meshgrid", "stack"]


def _tensors(name: str, tensors: Sequence[Any]) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise ArgumentError(f"{name}(): argument 'tensors' must be a tuple or list of Tensors, "
                            f"not {type(tensors).__name__}")
    if not tensors:
        raise ArgumentError(f"{name} expects a non-empty TensorList")
    for position, item in enumerate(tensors):
        if not isinstance(item, Tensor):
            raise ArgumentError(f"expected Tensor as element {position} in argument 0, but got "
                                f"{type(item).__name__}")
    return list(tensors)


def _axis(dim: int, rank: int) -> int:
    if not isinstance(dim, (int, np.integer)) or not -rank <= dim < rank:
        raise ArgumentError(f"Dimension out of range (expected to be in range of "
                            f"[{-rank}, {rank - 1}], but got {dim})")
    return int(dim) % rank


def _placed(pieces: list[tuple[Tensor, tuple[Any, ...]]], shape: Shape, torch: str) -> Tensor:
    """The sum of each tensor placed at its index in zeros of `shape`; the last sum is named
    `torch` (PyTorch's node for the whole join)."""
    total: Tensor | None = None
    for position, (item, index) in enumerate(pieces):
        placed = apply_op("scatter", (item,), {"index": normalize_index(index, shape), "shape": shape})
        if total is None:
            total = placed
        else:
            label = torch if position == len(pieces) - 1 else ""
            total = apply_op("add", (total, placed), {}, label)
    assert total is not None
    if len(pieces) == 1:  # one piece: still a new tensor, as torch.cat([a])
        return apply_op("scatter", (pieces[0][0],), {"index": normalize_index(pieces[0][1], shape),
                                                      "shape": shape}, torch)
    return total


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The tensors (all of one shape) joined along a new axis `dim`, as torch.stack."""
    items = _tensors("stack", tensors)
    shape = items[0].shape
    for position, item in enumerate(items[1:], start=1):
        if item.shape != shape:
            raise ShapeError(f"stack expects each tensor to be equal size, but got "
                             f"{list(shape)} at entry 0 and {list(item.shape)} at entry {position}")
    axis = _axis(dim, len(shape) + 1)
    if axis == 0:
        return apply_op("stack", tuple(items), {}, "StackBackward0")
    result_shape = shape[:axis] + (len(items),) + shape[axis:]
    before = (slice(None),) * axis
    return _placed([(item, before + (position,)) for position, item in enumerate(items)],
                   result_shape, "StackBackward0")


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The tensors joined along the existing axis `dim` (the other axes must match), as torch.cat."""
    items = _tensors("cat", tensors)
    rank = items[0].ndim
    if rank == 0:
        raise ShapeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    axis = _axis(dim, rank)
    for position, item in enumerate(items[1:], start=1):
        if item.ndim != rank:
            raise ShapeError(f"Tensors must have same number of dimensions: got {rank} and {item.ndim}")
        for other in range(rank):
            if other != axis and item.shape[other] != items[0].shape[other]:
                raise ShapeError(f"Sizes of tensors must match except in dimension {axis}. Expected "
                                 f"size {items[0].shape[other]} but got size {item.shape[other]} "
                                 f"for tensor number {position} in the list.")
    total = sum(item.shape[axis] for item in items)
    result_shape = items[0].shape[:axis] + (total,) + items[0].shape[axis + 1:]
    pieces, start = [], 0
    for item in items:
        extent = item.shape[axis]
        pieces.append((item, (slice(None),) * axis + (slice(start, start + extent),)))
        start += extent
    return _placed(pieces, result_shape, "CatBackward0")


concat = concatenate = cat  # torch's other names


def meshgrid(*tensors: Tensor | Sequence[Tensor], indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors, as torch.meshgrid: "ij" (the default, with PyTorch's
    UserWarning when `indexing` is left out) gives shape (n0, n1, ...), "xy" swaps the first
    two axes. Differentiable for one or two tensors; more are computed without recording."""
    items = _tensors("meshgrid", list(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (list, tuple))
                     else list(tensors))
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ArgumentError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for item in items:
        if item.ndim > 1:
            raise ShapeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                             f"got: {item.ndim}D")
    items = [item if item.ndim == 1 else apply_op("stack", (item,), {}) for item in items]
    sizes = [item.shape[0] for item in items]
    if len(items) == 1:
        return (apply_op("broadcast_to", (items[0],), {"shape": tuple(sizes)}, "ExpandBackward0"),)
    if len(items) == 2:
        first, second = items
        across = apply_op("broadcast_to", (first,), {"shape": (sizes[1], sizes[0])}, "ExpandBackward0")
        down = apply_op("broadcast_to", (second,), {"shape": (sizes[0], sizes[1])}, "ExpandBackward0")
        if indexing == "ij":  # first varies down the rows, second along them
            return across.t(), down
        return across, down.t()
    if any(item.requires_grad for item in items):
        raise ArgumentError("meshgrid of more than two tensors that require grad is not "
                            "supported yet: pass .detach() tensors")
    grids = np.meshgrid(*[item.numpy() for item in items], indexing="ij" if indexing == "ij" else "xy")
    return tuple(make_leaf(np.array(grid)) for grid in grids)
