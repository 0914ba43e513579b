"""Tensors made from a shape (`sg.ones`, `sg.zeros`, `sg.arange`, `sg.linspace`, `sg.randn`, ...)
and from another tensor (`sg.ones_like`, ...), with PyTorch's signatures.

(`sg.tensor`, which copies given data, is the `Tensor` constructor and lives with it.)
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..core import limits
from ..core.errors import ArgumentError
from ..core.shapes import Shape
from .dtypes import as_numpy_dtype, check_device
from .tensor import Tensor, make_leaf


def _shape_of(shape: tuple[Any, ...]) -> Shape:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(extent, (int, np.integer)) and extent >= 0 for extent in shape):
        raise ArgumentError(f"a shape is non-negative whole numbers, not {shape!r}")
    result = tuple(int(extent) for extent in shape)
    limits.check_elements(result, "a tensor")
    return result


def _leaf(values: np.ndarray, requires_grad: bool, numpy_type: np.dtype | None = None) -> Tensor:
    leaf = make_leaf(values if numpy_type is None else values.astype(numpy_type, copy=False))
    return leaf.requires_grad_(True) if requires_grad else leaf


def _placement(dtype: object, device: object, floating: bool = False) -> np.dtype:
    """The numpy type for PyTorch's `dtype=` (float64 when left out), after checking that
    `device=` is the CPU; `floating` factories (random samples) refuse int64 and bool."""
    check_device(device)
    numpy_type = np.dtype(np.float64) if dtype is None else as_numpy_dtype(dtype)
    if floating and numpy_type.kind != "f":
        raise ArgumentError(f"random samples need a floating point dtype, not {dtype!r}")
    return numpy_type


def _size_of(size: tuple[Any, ...], keyword: Sequence[int] | None, name: str) -> Shape:
    """The shape from `*size` or `size=` (PyTorch takes either, not both)."""
    if keyword is not None:
        if size:
            raise ArgumentError(f"{name} takes the size positionally or as size=, not both")
        return _shape_of((tuple(keyword),) if isinstance(keyword, (tuple, list)) else (keyword,))
    return _shape_of(size)


def ones(*size: int | Sequence[int], dtype: object = None, device: object = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones: `sg.ones(2, 2)` or `sg.ones((2, 2))`."""
    kind = _placement(dtype, device)
    return _leaf(np.ones(_shape_of(size)), requires_grad, kind)


