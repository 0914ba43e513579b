"""Value plus full gradient at N points, one thread: symgrad kernels against the alternatives.

    python benchmarks/bench_kernels.py [--points 1000000] [--repeats 7] [--no-chunk-study]
                                       [--case sin]

Columns, all measured in this one run: the symgrad kernel (default chunking, and unchunked;
"numba": `backend="numba"`, its fused loop, when numba is importable; NUMBA_NUM_THREADS=1),
SymPy `lambdify` of the per-variable gradient with and without `cse=True`, hand-written numpy
(shared subexpressions by hand), torch / JAX `jit(vmap(value_and_grad))` when importable, and
the memory floor ("floor"): one fused numba loop that reads every input array once and writes
every output (value and gradients) once, into fresh arrays as a kernel call must.
Times are ns per point (median of the repeats); "ratio" is kernel / hand-written numpy,
"ratio nj" the numba backend / JAX and "ratio nf" the numba backend / the floor; "build"
is sg.compile plus the first call on one point, with the kernel cache cleared. Results also
go to benchmarks/results/kernels.json.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                  "NUMBA_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402
import sympy  # noqa: E402

import symgrad as sg  # noqa: E402

compile_module = importlib.import_module("symgrad.numeric.kernel")  # sg.compile is the function

RNG = np.random.default_rng(0)
WIDTH, INPUTS = 16, 4
W = RNG.standard_normal((WIDTH, INPUTS)) * 0.5
B = RNG.standard_normal(WIDTH) * 0.1
V = RNG.standard_normal(WIDTH)
LOGISTIC_WEIGHTS = RNG.standard_normal(8) * 0.3


# -- the four functions, written once over a namespace of elementary functions ------------------
@dataclass(frozen=True)
class Library:
    """Elementary functions of symgrad or SymPy, so both build the same expression."""

    sin: Callable[[Any], Any]
    cos: Callable[[Any], Any]
    tanh: Callable[[Any], Any]
    log: Callable[[Any], Any]
    sigmoid: Callable[[Any], Any]


SYMGRAD = Library(sg.sin, sg.cos, sg.tanh, sg.log, sg.sigmoid)
SYMPY = Library(sympy.sin, sympy.cos, sympy.tanh, sympy.log, lambda z: 1 / (1 + sympy.exp(-z)))


def network(lib: Library, xs: list[Any]) -> Any:
    total = 0
    for j in range(WIDTH):
        z = sum(float(W[j, i]) * xs[i] for i in range(INPUTS)) + float(B[j])
        total = total + float(V[j]) * lib.tanh(z)
    return total


def rosenbrock(lib: Library, xs: list[Any]) -> Any:
    return sum(100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2 for i in range(len(xs) - 1))


def logistic(lib: Library, xs: list[Any]) -> Any:
    *features, y, = xs[:9]
    weights = xs[9:]
    s = lib.sigmoid(sum(w * x for w, x in zip(weights, features)))
    return -(y * lib.log(s) + (1 - y) * lib.log(1 - s))


def chain(lib: Library, xs: list[Any]) -> Any:
    value = xs[0]
    for depth in range(10):
        value = lib.sin(value) if depth % 2 else lib.cos(value)
    return lib.sin(value)


# -- hand-written numpy: value and gradient, shared parts by hand ---------------------------------
def hand_network(x: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    z = W @ np.stack(x) + B[:, None]
    h = np.tanh(z, out=z)
    value = V @ h
    np.multiply(h, h, out=h)
    np.subtract(1.0, h, out=h)
    h *= V[:, None]
    return value, list(W.T @ h)


def hand_rosenbrock(x: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    n = len(x)
    d = [x[i + 1] - x[i] * x[i] for i in range(n - 1)]
    e = [1.0 - x[i] for i in range(n - 1)]
    value = sum(100.0 * d[i] * d[i] + e[i] * e[i] for i in range(n - 1))
    grads = []
    for i in range(n):
        g = np.zeros_like(x[i])
        if i < n - 1:
            g -= 400.0 * x[i] * d[i] + 2.0 * e[i]
        if i > 0:
            g += 200.0 * d[i - 1]
        grads.append(g)
    return value, grads


def hand_logistic(x: list[np.ndarray], y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    z = sum(wi * xi for wi, xi in zip(w, x))
    s = 1.0 / (1.0 + np.exp(-z))
    value = -(y * np.log(s) + (1.0 - y) * np.log(1.0 - s))
    residual = s - y
    return value, [residual * xi for xi in x]


def hand_chain(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values = [x]
    for depth in range(10):
        values.append(np.sin(values[-1]) if depth % 2 else np.cos(values[-1]))
    value = np.sin(values[-1])
    grad = np.cos(values[-1])
    for depth in range(9, -1, -1):
        inner = values[depth]
        grad *= np.cos(inner) if depth % 2 else -np.sin(inner)
    return value, grad


# -- the cases -------------------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    build: Callable[[Library, list[Any]], Any]
    names: list[str]
    wrt: list[str]
    data: Callable[[int], dict[str, Any]]
    hand: Callable[[dict[str, Any]], Any]


def _uniform(names: list[str], points: int, low: float = -1.0, high: float = 1.0) -> dict[str, Any]:
    return {name: RNG.uniform(low, high, points) for name in names}


def _logistic_data(points: int) -> dict[str, Any]:
    data = _uniform([f"x{i}" for i in range(8)], points)
    data["y"] = (RNG.uniform(size=points) < 0.5).astype(np.float64)
    data.update({f"w{i}": float(LOGISTIC_WEIGHTS[i]) for i in range(8)})
    return data


NETWORK_NAMES = [f"x{i}" for i in range(INPUTS)]
ROSEN_NAMES = [f"x{i}" for i in range(8)]
LOGISTIC_NAMES = [f"x{i}" for i in range(8)] + ["y"] + [f"w{i}" for i in range(8)]
CASES = [
    Case("tanh network 4x16", network, NETWORK_NAMES, NETWORK_NAMES,
         lambda n: _uniform(NETWORK_NAMES, n), lambda d: hand_network([d[k] for k in NETWORK_NAMES])),
    Case("rosenbrock 8", rosenbrock, ROSEN_NAMES, ROSEN_NAMES,
         lambda n: _uniform(ROSEN_NAMES, n), lambda d: hand_rosenbrock([d[k] for k in ROSEN_NAMES])),
    Case("logistic loss 8", logistic, LOGISTIC_NAMES, [f"w{i}" for i in range(8)], _logistic_data,
         lambda d: hand_logistic([d[f"x{i}"] for i in range(8)], d["y"], LOGISTIC_WEIGHTS)),
    Case("sin(cos(...)) x10", chain, ["x"], ["x"],
         lambda n: _uniform(["x"], n), lambda d: hand_chain(d["x"])),
]


def median_times(functions: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median seconds per call of each function, timed round-robin so that load from other
    processes falls on every column alike."""
    for function in functions.values():
        function()  # warm up: page in, build caches
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def median_time(function: Callable[[], Any], repeats: int) -> float:
    return median_times({"f": function}, repeats)["f"]


