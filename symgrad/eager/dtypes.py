"""Element types and devices with PyTorch's names: `sg.float32`, `sg.float64` (the default for
Python numbers, as symgrad has always computed), `sg.int64`, `sg.bool`; and the one device,
`sg.device("cpu")`.

A tensor stores its values as a numpy array of the matching numpy type, so float32 tensors
compute in float32. `as_numpy_dtype` reads every spelling users bring: these objects, torch's
(`torch.float32`), numpy's and strings.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import ArgumentError

__all__ = ["dtype", "float32", "float64", "int64", "bool_", "device", "as_numpy_dtype",
           "dtype_of", "check_device"]


class dtype:  # noqa: N801  (PyTorch's spelling)
    """An element type, printed as `sg.float32`; compares equal to numpy's same type."""

    __slots__ = ("name", "numpy", "is_floating_point", "itemsize")

    def __init__(self, name: str, numpy: type[np.generic]) -> None:
        self.name, self.numpy = name, np.dtype(numpy)
        self.is_floating_point = self.numpy.kind == "f"
        self.itemsize = self.numpy.itemsize

    def __repr__(self) -> str:
        return f"sg.{self.name}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dtype):
            return other is self
        try:
            return as_numpy_dtype(other) == self.numpy
        except ArgumentError:
            return False

    def __hash__(self) -> int:
        return hash(self.numpy)

    def __reduce__(self) -> str:
        return self.name if self.name != "bool" else "bool_"


float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int64 = dtype("int64", np.int64)
bool_ = dtype("bool", np.bool_)
_BY_NUMPY = {item.numpy: item for item in (float32, float64, int64, bool_)}
_BY_NAME = {"float32": float32, "float": float32, "float64": float64, "double": float64,
            "int64": int64, "long": int64, "bool": bool_}


def as_numpy_dtype(value: object) -> np.dtype:
    """The numpy type of a dtype given as sg.float32, torch.float32, np.float32 or 'float32'."""
    if isinstance(value, dtype):
        return value.numpy
    if value is float:
        return float64.numpy  # Python's float is a double
    if value is int:
        return int64.numpy
    if isinstance(value, str):
        name = value
    elif isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        name = np.dtype(value).name
    else:
        name = str(value).rsplit(".", 1)[-1]  # torch.float32 prints as 'torch.float32'
    found = _BY_NAME.get(name)
    if found is None:
        raise ArgumentError(f"dtype {value!r} is not supported: symgrad tensors are float32, "
                            "float64, int64 or bool")
    return found.numpy


def dtype_of(values: Any) -> dtype:
    """The dtype object of a tensor's numpy values."""
    found = _BY_NUMPY.get(np.asarray(values).dtype) if not hasattr(values, "dtype") else _BY_NUMPY.get(values.dtype)
    if found is None:
        raise ArgumentError(f"numpy type {np.asarray(values).dtype} has no symgrad dtype")
    return found


class device:  # noqa: N801  (PyTorch's spelling)
    """The device a tensor lives on: always the CPU (`sg.device("cpu")`)."""

    __slots__ = ("type", "index")

    def __init__(self, type: str = "cpu", index: int | None = None) -> None:  # noqa: A002
        check_device(type)
        self.type, self.index = "cpu", None

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __str__(self) -> str:
        return "cpu"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, device) or other == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")


def check_device(value: object) -> None:
    """Accept the CPU in every spelling (None, 'cpu', 'cpu:0', torch.device('cpu'), sg.device);
    anything else is an ArgumentError."""
    if value is None or isinstance(value, device):
        return
    text = str(getattr(value, "type", value))
    if text == "cpu" or text.startswith("cpu:"):
        return
    raise ArgumentError(f"device {value!r} is not supported: symgrad runs on the CPU only "
                        "(device='cpu' or leave it out)")
