"""What a tensor's values read out as: shape, Python and numpy conversions, printed text.

`TensorValues` is a base class of `Tensor` holding the methods that only read `_value` (and,
for printing, whether the tensor requires grad); it records nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from ..core.errors import ArgumentError
from ..core.shapes import Shape
from .dtypes import dtype, dtype_of
from .formatting import format_tensor, latex_tensor

if TYPE_CHECKING:
    from .tensor import Tensor
    from .recording import EagerOp


class TensorValues:
    """The read-only views of a tensor's values that every `Tensor` has."""

    __slots__ = ()
    _value: Any
    _op: EagerOp | None
    _rg: bool

    @property
    def shape(self) -> Shape:
        return tuple(np.shape(self._value))

    @property
    def ndim(self) -> int:
        return int(np.ndim(self._value))

    @property
    def dtype(self) -> dtype:
        """The element type: `sg.float64` (the default), `sg.float32`, `sg.int64` or `sg.bool`."""
        return dtype_of(self._value)

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return int(np.size(self._value))

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]

    def stride(self) -> tuple[int, ...]:
        """Steps between elements along each axis, counted in elements as PyTorch does."""
        array = np.asarray(self._value)
        return tuple(step // array.itemsize for step in array.strides)

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if np.size(self._value) != 1:
            raise ArgumentError(f"item() needs a tensor with one element, not shape {self.shape}")
        return np.asarray(self._value).reshape(()).item()

    def tolist(self) -> Any:
        return np.asarray(self._value).tolist()

    def numpy(self) -> np.ndarray:
        """The values as a numpy array sharing storage."""
        value = self._value
        return value if isinstance(value, np.ndarray) else np.asarray(value)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        array = np.asarray(self._value, dtype=dtype)
        return np.array(array) if copy else array

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        return (self[position] for position in range(len(self)))  # type: ignore[index]

    def __bool__(self) -> bool:
        if np.size(self._value) != 1:
            raise ArgumentError(f"the truth value of a tensor with {np.size(self._value)} "
                                "elements is ambiguous; use .any() or .all()")
        return bool(np.asarray(self._value).reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        return int(self.item())

    def any(self) -> bool:
        return bool(np.any(self._value))

    def all(self) -> bool:
        return bool(np.all(self._value))

    def __repr__(self) -> str:
        suffixes = []
        if self._rg and self._op is not None:
            suffixes.append(f"grad_fn=<{self._op.torch}>")
        elif self._rg:
            suffixes.append("requires_grad=True")
        values = np.asarray(self._value)
        if values.dtype == np.float32:  # float64 is symgrad's default, as float32 is torch's
            suffixes.insert(0, "dtype=sg.float32")
        return format_tensor(values, suffixes)

    __str__ = __repr__

    def _repr_latex_(self) -> str | None:
        """A notebook shows a small tensor as a matrix; a large one as its text."""
        suffix = r"\quad \text{(requires grad)}" if self._rg else ""
        matrix = latex_tensor(np.asarray(self._value))
        return None if matrix is None else rf"$\displaystyle {matrix}{suffix}$"

    def __format__(self, spec: str) -> str:
        if np.ndim(self._value) == 0:  # as PyTorch: f"{t}" of a 0-d tensor is its number
            return format(self.item(), spec)
        return format(repr(self), spec)