def build_symgrad(case: Case, chunk: Any, backend: str = "numpy") -> tuple[sg.Kernel, float]:
    symbols = [sg.symbols(name) for name in case.names]
    expr = case.build(SYMGRAD, symbols)
    one_point = {name: value if np.ndim(value) == 0 else value[:1] for name, value in case.data(1).items()}
    compile_module._CACHE.clear()
    compile_module._RECENT.clear()
    start = time.perf_counter()
    kernel = sg.compile(expr, wrt=case.wrt, grad=True, chunk=chunk, backend=backend)
    kernel(**one_point)
    return kernel, time.perf_counter() - start


def build_lambdify(case: Case, cse: bool) -> tuple[Callable[..., Any], float]:
    symbols = sympy.symbols(case.names)
    start = time.perf_counter()
    expr = case.build(SYMPY, list(symbols))
    chosen = [symbols[case.names.index(name)] for name in case.wrt]
    outputs = [expr] + [sympy.diff(expr, symbol) for symbol in chosen]
    function = sympy.lambdify(symbols, outputs, "numpy", cse=cse)
    return function, time.perf_counter() - start


def check_agreement(kernel: sg.Kernel, data: dict[str, Any], case: Case, hand: Any) -> float:
    """The largest absolute difference between the kernel's and hand numpy's results."""
    value, grads = kernel(**data)
    hand_value, hand_grads = hand
    errors = [np.max(np.abs(value - hand_value))]
    errors += [np.max(np.abs(grads[name] - hand_grad)) for name, hand_grad in zip(case.wrt, hand_grads)]
    return float(max(errors))


