"""Tensors made from a shape: `sg.ones`, `sg.zeros`, `sg.arange`, `sg.randn`.

(`sg.tensor`, which copies given data, is the `Tensor` constructor and lives with it.)
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..core import limits
from ..core.errors import ArgumentError
from ..core.shapes import Shape
from .tensor import Tensor, make_leaf


def _shape_of(shape: tuple[Any, ...]) -> Shape:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(extent, (int, np.integer)) and extent >= 0 for extent in shape):
        raise ArgumentError(f"a shape is non-negative whole numbers, not {shape!r}")
    result = tuple(int(extent) for extent in shape)
    limits.check_elements(result, "a tensor")
    return result


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
    low, high = (0.0, start) if end is None else (start, end)
    try:
        steps = (float(high) - float(low)) / float(step)
    except (TypeError, ValueError) as error:
        raise ArgumentError(f"arange takes numbers, not {start!r}, {end!r}, {step!r}") from error
    if steps > 0 and not math.isfinite(steps):
        raise ArgumentError(f"arange from {low} to {high} by {step} never ends")
    limits.check_elements((max(math.ceil(steps), 0) if math.isfinite(steps) else 0,), "arange")
    values = np.arange(low, high, step, dtype=np.float64)
    return _leaf(values.astype(np.float64), requires_grad)


_RANDOM = np.random.default_rng()


def randn(*shape: int | Sequence[int], requires_grad: bool = False, seed: int | None = None) -> Tensor:
    """Standard normal samples; `seed` makes them reproducible."""
    generator = _RANDOM if seed is None else np.random.default_rng(seed)
    return _leaf(generator.standard_normal(_shape_of(shape)), requires_grad)
