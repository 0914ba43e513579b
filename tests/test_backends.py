"""`sg.compile(..., backend=...)` (issue 15): the fused numba loop and the CuPy kernel's CUDA
source, generated from the DAG walk of the numpy source; the numpy kernel is the oracle."""

from __future__ import annotations

import importlib.util
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import symgrad as sg

from optional import need

x, w, y = sg.symbols("x w y")
LOSS = sg.log(1 + sg.exp(-y * (w * x))) + sg.where(x > 0, sg.sqrt(x), 0) + sg.sigmoid(x) ** 2
XS = np.linspace(-1.5, 2.0, 9)

# Every name the generated numba module and CUDA body may contain.
NUMBA_WORDS = {"import", "math", "numba", "numpy", "as", "np", "njit", "fastmath", "False",
               "cache", "True", "error_model", "def", "kernel", "for", "in", "range", "n", "i",
               "if", "else", "or", "abs"}
CUDA_WORDS = {"double", "T", "cupy", "ElementwiseKernel", "in_params", "out_params", "name",
              "symgrad_fused", "__longlong_as_double"}
GENERATED = re.compile(r"[asot]\d+")
IDENTIFIER = re.compile(r"\b[A-Za-z_]\w*")


def words(source: str) -> set[str]:
    """Identifiers of `source` that are not generated names (a0, s1, t2, o3)."""
    return {word for word in IDENTIFIER.findall(source) if not GENERATED.fullmatch(word)}


def math_words(dialect: str) -> set[str]:
    """The function names the dialect's templates use (math.sin, sin, ...), and the words of
    its fixed helper functions' text (numba's exp, log and tanh written as arithmetic)."""
    from symgrad.numeric.emit_scalar import CUDA, PYTHON
    chosen = PYTHON if dialect == "numba" else CUDA
    texts = [*chosen.templates.values(), *chosen.helpers.values()]
    return {word for text in texts for word in IDENTIFIER.findall(text)}


def test_an_unknown_backend_is_an_argument_error():
    with pytest.raises(sg.ArgumentError, match="backend must be one of 'numpy', 'numba', 'cupy'"):
        sg.compile(LOSS, backend="jax")


def test_a_missing_numba_is_a_clear_symgrad_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba now raises ImportError
    with pytest.raises(sg.ArgumentError, match=r"needs numba.*pip install symgrad\[numba\]"):
        sg.compile(sg.cos(x) * 3, backend="numba")


def test_the_cuda_source_exists_without_cupy_and_a_call_says_what_is_missing():
    kernel = sg.compile(LOSS, grad=True, backend="cupy")
    assert kernel.fallback is None and "double t0 = " in kernel.source
    assert "out_params='T o0, T o1, T o2, T o3'" in kernel.source
    assert words(kernel.source) <= CUDA_WORDS | math_words("cuda")
    if importlib.util.find_spec("cupy") is None:
        with pytest.raises(sg.ArgumentError, match="needs cupy"):
            kernel(x=XS, w=0.5, y=1.0)


def test_fused_sources_hold_no_user_text_and_are_the_same_in_every_process():
    hostile = sg.symbols("__import__ os exec")
    expr = sg.exp(hostile[0]) * sg.sin(hostile[1]) / (1 + hostile[2] ** 2)
    program = ("import symgrad as sg\n"
               "a, b, c = sg.symbols('__import__ os exec')\n"
               "e = sg.exp(a) * sg.sin(b) / (1 + c ** 2)\n"
               "import sys; sys.stdout.write(sg.compile(e, grad=True, backend=sys.argv[1]).source)\n")
    for backend, allowed in (("cupy", CUDA_WORDS | math_words("cuda")),
                             ("numba", NUMBA_WORDS | math_words("numba"))):
        if backend == "numba":
            need("numba")
        source = sg.compile(expr, grad=True, backend=backend).source
        assert words(source) <= allowed, words(source) - allowed
        assert "__import__" not in source and "os" not in words(source)
        done = subprocess.run([sys.executable, "-c", program, backend], capture_output=True,
                              text=True, check=True, env={"PYTHONHASHSEED": "123"})
        assert done.stdout == source