def optional_columns(case: Case, data: dict[str, Any], repeats: int, points: int) -> dict[str, float | None]:
    """torch and JAX, when importable (None otherwise)."""
    columns: dict[str, float | None] = {"torch": None, "jax": None}
    try:
        import torch  # noqa: F401
        columns["torch"] = _time_torch(case, data, repeats) / points * 1e9
    except ImportError:
        pass
    try:
        import jax  # noqa: F401
        columns["jax"] = _time_jax(case, data, repeats) / points * 1e9
    except ImportError:
        pass
    return columns


def _time_torch(case: Case, data: dict[str, Any], repeats: int) -> float:
    import torch
    torch.set_num_threads(1)
    lib = Library(torch.sin, torch.cos, torch.tanh, torch.log, torch.sigmoid)
    def run() -> Any:
        tensors = {name: torch.tensor(value, dtype=torch.float64, requires_grad=name in case.wrt)
                   for name, value in data.items()}
        value = case.build(lib, [tensors[name] for name in case.names])
        return torch.autograd.grad(value.sum(), [tensors[name] for name in case.wrt])
    return median_time(run, repeats)


def _time_jax(case: Case, data: dict[str, Any], repeats: int) -> float:
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    lib = Library(jnp.sin, jnp.cos, jnp.tanh, jnp.log, jax.nn.sigmoid)
    wrt = [case.names.index(name) for name in case.wrt]
    def scalar(*values: Any) -> Any:
        return case.build(lib, list(values))
    function = jax.jit(jax.vmap(jax.value_and_grad(scalar, argnums=wrt),
                                in_axes=[0 if np.ndim(data[name]) else None for name in case.names]))
    arguments = [jnp.asarray(data[name]) for name in case.names]
    return median_time(lambda: jax.block_until_ready(function(*arguments)), repeats)


def memory_floor(case: Case, data: dict[str, Any]) -> Callable[[], Any] | None:
    """A call that reads each batched input once and writes 1 + len(wrt) fresh outputs once
    (numba's loop, compiled here), or None without numba."""
    if importlib.util.find_spec("numba") is None:
        return None
    import numba

    @numba.njit(fastmath=False)
    def copy_loop(points: int, inputs: Any, outputs: Any) -> None:
        for i in range(points):
            total = 0.0
            for array in inputs:
                total += array[i]
            for array in outputs:
                array[i] = total

    inputs = tuple(value for value in data.values() if np.ndim(value))
    points = len(inputs[0])

    def run() -> None:
        outputs = tuple(np.empty(points) for _ in range(1 + len(case.wrt)))
        copy_loop(points, inputs, outputs)
    return run


def run_case(case: Case, points: int, repeats: int) -> dict[str, Any]:
    data = case.data(points)
    kernel, build = build_symgrad(case, "auto")
    unchunked, _ = build_symgrad(case, None)
    plain, plain_build = build_lambdify(case, cse=False)
    shared, shared_build = build_lambdify(case, cse=True)
    arguments = [data[name] for name in case.names]
    hand_result = case.hand(data)
    columns = {
        "symgrad": lambda: kernel(**data), "symgrad_unchunked": lambda: unchunked(**data),
        "lambdify": lambda: plain(*arguments), "lambdify_cse": lambda: shared(*arguments),
        "hand_numpy": lambda: case.hand(data)}
    fused, fused_build = None, None
    if importlib.util.find_spec("numba") is not None:
        fused, fused_build = build_symgrad(case, None, backend="numba")  # first call compiles
        columns["numba"] = lambda: fused(**data)
    floor = memory_floor(case, data)
    if floor is not None:
        columns["floor"] = floor
    timed = median_times(columns, repeats)
    row: dict[str, Any] = {
        "case": case.name, "points": points, "statements": kernel.source.count("\n") - 2,
        **timed, "build_ms": build * 1e3, "lambdify_build_ms": plain_build * 1e3,
        "lambdify_cse_build_ms": shared_build * 1e3,
        "max_abs_difference_vs_hand": check_agreement(kernel, data, case, hand_result),
        "numba": timed.get("numba"), "numba_build_s": fused_build, "floor": timed.get("floor"),
        "numba_max_abs_difference_vs_hand":
            None if fused is None else check_agreement(fused, data, case, hand_result),
    }
    for key in ("symgrad", "symgrad_unchunked", "lambdify", "lambdify_cse", "hand_numpy", "numba",
                "floor"):
        row[key] = None if row[key] is None else row[key] / points * 1e9
    row.update(optional_columns(case, data, repeats, points))
    row["numba_vs_jax"] = (None if row["numba"] is None or row["jax"] is None
                           else row["numba"] / row["jax"])
    row["numba_vs_floor"] = (None if row["numba"] is None or row["floor"] is None
                             else row["numba"] / row["floor"])
    row["ratio"] = row["symgrad"] / row["hand_numpy"]
    row["ratio_unchunked"] = row["symgrad_unchunked"] / row["hand_numpy"]
    return row


