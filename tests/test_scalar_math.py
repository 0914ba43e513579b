"""sin and cos of the fused numba loop (numeric/scalar_math.py, issue 15): arithmetic without
calls (Cody-Waite reduction by pi/2, fdlibm's kernels) below WIDE_ARGUMENT, the C library in a
second pass for the points past it. Oracles: long double (the C library's sinl/cosl),
mpmath at 200 bits, and numpy."""

from __future__ import annotations

import re
import subprocess
import sys

import mpmath
import numpy as np
import pytest

import symgrad as sg
from symgrad.numeric.scalar_math import WIDE_ARGUMENT

from optional import need

x, w = sg.symbols("x w")
RNG = np.random.default_rng(11)
UNIT = RNG.uniform(-1.0, 1.0, 200_000)
SAMPLES = {  # wide samples of |x| below WIDE_ARGUMENT
    "quarter turn": np.pi / 4 * UNIT, "ten": 10.0 * UNIT, "thousand": 1e3 * UNIT,
    "below the threshold": 0.999 * WIDE_ARGUMENT * UNIT,
    "every scale": np.sign(UNIT) * 10.0 ** (-300.0 + 305.99 * np.abs(UNIT)),
}


@pytest.fixture(autouse=True)
def _numba() -> None:
    need("numba")


def fused(name: str) -> sg.Kernel:
    return sg.compile(getattr(sg, name)(x), backend="numba")