class TestNumba:
    @pytest.fixture(autouse=True)
    def _numba(self) -> None:
        need("numba")

    def test_the_fused_loop_matches_the_numpy_kernel_and_keeps_float32(self):
        fused = sg.compile(LOSS, grad=True, backend="numba")
        assert fused.fallback is None and fused.backend == "numba"
        assert "@numba.njit(fastmath=False, cache=True" in fused.source
        assert "    for i in range(n):" in fused.source
        value, gradient = fused(x=XS, w=0.5, y=1.0)
        expected_value, expected_gradient = sg.compile(LOSS, grad=True)(x=XS, w=0.5, y=1.0)
        np.testing.assert_allclose(value, expected_value, rtol=1e-12)
        for name in ("w", "x", "y"):
            np.testing.assert_allclose(gradient[name], expected_gradient[name], rtol=1e-12)
        single, single_gradient = fused(x=XS.astype(np.float32), w=0.5, y=1.0)
        assert single.dtype == single_gradient["x"].dtype == np.float32
        np.testing.assert_allclose(single, expected_value, rtol=1e-5)

    def test_batch_shapes_broadcast_and_scalars_stay_scalars(self):
        fused = sg.compile(LOSS, grad=True, backend="numba")
        plain = sg.compile(LOSS, grad=True)
        arguments = {"x": XS.reshape(9, 1), "w": np.linspace(0.1, 0.5, 4), "y": 1.0}
        value, gradient = fused(**arguments)
        expected_value, expected_gradient = plain(**arguments)
        assert value.shape == gradient["y"].shape == (9, 4)
        np.testing.assert_allclose(value, expected_value, rtol=1e-12)
        np.testing.assert_allclose(gradient["w"], expected_gradient["w"], rtol=1e-12)
        one, one_gradient = fused(x=2.0, w=0.5, y=1.0)
        assert np.ndim(one) == 0 and one == pytest.approx(float(plain(x=2.0, w=0.5, y=1.0)[0]),
                                                           rel=1e-12)

    def test_errors_raise_and_pickling_keep_the_backend(self):
        fused = sg.compile(sg.log(x) * w, errors="raise", backend="numba")
        with pytest.raises(sg.DomainError, match="log is not finite at"):
            fused(x=np.array([1.0, -1.0]), w=2.0)
        loaded = pickle.loads(pickle.dumps(fused))
        assert loaded.backend == "numba" and loaded.source == fused.source
        np.testing.assert_allclose(loaded(x=np.array([1.0, 2.0]), w=2.0), 2 * np.log([1.0, 2.0]))

    def test_core_axes_unroll_into_the_loop_and_reductions_and_matmul_match(self):
        vector = sg.symbols("v", shape=(3,))
        matrix = sg.symbols("M", shape=(2, 3))
        expr = sg.sum(sg.tanh(matrix @ vector) * x) + sg.norm(vector) * sg.mean(vector)
        fused = sg.compile(expr, grad=True, backend="numba")
        assert fused.fallback is None and "s1_2 = a1[i * 3 + 2]" in fused.source
        rng = np.random.default_rng(3)
        arguments = {"M": rng.standard_normal((2, 3)), "v": rng.standard_normal((6, 3)),
                     "x": rng.standard_normal(6)}
        value, gradient = fused(**arguments)
        expected_value, expected_gradient = sg.compile(expr, grad=True)(**arguments)
        assert gradient["M"].shape == (6, 2, 3) and gradient["v"].shape == (6, 3)
        np.testing.assert_allclose(value, expected_value, rtol=1e-12)
        for name in ("M", "v", "x"):
            np.testing.assert_allclose(gradient[name], expected_gradient[name], rtol=1e-12,
                                       atol=1e-14)

    def test_large_core_axes_fall_back_to_the_numpy_source_and_say_so(self):
        vector = sg.symbols("big", shape=(100,))
        fused = sg.compile(sg.sum(vector * x), grad=True, backend="numba")
        assert fused.fallback is not None and "unrolls at most 64" in fused.fallback
        assert fused.source.startswith("# backend='numba' runs this numpy source instead")
        points = np.arange(400.0).reshape(4, 100)
        value, gradient = fused(big=points, x=2.0)
        np.testing.assert_allclose(value, 2 * points.sum(axis=1))
        np.testing.assert_allclose(gradient["big"], np.full((4, 100), 2.0))


def test_the_gpu_benchmark_exits_with_a_clear_message_without_a_gpu():
    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("CuPy is installed: the benchmark would run")
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_gpu.py"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert "needs CuPy and a CUDA GPU: CuPy is not installed" in done.stderr


WIDE = np.random.default_rng(5).uniform(-1, 1, 200_000)
ARITHMETIC_FUNCTIONS = [  # function, points, ulps allowed, special points
    ("tanh", np.concatenate([25 * WIDE, WIDE, 10.0 ** (-150 * WIDE - 150)]), 3.0,
     [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -1e-310, 19.5, -700.0]),
    ("exp", np.concatenate([708 * WIDE, 2 * WIDE]), 1.0,
     [0.0, -0.0, np.inf, -np.inf, np.nan, 709.79, -745.2, -746.0, 1e-300]),
    ("log", np.concatenate([10.0 ** (308 * WIDE), 1 + 0.5 * WIDE]), 1.0,
     [0.0, -0.0, -1.0, np.inf, -np.inf, np.nan, 5e-324, 1e-310, 1.0,
      1.7976931348623157e308]),
]