COLUMNS = [("symgrad", "symgrad"), ("symgrad_unchunked", "unchunked"), ("numba", "numba"),
           ("lambdify", "lambdify"), ("lambdify_cse", "lamb cse"), ("hand_numpy", "hand np"),
           ("torch", "torch"), ("jax", "jax"), ("ratio", "ratio"), ("ratio_unchunked", "ratio nc"),
           ("floor", "floor"), ("numba_vs_jax", "ratio nj"), ("numba_vs_floor", "ratio nf"),
           ("build_ms", "build ms")]


def print_table(rows: list[dict[str, Any]]) -> None:
    """One row per case: ns per point, ratios to hand numpy, build time in ms."""
    print(f"{'case':<20}" + "".join(f"{title:>10}" for _, title in COLUMNS))
    for row in rows:
        cells = ["n/a" if row[key] is None else f"{row[key]:.2f}" if key.startswith("ratio")
                 else f"{row[key]:.1f}" for key, _ in COLUMNS]
        print(f"{row['case']:<20}" + "".join(f"{cell:>10}" for cell in cells))


CHUNK_SIZES = [2048, 4096, 8192, 16384, 32768, 131072, None]


def chunk_study(cases: list[Case], points: int, repeats: int) -> list[dict[str, Any]]:
    """ns per point of the symgrad kernel at each chunk size (None: one call for the batch)."""
    rows = []
    for case in cases:
        data = case.data(points)
        kernels = {str(size): build_symgrad(case, size)[0] for size in CHUNK_SIZES}
        timed = median_times({size: (lambda k=kernel: k(**data)) for size, kernel in kernels.items()},
                             repeats)
        rows.append({"case": case.name, **{size: t / points * 1e9 for size, t in timed.items()}})
    return rows


def print_chunk_table(rows: list[dict[str, Any]]) -> None:
    print("\nsymgrad kernel, ns per point by chunk size (points per block; None = no chunking)")
    print(f"{'case':<20}" + "".join(f"{str(size):>9}" for size in CHUNK_SIZES))
    for row in rows:
        print(f"{row['case']:<20}" + "".join(f"{row[str(size)]:>9.1f}" for size in CHUNK_SIZES))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10**6)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-chunk-study", action="store_true", help="skip the chunk size table")
    parser.add_argument("--case", default="", help="only the rows whose name contains this text")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "kernels.json")
    options = parser.parse_args()
    cases = [case for case in CASES if options.case in case.name]
    rows = [run_case(case, options.points, options.repeats) for case in cases]
    print(f"ns per point, N = {options.points}, one thread, median of {options.repeats}; "
          f"chunk = {compile_module.CHUNK_POINTS} points")
    print_table(rows)
    print("ratio = symgrad / hand numpy; ratio nc = unchunked / hand numpy; "
          "ratio nj = numba backend / JAX; ratio nf = numba backend / memory floor")
    chunks = [] if options.no_chunk_study else chunk_study(cases, options.points, options.repeats)
    if chunks:
        print_chunk_table(chunks)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    meta = {"numpy": np.__version__, "sympy": sympy.__version__, "python": platform.python_version(),
            "machine": platform.processor() or platform.machine(), "chunk_points": compile_module.CHUNK_POINTS}
    options.output.write_text(json.dumps({"meta": meta, "rows": rows, "chunk_sizes": chunks}, indent=2) + "\n")
    print(f"written to {options.output}")


if __name__ == "__main__":
    main()
