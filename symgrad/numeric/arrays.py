"""Array kinds at the numeric boundary: results come back in the library and dtype given.

A call of `.eval`, `sg.reverse` or a kernel first looks at its arguments (`kind_of`): which
array library they come from (numpy, torch, CuPy, dask, JAX, found through `array-api-compat`
without importing any of them) and which floating dtype the results get:

- float32 when every floating array argument is float32 (or narrower), float64 otherwise;
- Python numbers and integer or boolean arrays do not choose: they take the others' dtype,
  float64 when alone (as numpy, torch and JAX promote a weak scalar).

numpy and CuPy arrays are computed on directly by kernels (the generated numpy source runs
on CuPy arrays through numpy's dispatch). A torch tensor (viewed when on the CPU, copied from
a GPU) or a JAX array is computed on as a numpy array and given back through its array
namespace (`xp.asarray(result, device=...)`), so the caller gets its own kind on its own
device. `.eval` and `sg.reverse` compute every kind on the host this way. dask
arrays are lazy: kernels map them block by block (`kernel.py`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from ..core.errors import ArgumentError

FLOAT32 = np.dtype(np.float32)
FLOAT64 = np.dtype(np.float64)
_PLAIN = (float, int, bool, np.ndarray, np.generic)


@dataclass(frozen=True, slots=True)
class Kind:
    """Where a call's arrays live and what dtype its results have."""

    library: str       # "numpy", "cupy", "torch", "jax", "dask" or "array-api"
    dtype: np.dtype[Any]
    like: Any = None   # one argument of that library (its namespace and device), None for numpy

    @property
    def native(self) -> bool:
        """Computed on directly (numpy, CuPy), not through a numpy copy or view."""
        return self.library in ("numpy", "cupy")

    @property
    def xp(self) -> Any:
        """The module whose functions make arrays for the computation (numpy or CuPy)."""
        if self.library == "cupy":
            return sys.modules["cupy"]
        return np


NUMPY64 = Kind("numpy", FLOAT64)
NUMPY32 = Kind("numpy", FLOAT32)


def _library(value: Any) -> str:
    """The array library of a value that is not a plain number or numpy array."""
    import array_api_compat as compat  # imported here: only non-numpy arrays need it

    for library, test in (("torch", compat.is_torch_array), ("cupy", compat.is_cupy_array),
                          ("dask", compat.is_dask_array), ("jax", compat.is_jax_array)):
        if test(value):
            return library
    if compat.is_array_api_obj(value):
        return "array-api"
    return "numpy"  # lists, tuples and other array-likes: numpy reads them


def _float_size(value: Any) -> int:
    """The item size of a floating-point array or scalar, 0 for anything else."""
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return 0
    if getattr(dtype, "is_floating_point", False):  # a torch dtype
        return int(dtype.itemsize)
    try:
        numpy_dtype = np.dtype(dtype)
    except TypeError:
        return 0
    return numpy_dtype.itemsize if numpy_dtype.kind == "f" else 0


def kind_of(values: Iterable[Any]) -> Kind:
    """The kind of the results for these argument values (see the module docstring)."""
    library, like, widest = "numpy", None, 0
    for value in values:
        if isinstance(value, _PLAIN):
            if isinstance(value, (np.ndarray, np.floating)):
                widest = max(widest, _float_size(value))
            continue
        found = _library(value)
        if found != "numpy":
            if library != "numpy" and found != library:
                raise ArgumentError(f"the arguments mix {library} and {found} arrays; "
                                    "give arrays of one library (numpy arrays and numbers "
                                    "mix with any)")
            library, like = found, value
        widest = max(widest, _float_size(value))
    dtype = FLOAT32 if 0 < widest <= 4 else FLOAT64
    if library == "numpy":
        return NUMPY32 if dtype is FLOAT32 else NUMPY64
    return Kind(library, dtype, like)


def to_compute(value: Any, kind: Kind) -> Any:
    """`value` as the computation reads it: numpy (or, for CuPy calls, CuPy) arrays, numbers."""
    if kind.library == "numpy" or isinstance(value, _PLAIN):
        if kind.library == "cupy" and isinstance(value, np.ndarray):
            return kind.xp.asarray(value)
        return value
    if kind.library == "cupy":
        return value
    if kind.library == "torch":
        # A CPU tensor is viewed, not copied; a CUDA tensor is copied to the host and its
        # results go back to its device (for GPU speed, give CuPy arrays).
        return _torch_numpy(value)
    return np.asarray(value)


def _torch_numpy(value: Any) -> Any:
    """A torch tensor as a numpy array on the host. Floating dtypes numpy lacks (bfloat16,
    the float8 kinds) are read as float32, the dtype their results get anyway."""
    tensor = value.detach().cpu()
    if tensor.is_floating_point() and tensor.element_size() < 4:
        tensor = tensor.float()
    try:
        return tensor.numpy()
    except TypeError as error:  # complex32, and dtypes newer than this numpy bridge
        raise ArgumentError(f"a torch tensor of dtype {tensor.dtype} has no numpy equivalent "
                            "to compute with; give a float or integer tensor") from error


def from_compute(result: Any, kind: Kind) -> Any:
    """A result (numpy or CuPy array, or number) as the caller's kind."""
    if kind.library == "numpy" or (kind.library == "cupy" and not isinstance(result, _PLAIN)):
        return result
    import array_api_compat as compat

    namespace = compat.array_namespace(kind.like)
    return namespace.asarray(np.asarray(result), device=compat.device(kind.like))


def to_host(value: Any) -> Any:
    """`value` as numpy (for error reports, which evaluate again on the CPU)."""
    if isinstance(value, _PLAIN):
        return value
    if hasattr(value, "get") and _library(value) == "cupy":
        return value.get()
    if _library(value) == "torch":
        return _torch_numpy(value)
    return np.asarray(value)
