"""Compiled numpy kernels: values, gradients and Jacobians of a DAG in one generated function.

    k = sg.compile(e)                       # k(x=xs, u=2.0) -> array of shape (*batch,)
    kg = sg.compile(e, grad=True)           # kg(xs, us) -> (value, {"u": ..., "x": ...})
    print(kg.source)                        # one numpy statement per shared DAG node

Batch semantics are those of `Expr.eval` (API.md section 3): a symbol of shape `s` takes an
array of shape `(*batch, *s)`, the batch shapes of all arguments broadcast together, and every
result, constants included, has shape `(*batch, *result_shape)`.

Arrays (API.md section 3, "Arrays and engines"): results have the kind and dtype of the
arguments (`arrays.py`: float32 in gives float32 out; torch tensors give torch tensors; dask
arrays give lazy dask arrays, block by block, `blocks.py`). `backend="numba"` or `"cupy"`
runs a fused kernel (`emit_scalar.py`, `fused.py`) where the graph allows. With `errors="ignore"` (the default) a value outside an
operation's domain is nan or ±inf as numpy computes it, with numpy's warnings silenced; with
`errors="raise"` an output that is not finite raises `DomainError` naming the operation where
the first non-finite value reaching it was made, and the point (found by evaluating again, so
a nan in an unselected `where` branch is no error).
"""

from __future__ import annotations

import builtins
import html
import itertools
import linecache
import weakref
from collections import OrderedDict
from typing import Any, Callable, Mapping, Sequence, Union

import numpy as np

from ..calculus.differentiate import resolve_symbols, vjp
from ..language.parse import as_expression
from .arrays import NUMPY64, Kind, from_compute, kind_of, to_compute, to_host
from .blocks import call_blocks
from .emit_numpy import emit_kernel, namespace_for
from .emit_scalar import CUDA, PYTHON, scalar_program
from .memory import call_arrays
from .fused import BACKENDS, CupyElementwise, NumbaLoop, require
from ..language.display import code_html
from ..calculus.simplify import simplify_derivatives
from ..core import limits
from ..core.errors import ArgumentError
from .evaluate import ERRORS, batch_inputs, check_batch, finish, forward_values, largest_core
from ..core.expr import Expr, constant, dag_records, from_dag_records, symbol_name
from ..core.greek import canonical_keys
from ..core.shapes import Shape, size_of
from ..core.traverse import topological

# Points per chunk for very large batches: temporaries then stay in the L2 cache and are
# recycled by malloc instead of faulting in fresh pages (see benchmarks/bench_kernels.py).
CHUNK_POINTS = 16384

Outputs = Union[Expr, Sequence[Any], Mapping[Any, Any]]
# A compiled source: the function, which roots it returns fresh, and its buffer parameters.
Variant = tuple[Callable[..., Any], tuple[bool, ...], tuple[tuple[int, Shape], ...]]
Template = Union[int, list[Any], dict[Any, Any]]

_COUNTER = itertools.count()
_CACHE: weakref.WeakValueDictionary[tuple[Any, ...], Kernel] = weakref.WeakValueDictionary()
_RECENT: OrderedDict[tuple[Any, ...], Kernel] = OrderedDict()
_RECENT_SIZE = 64