def zeros(*size: int | Sequence[int], dtype: object = None, device: object = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    kind = _placement(dtype, device)
    return _leaf(np.zeros(_shape_of(size)), requires_grad, kind)


def empty(*size: int | Sequence[int], dtype: object = None, device: object = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor to be overwritten; symgrad fills it with zeros (PyTorch leaves it undefined)."""
    kind = _placement(dtype, device)
    return _leaf(np.zeros(_shape_of(size)), requires_grad, kind)


def full(size: int | Sequence[int], fill_value: float, *, dtype: object = None, device: object = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of shape `size` holding `fill_value` everywhere."""
    kind = _placement(dtype, device)
    return _leaf(np.full(_shape_of((size,)), _number("full", fill_value)), requires_grad, kind)


def eye(n: int, m: int | None = None, *, dtype: object = None, device: object = None,
        requires_grad: bool = False) -> Tensor:
    """The n x m (default n x n) matrix with ones on the diagonal."""
    kind = _placement(dtype, device)
    rows, columns = _shape_of((n, n if m is None else m))
    return _leaf(np.eye(rows, columns), requires_grad, kind)


def linspace(start: float, end: float, steps: int, *, dtype: object = None, device: object = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from `start` to `end`, both included, with PyTorch's values:
    the first half counts up from `start`, the second half down from `end`."""
    kind = _placement(dtype, device, floating=True)
    (count,) = _shape_of((steps,))
    low, high = _number("linspace", start), _number("linspace", end)
    if count == 1:
        return _leaf(np.array([low]), requires_grad, kind)
    step = (high - low) / (count - 1)
    index = np.arange(count, dtype=np.float64)
    values = np.where(index < count // 2, low + index * step, high - (count - 1 - index) * step)
    return _leaf(values, requires_grad, kind)


def _number(name: str, value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise ArgumentError(f"{name} takes a number, not {value!r}") from error


def arange(start: float, end: float | None = None, step: float = 1, *, dtype: object = None,
           device: object = None, requires_grad: bool = False) -> Tensor:
    """Values from `start` (or 0) up to but excluding `end`, with PyTorch's length and values.

    The length is ceil((end - start) / step); element i is start + i*step as PyTorch's x86
    kernel rounds it (see `_torch_arange_values`), so `sg.arange(-8.0, 8.0, 0.1)` has exactly
    torch's float64 numbers.
    """
    kind = _placement(dtype, device)
    low, high = (0.0, start) if end is None else (start, end)
    try:
        first, last, stride = float(low), float(high), float(step)
    except (TypeError, ValueError) as error:
        raise ArgumentError(f"arange takes numbers, not {start!r}, {end!r}, {step!r}") from error
    if stride == 0:
        raise ArgumentError("arange needs a step that is not 0 (torch: step must be nonzero)")
    if not (math.isfinite(first) and math.isfinite(last)):
        raise ArgumentError(f"arange needs finite bounds, not {first} and {last}")
    if (stride > 0 and last < first) or (stride < 0 and last > first):
        raise ArgumentError("upper bound and larger bound inconsistent with step sign")
    steps = (last - first) / stride
    if not math.isfinite(steps):
        raise ArgumentError(f"arange from {low} to {high} by {step} never ends")
    count = math.ceil(steps)
    limits.check_elements((count,), "arange")
    return _leaf(_torch_arange_values(first, stride, count), requires_grad, kind)


def _torch_arange_values(start: float, step: float, count: int) -> np.ndarray:
    """start + i*step rounded as PyTorch's x86 (AVX2) arange kernel rounds it.

    That kernel fills blocks of 8 with two 4-lane vectors: lane j of the vector starting at
    index c holds fma(j, step, fma(step, c, start)) (the compiler fuses the multiply-adds);
    the elements after the last whole block of 8 are scalar fma(step, i, start). numpy's
    start + i*step differs from that in the last bit at some elements (e.g. the one at 0 in
    arange(-8, 8, 0.1)), and relu' there is then 0 instead of torch's 1.
    """
    index = np.arange(count, dtype=np.float64)
    vectorized = count // 8 * 8
    lane = np.where(index < vectorized, index % 4, 0.0)
    block = index - lane
    return _fma(lane, step, _fma(np.full(count, step), block, np.full(count, start)))


def _fma(x: np.ndarray | float, y: np.ndarray | float, z: np.ndarray) -> np.ndarray:
    """x*y + z with one rounding (numpy has no fma): exact product and sum pieces (Dekker's
    and Knuth's error-free transformations), added from the smallest."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    product = x * y
    split = 134217729.0  # 2**27 + 1
    xs = split * x
    x_high = xs - (xs - x)
    x_low = x - x_high
    ys = split * y
    y_high = ys - (ys - y)
    y_low = y - y_high
    product_error = ((x_high * y_high - product) + x_high * y_low + x_low * y_high) + x_low * y_low
    total = product + z
    virtual = total - product
    sum_error = (product - (total - virtual)) + (z - virtual)
    return np.asarray(total + (sum_error + product_error), dtype=np.float64)


_RANDOM = np.random.default_rng()


def _generator(seed: int | None) -> np.random.Generator:
    return _RANDOM if seed is None else np.random.default_rng(seed)


def randn(*size: int | Sequence[int], dtype: object = None, device: object = None,
          requires_grad: bool = False, seed: int | None = None,
          **keywords: Sequence[int] | int) -> Tensor:
    """Standard normal samples: `sg.randn(2, 3)` or `sg.randn(size=(2, 3))`; `seed` makes them
    reproducible (symgrad's own generator: the numbers are not torch's)."""
    kind = _placement(dtype, device, floating=True)
    shape = _size_of(size, _size_keyword("randn", keywords), "randn")
    return _leaf(_generator(seed).standard_normal(shape), requires_grad, kind)


def rand(*size: int | Sequence[int], dtype: object = None, device: object = None,
         requires_grad: bool = False, seed: int | None = None,
         **keywords: Sequence[int] | int) -> Tensor:
    """Samples uniform on [0, 1): `sg.rand(2, 3)` or `sg.rand(size=(2, 3))`."""
    kind = _placement(dtype, device, floating=True)
    shape = _size_of(size, _size_keyword("rand", keywords), "rand")
    return _leaf(_generator(seed).random(shape), requires_grad, kind)


def normal(mean: float | Tensor = 0.0, std: float | Tensor = 1.0, size: Sequence[int] | None = None, *,
           dtype: object = None, device: object = None, requires_grad: bool = False,
           seed: int | None = None) -> Tensor:
    """Normal samples with the given mean and standard deviation: `sg.normal(0.0, 1.0, size=(3,))`,
    or elementwise means and deviations given as tensors (their broadcast shape)."""
    kind = _placement(dtype, device, floating=True)
    centre = mean.numpy() if isinstance(mean, Tensor) else np.float64(_number("normal", mean))
    spread = std.numpy() if isinstance(std, Tensor) else np.float64(_number("normal", std))
    if np.any(spread < 0):
        raise ArgumentError("normal needs std >= 0")
    if size is None:
        if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
            raise ArgumentError("normal of two numbers needs size=, e.g. sg.normal(0.0, 1.0, size=(3,))")
        shape = _shape_of(np.broadcast_shapes(np.shape(centre), np.shape(spread)))
    else:
        shape = _size_of((), size, "normal")
    samples = centre + spread * _generator(seed).standard_normal(shape)
    return _leaf(np.asarray(samples, dtype=np.float64), requires_grad, kind)


def _size_keyword(name: str, keywords: dict[str, Sequence[int] | int]) -> Sequence[int] | None:
    """PyTorch's `size=` keyword (kept out of the signature so `*size` can take its name)."""
    unknown = set(keywords) - {"size"}
    if unknown:
        raise ArgumentError(f"{name} got unexpected keyword arguments {sorted(unknown)}")
    size = keywords.get("size")
    if isinstance(size, int):
        return (size,)
    return size


# -- like-factories: the shape of another tensor -----------------------------------------------------
def _shape_like(input: Tensor) -> Shape:  # noqa: A002
    if not isinstance(input, Tensor):
        raise ArgumentError(f"a *_like factory takes a tensor, not {type(input).__name__}")
    return tuple(input.shape)


def _like_dtype(input: Tensor, dtype: object) -> object:  # noqa: A002
    return input.dtype if dtype is None else dtype  # as PyTorch: the input's dtype by default


def ones_like(input: Tensor, *, dtype: object = None, device: object = None,  # noqa: A002
              requires_grad: bool = False) -> Tensor:
    """Ones in the shape of `input`."""
    return ones(_shape_like(input), dtype=_like_dtype(input, dtype), device=device, requires_grad=requires_grad)


def zeros_like(input: Tensor, *, dtype: object = None, device: object = None,  # noqa: A002
               requires_grad: bool = False) -> Tensor:
    """Zeros in the shape of `input`."""
    return zeros(_shape_like(input), dtype=_like_dtype(input, dtype), device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: float, *, dtype: object = None,  # noqa: A002
              device: object = None, requires_grad: bool = False) -> Tensor:
    """`fill_value` in the shape of `input`."""
    return full(_shape_like(input), fill_value, dtype=_like_dtype(input, dtype), device=device, requires_grad=requires_grad)


def rand_like(input: Tensor, *, dtype: object = None, device: object = None,  # noqa: A002
              requires_grad: bool = False, seed: int | None = None) -> Tensor:
    """Uniform samples on [0, 1) in the shape of `input`."""
    return rand(_shape_like(input), dtype=_like_dtype(input, dtype), device=device, requires_grad=requires_grad, seed=seed)


def randn_like(input: Tensor, *, dtype: object = None, device: object = None,  # noqa: A002
               requires_grad: bool = False, seed: int | None = None) -> Tensor:
    """Standard normal samples in the shape of `input`."""
    return randn(_shape_like(input), dtype=_like_dtype(input, dtype), device=device, requires_grad=requires_grad, seed=seed)
