"""Fused engines for `sg.compile(..., backend=...)`: a numba loop over points, a CuPy
ElementwiseKernel. Both run the `emit_scalar` program; `kernel.py` falls back to the numpy
source (and says why in `kernel.source`) for graphs the program does not cover.

numba: the module text is written to a cache folder (`SYMGRAD_CACHE`, default
`~/.cache/symgrad`) under the hash of its text, so `cache=True` keeps the compiled machine
code across processes; the module is executed from the text generated here (compared with
the file before use), never from whatever the file holds. CuPy: the kernel is built on the
first call, so `kernel.source` shows the CUDA source where CuPy is not installed.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import tempfile
import types
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..core.errors import ArgumentError
from ..core.shapes import Shape, size_of
from .arrays import Kind
from .emit_scalar import ScalarProgram, cuda_parameters, cuda_source, numba_source

BACKENDS = ("numpy", "numba", "cupy")
_LOADED: dict[str, Callable[..., Any]] = {}


def require(module: str, backend: str, install: str) -> Any:
    """`module` imported, or an ArgumentError saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ArgumentError(f"backend={backend!r} needs {module}, which is not installed "
                            f"({install})") from error


def cache_folder() -> Path:
    """Where numba kernels' modules (and numba's cache of their machine code) live."""
    chosen = os.environ.get("SYMGRAD_CACHE")
    folder = Path(chosen) if chosen else Path.home() / ".cache" / "symgrad"
    folder = folder / "numba"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError:
        fallback = Path(tempfile.gettempdir()) / f"symgrad-{os.getuid()}" / "numba"
        fallback.mkdir(parents=True, exist_ok=True)
        return fallback


class NumbaLoop:
    """One compiled loop per set of arguments read once (hoisted), built on first use."""

    def __init__(self, program: ScalarProgram) -> None:
        require("numba", "numba", "pip install symgrad[numba]")
        self.program = program
        self.source = numba_source(program)
        self._loops: dict[int, Callable[..., Any]] = {}

    def run(self, arrays: list[Any], batch: Shape, kind: Kind) -> list[np.ndarray]:
        """Every output, of shape `batch` (or (1,) without batch axes)."""
        shape = batch or (1,)
        points = size_of(shape)
        flat, hoisted = flat_inputs(arrays, self.program.inputs, shape, np)
        outputs = [np.empty(points * size_of(core), dtype=kind.dtype)
                   for core in self.program.shapes]
        self._loop(hoisted)(points, *[array.reshape(-1) for array in flat], *outputs)
        return [output.reshape(shape + core) for output, core in zip(outputs, self.program.shapes)]

    def _loop(self, hoisted: int) -> Callable[..., Any]:
        loop = self._loops.get(hoisted)
        if loop is None:
            loop = self._loops[hoisted] = load_numba(numba_source(self.program, hoisted))
        return loop


def flat_inputs(arrays: list[Any], cores: tuple[Shape, ...], shape: Shape,
                xp: Any) -> tuple[list[Any], int]:
    """Each input as a C-contiguous `(points, elements)` array (`(points,)` for a scalar per
    point), or `(1, ...)` for one value for every point (bit set in the returned mask)."""
    points = size_of(shape)
    flat: list[Any] = []
    hoisted = 0
    for position, (array, core) in enumerate(zip(arrays, cores)):
        elements = size_of(core)
        if array.size == elements:
            flat.append(array.reshape((1, elements) if core else (1,)))
            hoisted |= 1 << position
        else:  # a view when the array already has the whole batch shape
            full = xp.ascontiguousarray(xp.broadcast_to(array, shape + core))
            flat.append(full.reshape((points, elements) if core else (points,)))
    return flat, hoisted


def load_numba(source: str) -> Callable[..., Any]:
    """The `kernel` of the module `source`, executed from this text under a file of its hash."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:32]
    loop = _LOADED.get(digest)
    if loop is not None:
        return loop
    path = cache_folder() / f"symgrad_kernel_{digest}.py"
    if not path.exists() or path.read_text() != source:
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(source)
        temporary.replace(path)  # atomic: a concurrent process sees the old or the new file
    module = types.ModuleType(f"symgrad_kernel_{digest}")
    module.__file__ = str(path)
    # numba's cache finds a function's globals again by importing its module's name
    sys.modules[module.__name__] = module
    exec(compile(source, str(path), "exec"), module.__dict__)  # our generated text only
    made: Callable[..., Any] = module.__dict__["kernel"]
    _LOADED[digest] = made
    return made


class CupyElementwise:
    """A `cupy.ElementwiseKernel` made on the first call; numpy arguments go to the GPU and
    their results come back."""

    def __init__(self, program: ScalarProgram) -> None:
        self.program = program
        inputs, outputs = cuda_parameters(program)
        body = cuda_source(program)
        self.source = (f"// cupy.ElementwiseKernel(in_params={inputs!r},\n"
                       f"//                       out_params={outputs!r}, name='symgrad_fused')\n"
                       + body)
        self._parts = (inputs, outputs, body)
        self._kernel: Any = None

    def run(self, arrays: list[Any], batch: Shape, kind: Kind) -> list[Any]:
        cupy = require("cupy", "cupy", "pip install cupy-cuda12x, on a machine with a GPU")
        if self._kernel is None:
            inputs, outputs, body = self._parts
            self._kernel = cupy.ElementwiseKernel(inputs, outputs, body, "symgrad_fused")
        on_device = [cupy.asarray(array, dtype=kind.dtype) for array in arrays]
        if self.program.per_point:
            shaped = self._run_raw(cupy, on_device, batch, kind)
        else:
            results = self._kernel(*on_device)
            results = list(results) if isinstance(results, tuple) else [results]
            shaped = [result.reshape(batch or (1,)) if result.ndim == 0 else result
                      for result in results]
        if kind.library == "cupy":
            return shaped
        return [cupy.asnumpy(result) for result in shaped]

    def _run_raw(self, cupy: Any, arrays: list[Any], batch: Shape, kind: Kind) -> list[Any]:
        """Flat raw arrays, one thread per point: inputs read at `i * p{k} + j`."""
        shape = batch or (1,)
        points = size_of(shape)
        flat, hoisted = flat_inputs(arrays, self.program.inputs, shape, cupy)
        steps = [0 if hoisted >> position & 1 else size_of(core)
                 for position, core in enumerate(self.program.inputs)]
        outputs = [cupy.empty(points * size_of(core), dtype=kind.dtype)
                   for core in self.program.shapes]
        self._kernel(*[array.reshape(-1) for array in flat], *steps, *outputs, size=points)
        return [output.reshape(shape + core) for output, core in zip(outputs, self.program.shapes)]