@pytest.mark.parametrize("name, points, allowed, special", ARITHMETIC_FUNCTIONS)
def test_numba_exp_log_tanh_are_plain_arithmetic_within_ulps_of_long_double(
        name: str, points: np.ndarray, allowed: float, special: list[float]):
    need("numba")
    fused = sg.compile(getattr(sg, name)(x), backend="numba")
    assert f"math.{name}" not in fused.source and f"def {name}(s0):" in fused.source
    exact = getattr(np, name)(points.astype(np.longdouble))
    ulps = np.abs((fused(x=points).astype(np.longdouble) - exact)
                  / np.spacing(np.abs(exact.astype(np.float64))))
    assert float(ulps.max()) <= allowed
    special_points = np.array(special)
    with np.errstate(all="ignore"):
        expected = getattr(np, name)(special_points)
    got = fused(x=special_points)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


def run_cuda_source_as_c(kernel: sg.Kernel, points: int, arrays: list[np.ndarray],
                         steps: list[int], outputs: list[np.ndarray], folder: Path) -> None:
    """The CUDA body of a cupy-backend kernel compiled by the C compiler, one loop iteration a
    point (CuPy runs one thread a point): the text's arithmetic checked without a GPU."""
    body = "".join(line + "\n" for line in kernel.source.splitlines() if not line.startswith("//"))
    run_cuda_body_as_c(body, "raw T" in kernel.source, points, arrays, steps, outputs, folder)


def run_cuda_body_as_c(body: str, raw: bool, points: int, arrays: list[np.ndarray],
                       steps: list[int], outputs: list[np.ndarray], folder: Path) -> None:
    import ctypes
    import shutil
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI is set but there is no C compiler (cc) to check the CUDA source")
        pytest.skip("no C compiler (cc) to check the CUDA source")
    parameters = [f"const double *{'a' if raw else 'in'}{k}" for k in range(len(arrays))]
    parameters += [f"long long p{k}" for k in range(len(steps))]
    parameters += [f"double *{'o' if raw else 'out'}{k}" for k in range(len(outputs))]
    reads = "" if raw else "".join(f"double a{k} = in{k}[i];" for k in range(len(arrays)))
    writes = "" if raw else "".join(f"out{k}[i] = o{k};" for k in range(len(outputs)))
    declared = "" if raw else "".join(f"double o{k};" for k in range(len(outputs)))
    (folder / "fused.c").write_text(
        "#include <math.h>\n#include <string.h>\n"
        "static double __longlong_as_double(long long v) { double d; memcpy(&d, &v, 8); return d; }\n"
        f"void fused(long long n, {', '.join(parameters)}) {{\n"
        f"for (long long i = 0; i < n; ++i) {{ {reads}{declared}\n{body}{writes} }}\n}}\n")
    subprocess.run([compiler, "-O1", "-shared", "-fPIC", "-o", str(folder / "fused.so"),
                    str(folder / "fused.c"), "-lm"], check=True, capture_output=True)
    library = ctypes.CDLL(str(folder / "fused.so"))
    pointer = ctypes.POINTER(ctypes.c_double)
    library.fused(ctypes.c_longlong(points),
                  *[array.ctypes.data_as(pointer) for array in arrays],
                  *[ctypes.c_longlong(step) for step in steps],
                  *[output.ctypes.data_as(pointer) for output in outputs])