def ulps(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|got - exact| in units of the last place of the double nearest the exact value."""
    nearest = np.abs(exact.astype(np.float64))
    return np.abs((got.astype(np.longdouble) - exact) / np.spacing(nearest).astype(np.longdouble))


@pytest.mark.parametrize("name", ["sin", "cos"])
@pytest.mark.parametrize("sample", list(SAMPLES))
def test_sin_and_cos_are_within_one_ulp_of_long_double(name: str, sample: str):
    points = SAMPLES[sample]
    kernel = fused(name)
    assert f"def {name}(s0):" in kernel.source
    exact = getattr(np, name)(points.astype(np.longdouble))
    assert float(ulps(kernel(x=points), exact).max()) <= 1.0


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_near_multiples_of_half_pi_keep_their_relative_accuracy(name: str):
    # x the double nearest k pi/2: the reduction cancels all but the last bits of x
    turns = np.concatenate([np.arange(1, 400), RNG.integers(400, int(WIDE_ARGUMENT / 1.6), 600)])
    points = np.array([float(k * mpmath.pi / 2) for k in turns.tolist()])
    points = np.concatenate([points, -points, np.nextafter(points, 0.0)])
    with mpmath.workdps(60):
        exact = np.array([float(getattr(mpmath, name)(mpmath.mpf(float(p)))) for p in points])
    got = fused(name)(x=points)
    assert float(np.max(np.abs(got - exact) / np.spacing(np.abs(exact)))) <= 1.0


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_special_values_are_numpys_with_their_signs(name: str):
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, -1e-310, 1e-8,
                        -2.0**-27, np.pi, -np.pi / 2, 1.5707963267948966])
    with np.errstate(all="ignore"):
        expected = getattr(np, name)(special)
    got = fused(name)(x=special)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got[~np.isnan(got)]),
                                  np.signbit(expected[~np.isnan(expected)]))


LARGE = np.array([1e22, -1e22, 1e300, 2.0**1000, -(2.0**1000), 1.7976931348623157e308,
                  WIDE_ARGUMENT * 1.0000001, 3 * WIDE_ARGUMENT, 2.0**52 + 1, 1e15, -7.5e17])


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_large_arguments_go_to_the_second_pass_and_match_long_double(name: str):
    kernel = fused(name)
    exact = getattr(np, name)(LARGE.astype(np.longdouble))
    assert float(ulps(kernel(x=LARGE), exact).max()) <= 1.0
    small = SAMPLES["ten"][:1000]
    mixed = np.concatenate([small, LARGE])
    got = kernel(x=mixed)
    # the small points keep the loop's numbers: a point's value does not depend on its batch
    np.testing.assert_array_equal(got[:1000], kernel(x=small))
    assert float(ulps(got[1000:], exact).max()) <= 1.0


def test_a_large_argument_made_inside_the_loop_is_recomputed_with_its_gradient():
    kernel = sg.compile(sg.sin(w * x) + sg.cos(x), grad=True, backend="numba")
    points = np.array([0.3, 2.0e9, -4.1e11, 1.25])
    for scale in (1e7, np.full(4, 1e7)):  # one value for every point, and one per point
        value, gradient = kernel(x=points, w=scale)
        product = (np.asarray(scale) * points).astype(np.longdouble)
        exact = np.sin(product) + np.cos(points.astype(np.longdouble))
        # (each term within an ulp: the sum's error is absolute, the terms at most 1)
        np.testing.assert_allclose(value, exact.astype(np.float64), rtol=0, atol=1e-15)
        exact_x = scale * np.cos(product) - np.sin(points.astype(np.longdouble))
        np.testing.assert_allclose(gradient["x"], exact_x.astype(np.float64), rtol=0,
                                   atol=1e7 * 1e-15)


def test_wide_arguments_of_unrolled_core_axes_are_recomputed_element_by_element():
    vector = sg.symbols("v", shape=(3,))
    expr = sg.sum(sg.sin(vector * x)) + sg.cos(sg.sum(vector))
    kernel = sg.compile(expr, grad=True, backend="numba")
    assert kernel.fallback is None and re.search(r"abs\(t\d+_1\) > ", kernel.source)
    arguments = {"v": np.array([[1.0, 2e9, 3.0], [0.5, 0.25, -1e30], [0.1, 0.2, 0.3]]),
                 "x": np.array([1.0, 3.0, -2.0])}
    value, gradient = kernel(**arguments)
    expected_value, expected_gradient = sg.compile(expr, grad=True)(**arguments)
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    for name in ("v", "x"):
        np.testing.assert_allclose(gradient[name], expected_gradient[name], rtol=1e-12)


def chain(depth: int) -> sg.Expr:
    value = x
    for level in range(depth):
        value = sg.sin(value) if level % 2 else sg.cos(value)
    return sg.sin(value)


CHAINS = [chain(10), sg.sin(x) * sg.cos(w) + sg.cos(sg.sin(x * w)),
          sg.sec(x) + sg.csc(w) + sg.cot(x * w) + sg.tan(x), sg.sin(3.0 * x) ** 2 / (2 + sg.cos(w))]


@pytest.mark.parametrize("expr", CHAINS, ids=["chain", "products", "reciprocals", "powers"])
def test_the_fused_loop_of_sin_cos_chains_equals_the_numpy_kernel(expr: sg.Expr):
    kernel = sg.compile(expr, grad=True, backend="numba")
    assert kernel.fallback is None
    points = {"x": RNG.uniform(-4.0, 4.0, 5000), "w": RNG.uniform(0.2, 3.0, 5000)}
    points = {name: value for name, value in points.items() if name in expr.symbols}
    value, gradient = kernel(**points)
    expected_value, expected_gradient = sg.compile(expr, grad=True)(**points)
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    for name in gradient:
        np.testing.assert_allclose(gradient[name], expected_gradient[name], rtol=1e-12)


def test_float32_points_give_float32_results_of_the_chain():
    points = RNG.uniform(-4.0, 4.0, 5000).astype(np.float32)
    value, gradient = sg.compile(chain(10), grad=True, backend="numba")(x=points)
    assert value.dtype == gradient["x"].dtype == np.float32
    expected_value, expected_gradient = sg.compile(chain(10), grad=True)(
        x=points.astype(np.float64))
    np.testing.assert_allclose(value, expected_value, rtol=1e-6)
    np.testing.assert_allclose(gradient["x"], expected_gradient["x"], rtol=1e-6)


def first_loop(source: str) -> str:
    """The text of the kernel's first loop (up to the second pass)."""
    kernel_text = source[source.index("def kernel("):]
    return kernel_text.split("    if t")[0]


def test_the_first_loop_calls_no_library_function_and_counts_wide_arguments():
    source = sg.compile(chain(10), grad=True, backend="numba").source
    loop = first_loop(source)
    assert "math." not in loop and "cos(s0)" in loop
    assert re.search(rf"t\d+ = t\d+ \+ \(1 if abs\(s0\) > {WIDE_ARGUMENT!r} else 0\)", loop)
    second = source[source.index(loop) + len(loop):]
    assert "math.sin(" in second and "math.cos(" in second
    # an expression without sin or cos has one loop, as before
    plain = sg.compile(sg.exp(x) * x, grad=True, backend="numba").source
    assert "math.sin" not in plain and plain.count("for i in range(n):") == 1


def test_the_sin_cos_source_is_deterministic_and_holds_no_user_text():
    hostile = sg.symbols("__import__ os")
    expr = sg.sin(hostile[0]) * sg.cos(hostile[1] * hostile[0])
    source = sg.compile(expr, grad=True, backend="numba").source
    assert "__import__" not in source and not re.search(r"\bos\b", source)
    program = ("import symgrad as sg, sys\n"
               "a, b = sg.symbols('__import__ os')\n"
               "sys.stdout.write(sg.compile(sg.sin(a) * sg.cos(b * a), grad=True,"
               " backend='numba').source)\n")
    for seed in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                              check=True, env={"PYTHONHASHSEED": seed})
        assert done.stdout == source


def test_the_cuda_source_keeps_the_device_sin_and_cos():
    source = sg.compile(chain(3), grad=True, backend="cupy").source
    assert re.search(r"(?<![\w.])sin\(", source) and "math." not in source
    assert "def " not in source and "range" not in source