class Kernel:
    """A compiled function of named arrays; build it with `sg.compile`.

    Call it with keyword arguments (the symbols' names) or positionally in the order of
    `kernel.args` (the sorted names). Values for names the kernel does not use are ignored,
    as `.eval` ignores them. `kernel.source` is the generated source (numpy statements, a
    numba module or CUDA C); `kernel.backend` the backend asked for, and `kernel.fallback`
    why a fused backend runs the numpy source instead (None when it does not).
    """

    def __init__(self, roots: list[Expr], template: Any, symbols: list[Expr], errors: str,
                 chunk: int, backend: str = "numpy") -> None:
        self.args: list[str] = [symbol_name(symbol) for symbol in symbols]
        self.errors = errors
        self.chunk = chunk
        self.backend = backend
        self.fallback: str | None = None  # why a fused backend runs the numpy source instead
        self._roots = roots
        self._template = template
        self._symbols = symbols
        order = topological(roots)
        limits.check("MAX_KERNEL_OPERANDS", sum(len(node.args) for node in order),
                     "compiling this kernel")
        self._largest = largest_core(order)
        self._variants: dict[tuple[int, str, str], Variant] = {}
        everything = (1 << len(symbols)) - 1
        self.source: str = ""
        self._engine: NumbaLoop | CupyElementwise | None = None
        if backend != "numpy":
            dialect = PYTHON if backend == "numba" else CUDA
            program = scalar_program(roots, symbols, dialect) if symbols else "it has no inputs"
            if isinstance(program, str):
                self.fallback = program
            else:
                self._engine = NumbaLoop(program) if backend == "numba" else CupyElementwise(program)
                self.source = self._engine.source
                return
        emitted = self._variant(everything, NUMPY64)
        self.source = emitted.source
        if self.fallback is not None:
            if backend == "numba":
                require("numba", "numba", "pip install symgrad[numba]")
            self.source = (f"# backend={backend!r} runs this numpy source instead of a fused "
                           f"kernel: {self.fallback}\n" + emitted.source)

    def _variant(self, full: int, kind: Kind) -> Any:
        """The kernel specialised for the symbols in bit mask `full` having the whole batch
        shape, computing in `kind`'s dtype with its array module (numpy or CuPy).

        Only the reuse of dead arrays differs between masks, and only the namespace's constant
        arrays between kinds; `source` shows the one where every argument has the whole batch
        shape.
        """
        emitted = emit_kernel(self._roots, self._symbols, full)
        function, filename = _load(emitted.source, namespace_for(emitted, kind.dtype, kind.xp))
        weakref.finalize(self, linecache.cache.pop, filename, None)
        library = "cupy" if kind.library == "cupy" else "numpy"
        self._variants[(full, kind.dtype.char, library)] = (function, emitted.owned, emitted.buffers)
        return emitted

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its DAG (pickled by structure) and compiled again where it is loaded.
        state = dag_records([*self._roots, *self._symbols])
        return (_unpickle_kernel, (state, len(self._roots), self._template, self.errors,
                                   self.chunk, self.backend))

    def _repr_html_(self) -> str:
        heading = html.escape(repr(self))
        return f"<div><p><code>{heading}</code></p>{code_html(self.source)}</div>"

    def __repr__(self) -> str:
        backend = "" if self.backend == "numpy" else f", backend={self.backend!r}"
        return f"<symgrad.Kernel ({', '.join(self.args)}): {len(self._roots)} output(s){backend}>"

    def __call__(self, /, *positional: Any, **values: Any) -> Any:
        return _rebuild(self._template, self._flat(self._named(positional, values)))

    def _flat(self, named: dict[str, Any]) -> list[Any]:
        """Every output, in the kind of the arguments (dask arrays: lazily, by blocks)."""
        kind = kind_of([named[name] for name in self.args if name in named])
        if kind.library == "dask":
            return call_blocks(self._flat, self._symbols, [root.shape for root in self._roots],
                               named)
        if kind.library != "numpy":
            named = {name: to_compute(value, kind) if name in self.args else value
                     for name, value in named.items()}
        inputs, batch = batch_inputs(self._symbols, named, kind.dtype, kind.xp)
        check_batch(batch, self._largest)
        arrays = [inputs[name] for name in self.args]
        if not batch:
            # One size-1 batch axis keeps every value an array (ufuncs return scalars for 0-d).
            arrays = [array[np.newaxis] for array in arrays]
        with np.errstate(all="ignore"):
            results = self._run(arrays, batch, kind)
        if self.errors == "raise":
            self._raise_where_not_finite(results, named)
        if kind.library != "numpy":
            results = [from_compute(result, kind) for result in results]
        return results

    def _raise_where_not_finite(self, results: list[Any], values: dict[str, Any]) -> None:
        # The kernel runs unchecked; an output that is not finite is traced again by evaluate,
        # which names the operation where the first non-finite value reaching it was made.
        for root, result in zip(self._roots, results):
            if not np.all(np.isfinite(result)):
                host = {name: to_host(value) for name, value in values.items()}
                forward_values([root], host, errors="raise")

    def _named(self, positional: tuple[Any, ...], values: dict[str, Any]) -> dict[str, Any]:
        if len(positional) > len(self.args):
            raise ArgumentError(f"the kernel takes {len(self.args)} positional argument(s) "
                                f"({', '.join(self.args)}), got {len(positional)}")
        if "errors" in values and "errors" not in self.args:
            raise ArgumentError("errors= is chosen when compiling: sg.compile(..., errors='raise')")
        values = dict(canonical_keys(values))  # θ=... is the value of theta; filled in below
        for name, value in zip(self.args, positional):
            if name in values:
                raise ArgumentError(f"the kernel got two values for {name!r}")
            values[name] = value
        return values

    def _run(self, arrays: list[np.ndarray], batch: Shape, kind: Kind) -> list[Any]:
        if self._engine is not None:
            return [self._finish(value, batch, root.shape, True, kind)
                    for value, root in zip(self._engine.run(arrays, batch, kind), self._roots)]
        nb = max(1, len(batch))
        rows = max(1, self.chunk // max(1, size_of(batch[1:]))) if self.chunk else 0
        if rows and batch and batch[0] >= 2 * rows and kind.library != "cupy":
            return self._run_chunked(arrays, batch, rows, kind)
        function, owned, layout = self._specialised(arrays, batch, kind)
        buffers = call_arrays([(batch or (1,)) + core for _, core in layout],
                              [root >= 0 for root, _ in layout], kind.dtype, kind.xp)
        raw = function(nb, *arrays, *buffers)
        return [self._finish(value, batch, root.shape, fresh, kind)
                for value, root, fresh in zip(raw, self._roots, owned)]

    def _specialised(self, arrays: list[np.ndarray], batch: Shape, kind: Kind) -> Variant:
        full = 0
        for position, array in enumerate(arrays):
            if array.shape[:len(batch)] == batch:
                full |= 1 << position
        key = (full, kind.dtype.char, "cupy" if kind.library == "cupy" else "numpy")
        if key not in self._variants:
            self._variant(full, kind)
        return self._variants[key]

    def _run_chunked(self, arrays: list[np.ndarray], batch: Shape, rows: int,
                     kind: Kind) -> list[np.ndarray]:
        """Evaluate blocks of `rows` along the first batch axis into preallocated results.

        The kernel writes each block's results into the results' slices, and its other
        values of the whole batch shape into one set of scratch arrays of one block, used
        again by every block: they stay in the cache and are never allocated again.
        """
        function, _, layout = self._specialised(arrays, batch, kind)
        work = [(rows,) + batch[1:] + core for root, core in layout if root < 0]
        made = call_arrays([batch + root.shape for root in self._roots] + work,
                           [True] * len(self._roots) + [False] * len(work), kind.dtype)
        results, spare = made[:len(self._roots)], iter(made[len(self._roots):])
        scratch = [next(spare) if root < 0 else None for root, _ in layout]
        for start in range(0, batch[0], rows):
            block = slice(start, start + rows)
            count = min(rows, batch[0] - start)
            parts = [array[block] if array.shape[0] != 1 else array for array in arrays]
            buffers = [results[root][block] if work is None else work[:count]
                       for (root, _), work in zip(layout, scratch)]
            own = {root: buffer for buffer, (root, _) in zip(buffers, layout) if root >= 0}
            for index, value in enumerate(function(len(batch), *parts, *buffers)):
                if value is not own.get(index):  # written by the kernel already
                    results[index][block] = value
        return results

    @staticmethod
    def _finish(value: Any, batch: Shape, shape: Shape, fresh: bool, kind: Kind) -> Any:
        """A result of shape (*batch, *shape) and the call's dtype: our own fresh array as it
        is, anything else copied."""
        if not batch and np.ndim(value) > len(shape):
            value = value.reshape(shape)  # drop the size-1 batch axis added for 0-d inputs
        if fresh and np.shape(value) == batch + shape and value.dtype == kind.dtype:
            return value[()] if not batch and not shape else value
        return finish(kind.xp.asarray(value), batch, shape, kind.dtype, kind.xp)


def _unpickle_kernel(state: Any, count: int, template: Any, errors: str, chunk: int,
                     backend: str = "numpy") -> Kernel:
    nodes = from_dag_records(state)
    return Kernel(nodes[:count], template, nodes[count:], errors, chunk, backend)


# Compiled array libraries import lazily through the builtins of the frame that calls them
# (CPython's PyImport_Import reads `__builtins__` from the calling frame's globals), so a kernel
# with no builtins at all breaks CuPy's ufuncs (KeyError: '__import__'). The kernel's only
# builtin is an `__import__` limited to the array libraries; the source never names it (it
# holds only generated names and literals).
_KERNEL_IMPORTABLE = frozenset({"numpy", "cupy", "cupyx", "cupy_backends", "fastrlock"})


def _kernel_import(name: str, globals: Any = None, locals: Any = None,
                   fromlist: Sequence[str] = (), level: int = 0) -> Any:
    """`__import__` for code called from a kernel: array library modules only."""
    if level != 0 or name.partition(".")[0] not in _KERNEL_IMPORTABLE:
        raise ImportError(f"code called from a symgrad kernel may import only its array "
                          f"library's modules, not {name!r}")
    return builtins.__import__(name, globals, locals, fromlist, level)


def _load(source: str, namespace: dict[str, Any]) -> tuple[Callable[..., Any], str]:
    """Compile `source` with one builtin (`_kernel_import`); register it so tracebacks show
    generated lines."""
    filename = f"<symgrad-kernel-{next(_COUNTER)}>"
    code = builtins.compile(source, filename, "exec")
    scope: dict[str, Any] = {"__builtins__": {"__import__": _kernel_import}, **namespace}
    exec(code, scope)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return scope["kernel"], filename


# -- output structures: an Expr, lists (nested) and dicts ------------------------------------------
def _flatten(outputs: Any, leaves: list[Expr]) -> tuple[Template, Any]:
    """A template with leaf positions, and a hashable key of the structure (Exprs included)."""
    if isinstance(outputs, (list, tuple)):
        pairs = [_flatten(item, leaves) for item in outputs]
        return [template for template, _ in pairs], ("list", tuple(key for _, key in pairs))
    if isinstance(outputs, Mapping):
        pairs = [(name, _flatten(item, leaves)) for name, item in outputs.items()]
        return ({name: template for name, (template, _) in pairs},
                ("dict", tuple((name, key) for name, (_, key) in pairs)))
    try:
        leaf = as_expression(outputs)  # an Expr, its text, a SymPy expression or a number
    except ArgumentError as error:
        raise ArgumentError("compile takes an Expr, or a list or dict of Exprs, "
                            f"not {type(outputs).__name__}") from error
    leaves.append(leaf)
    return len(leaves) - 1, leaf


def _rebuild(template: Any, results: list[Any]) -> Any:
    if isinstance(template, int):
        return results[template]
    if isinstance(template, list):
        return [_rebuild(item, results) for item in template]
    if isinstance(template, tuple):
        return tuple(_rebuild(item, results) for item in template)
    return {name: _rebuild(item, results) for name, item in template.items()}


def _with_gradients(template: Template, leaves: list[Expr], symbols: list[Expr]) -> Template:
    """The gradient template (a {name: position} dict per output); appends the partials."""
    if isinstance(template, list):
        return [_with_gradients(item, leaves, symbols) for item in template]
    if isinstance(template, dict):
        return {name: _with_gradients(item, leaves, symbols) for name, item in template.items()}
    output = leaves[template]
    if output.shape != ():
        raise ArgumentError(f"grad=True needs scalar outputs, not one of shape {output.shape}; "
                            "compile sg.jacobian(...) instead")
    # The rewrite sees the output too, so it keeps the partials' nodes shared with it.
    output, *partials = simplify_derivatives([output, *vjp([output], [constant(1)], symbols)])
    leaves[template] = output
    gradient = {}
    for symbol, partial in zip(symbols, partials):
        leaves.append(partial)
        gradient[symbol.name] = len(leaves) - 1
    return gradient


def _kernel_symbols(leaves: list[Expr]) -> list[Expr]:
    found = {node for node in topological(leaves) if node.op == "symbol"}
    by_name: dict[str, Expr] = {}
    for node in found:
        name = symbol_name(node)
        if by_name.setdefault(name, node) is not node:
            raise ArgumentError(f"two symbols are named {name!r}, with shapes "
                                f"{by_name[name].shape} and {node.shape}")
    return [by_name[name] for name in sorted(by_name)]


def _chunk_points(chunk: int | str | None) -> int:
    if chunk == "auto":
        return CHUNK_POINTS
    if chunk is None or chunk == 0:
        return 0
    if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 0:
        raise ArgumentError(f"chunk is 'auto', None or a number of points, not {chunk!r}")
    return chunk


def compile(outputs: Outputs, wrt: str | Sequence[str | Expr] | None = None, grad: bool = False,
            errors: str = "ignore", *, chunk: int | str | None = "auto",
            backend: str = "numpy") -> Kernel:
    """A numpy kernel computing `outputs` (an Expr, or a list or dict of them) over batches.

    With `grad=True` it returns `(value, {name: gradient})` (or the outputs' structure with a
    gradient dict per output), computed in one fused kernel: the symbolic gradient shares the
    DAG with the value, and every shared node is computed once. `wrt` (with `grad=True`)
    names the variables; all free symbols by default. `errors="raise"` raises `DomainError`
    where a value leaves an operation's domain; the default gives nan/inf silently.
    Batches larger than `chunk` points (default CHUNK_POINTS) are evaluated in blocks of that
    size; `chunk=None` never splits. Kernels are cached by the identity of their DAG.

    `backend` chooses how the kernel is built: "numpy" (the readable source of numpy
    statements), "numba" (one fused loop over points, compiled by numba) or "cupy" (one fused
    CuPy ElementwiseKernel, built on the first call). A graph a fused backend does not cover
    (core axes, an operation without a fused form) runs the numpy source; `kernel.fallback`
    and the first line of `kernel.source` say why.
    """
    if backend not in BACKENDS:
        raise ArgumentError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, "
                            f"not {backend!r}")
    if backend == "numba":
        require("numba", "numba", "pip install symgrad[numba]")
    if errors not in ERRORS:
        raise ArgumentError(f"errors must be 'ignore' or 'raise', not {errors!r}")
    if wrt is not None and not grad:
        raise ArgumentError("wrt only applies with grad=True")
    points = _chunk_points(chunk)
    leaves: list[Expr] = []
    template, structure = _flatten(outputs, leaves)
    if not leaves:
        raise ArgumentError("nothing to compile: give an Expr, or a non-empty list or dict")
    wrt_key = wrt if wrt is None or isinstance(wrt, (str, Expr)) else tuple(wrt)
    key = (structure, bool(grad), wrt_key, errors, points, backend)
    kernel = _CACHE.get(key)
    if kernel is None:
        kernel = _build(template, leaves, wrt, bool(grad), errors, points, backend)
        _CACHE[key] = kernel
    _RECENT[key] = kernel  # a few strong references, so a loop that recompiles hits the cache
    _RECENT.move_to_end(key)
    if len(_RECENT) > _RECENT_SIZE:
        _RECENT.popitem(last=False)
    return kernel


def _build(template: Template, leaves: list[Expr], wrt: Any, grad: bool, errors: str,
           points: int, backend: str) -> Kernel:
    if not grad:
        return Kernel(leaves, template, _kernel_symbols(leaves), errors, points, backend)
    differentiated = resolve_symbols(leaves, wrt)
    values = list(leaves)
    gradients = _with_gradients(template, leaves, differentiated)
    # A differentiated name the outputs do not use has partial 0 and needs no value.
    symbols = _kernel_symbols(values)
    return Kernel(leaves, (template, gradients), symbols, errors, points, backend)