def test_the_cuda_source_of_scalars_per_point_computes_the_numpy_kernels_numbers(tmp_path: Path):
    kernel = sg.compile(LOSS + sg.tanh(w * x), grad=True, backend="cupy")
    points = {"w": np.linspace(0.1, 0.9, 9), "x": XS, "y": np.full(9, 1.0)}
    outputs = [np.empty(9) for _ in range(4)]
    run_cuda_source_as_c(kernel, 9, [points[name] for name in kernel.args], [], outputs, tmp_path)
    value, gradient = sg.compile(LOSS + sg.tanh(w * x), grad=True)(**points)
    for got, expected in zip(outputs, [value] + [gradient[name] for name in kernel.args]):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_the_cuda_source_fuses_reductions_and_matmul_over_core_axes(tmp_path: Path):
    vector = sg.symbols("v", shape=(3,))
    matrix = sg.symbols("M", shape=(2, 3))
    expr = sg.sum(sg.tanh(matrix @ vector) * x) + sg.norm(vector) * sg.mean(vector)
    kernel = sg.compile(expr, grad=True, backend="cupy")
    assert kernel.fallback is None
    assert "in_params='raw T a0, raw T a1, raw T a2, int64 p0, int64 p1, int64 p2'" in kernel.source
    assert "double s1_2 = a1[i * p1 + 2];" in kernel.source and "o2[i * 3 + 2] = " in kernel.source
    steps = {f"p{k}" for k in range(3)}
    elements = {word for word in words(kernel.source) if re.fullmatch(r"[st]\d+_\d+", word)}
    assert words(kernel.source) - elements <= CUDA_WORDS | math_words("cuda") | {"raw", "int64", "i"} | steps
    rng = np.random.default_rng(3)
    arguments = {"M": rng.standard_normal((2, 3)), "v": rng.standard_normal((6, 3)),
                 "x": rng.standard_normal(6)}
    outputs = [np.empty(6), np.empty(6 * 6), np.empty(6 * 3), np.empty(6)]
    # M is one matrix for every point (step 0); v and x have a value per point
    run_cuda_source_as_c(kernel, 6, [arguments["M"].ravel(), arguments["v"].ravel(), arguments["x"]],
                         [0, 3, 1], outputs, tmp_path)
    value, gradient = sg.compile(expr, grad=True)(**arguments)
    np.testing.assert_allclose(outputs[0], value, rtol=1e-12)
    np.testing.assert_allclose(outputs[1].reshape(6, 2, 3), gradient["M"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(outputs[2].reshape(6, 3), gradient["v"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(outputs[3], gradient["x"], rtol=1e-12)


class CupyOnTheCpu:
    """Just enough of CuPy for the cupy backend's calls, its ElementwiseKernel run by the C
    compiler: the backend's flattening, steps and shapes checked end to end without a GPU."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.asarray, self.empty, self.asnumpy = np.asarray, np.empty, np.asarray
        self.broadcast_to, self.ascontiguousarray = np.broadcast_to, np.ascontiguousarray

    def ElementwiseKernel(self, inputs: str, outputs: str, body: str, name: str) -> object:
        folder, count, results = self.folder, inputs.count("raw T"), outputs.count("raw T")

        def call(*arguments: np.ndarray, size: int) -> None:
            arrays = [np.ascontiguousarray(array, dtype=np.float64) for array in arguments[:count]]
            run_cuda_body_as_c(body, True, size, arrays, list(arguments[count:2 * count]),
                               list(arguments[2 * count:]), folder)
        assert inputs.count("int64 p") == count and results
        return call


def test_the_cupy_backend_runs_core_axes_with_steps_and_shapes_like_the_numpy_kernel(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "cupy", CupyOnTheCpu(tmp_path))
    vector = sg.symbols("v", shape=(3,))
    matrix = sg.symbols("M", shape=(2, 3))
    expr = sg.sum(sg.tanh(matrix @ vector) * x) + sg.norm(vector) * sg.mean(vector)
    fused = sg.compile(expr, grad=True, backend="cupy")
    rng = np.random.default_rng(4)
    # M one matrix for all points, v per point on a (2, 5) batch, x broadcast along one axis
    arguments = {"M": rng.standard_normal((2, 3)), "v": rng.standard_normal((2, 5, 3)),
                 "x": rng.standard_normal((2, 1))}
    value, gradient = fused(**arguments)
    expected_value, expected_gradient = sg.compile(expr, grad=True)(**arguments)
    assert value.shape == (2, 5) and gradient["M"].shape == (2, 5, 2, 3)
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    for name in ("M", "v", "x"):
        assert gradient[name].shape == expected_gradient[name].shape
        np.testing.assert_allclose(gradient[name], expected_gradient[name], rtol=1e-12,
                                   atol=1e-14)


def _remainder_grid() -> tuple[np.ndarray, np.ndarray]:
    values = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 5.0, -5.0, 7.3, -7.3, 1e30, np.inf,
                       -np.inf, np.nan, 5e-324])
    first, second = np.meshgrid(values, values)
    return first.ravel(), second.ravel()


def assert_same_bits(got: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got[~np.isnan(got)]), np.signbit(expected[~np.isnan(expected)]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numba_remainder_and_fmod_keep_numpys_signs_and_zeros(dtype: Any):
    need("numba")
    first, second = (part.astype(dtype) for part in _remainder_grid())
    fused = sg.compile([sg.remainder(x, y), sg.fmod(x, y)], backend="numba")
    assert fused.fallback is None
    with np.errstate(all="ignore"):
        expected = [np.remainder(first, second), np.fmod(first, second)]
    for got, wanted in zip(fused(x=first, y=second), expected):
        assert_same_bits(got, wanted)  # remainder(0.0, -2.5) is -0.0, as numpy's


def test_the_cuda_source_of_remainder_keeps_numpys_signs_and_zeros(tmp_path: Path):
    first, second = _remainder_grid()
    kernel = sg.compile(sg.remainder(x, y), backend="cupy")
    output = np.empty(first.size)
    run_cuda_source_as_c(kernel, first.size, [first, second], [], [output], tmp_path)
    with np.errstate(all="ignore"):
        assert_same_bits(output, np.remainder(first, second))
