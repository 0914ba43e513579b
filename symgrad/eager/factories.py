"""Tensors made from a shape: `sg.ones`, `sg.zeros`, `sg.arange`, `sg.randn`.

(`sg.tensor`, which copies given data, is the `Tensor` constructor and lives with it.)
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..core.errors import ArgumentError
from ..core.shapes import Shape
from .tensor import Tensor, make_leaf


def _shape_of(shape: tuple[Any, ...]) -> Shape:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(extent, (int, np.integer)) and extent >= 0 for extent in shape):
        raise ArgumentError(f"a shape is non-negative whole numbers, not {shape!r}")
    return tuple(int(extent) for extent in shape)


def _leaf(values: np.ndarray, requires_grad: bool) -> Tensor:
    leaf = make_leaf(values)
    return leaf.requires_grad_(True) if requires_grad else leaf


def ones(*shape: int | Sequence[int], requires_grad: bool = False) -> Tensor:
    """A tensor of ones: `sg.ones(2, 2)` or `sg.ones((2, 2))`."""
    return _leaf(np.ones(_shape_of(shape)), requires_grad)


def zeros(*shape: int | Sequence[int], requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    return _leaf(np.zeros(_shape_of(shape)), requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, requires_grad: bool = False) -> Tensor:
    """Values from `start` (or 0) up to but excluding `end`, as float64."""
    if step == 0:
        raise ArgumentError("arange needs a step that is not 0")
    values = np.arange(0.0, start, step) if end is None else np.arange(start, end, step, dtype=np.float64)
    return _leaf(values.astype(np.float64), requires_grad)


_RANDOM = np.random.default_rng()


def randn(*shape: int | Sequence[int], requires_grad: bool = False, seed: int | None = None) -> Tensor:
    """Standard normal samples; `seed` makes them reproducible."""
    generator = _RANDOM if seed is None else np.random.default_rng(seed)
    return _leaf(generator.standard_normal(_shape_of(shape)), requires_grad)
