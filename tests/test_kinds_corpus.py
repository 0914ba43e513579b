"""One corpus of generated expressions (tests/strategies.py) through every backend and array
kind available: numpy float64 and float32, torch CPU, dask, the numba loop, against the numpy
float64 kernel (rtol 1e-12 for float64 results, 1e-5 for float32 ones), batch shapes
included. Kind and dtype of every result are checked as well as its numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings

import symgrad as sg
from strategies import Generated, expressions

from optional import need

CORPUS = settings(max_examples=20, deadline=None, derandomize=True, database=None)
FUSED = settings(max_examples=5, deadline=None, derandomize=True, database=None)  # numba compiles


def oracle(generated: Generated, points: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The numpy float64 kernel's value and gradient."""
    kernel = sg.compile(generated.expr, grad=True)
    return kernel(**points)


def assert_close(actual: Any, expected: Any, dtype: Any) -> None:
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    # atol relative to the result's scale: a difference in the last bits of a term that cancels
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=rtol,
                               atol=rtol * scale)


def check(result: tuple[Any, dict[str, Any]], expected: tuple[Any, dict[str, Any]],
          kind: type, dtype: Any, to_numpy: Any = np.asarray) -> None:
    value, gradient = result
    assert isinstance(value, kind) and value.dtype == dtype, (type(value), value.dtype)
    assert_close(to_numpy(value), expected[0], np.dtype(dtype) if kind is np.ndarray else dtype)
    for name, partial in gradient.items():
        assert isinstance(partial, kind) and partial.dtype == dtype
        assert_close(to_numpy(partial), expected[1][name],
                     np.dtype(dtype) if kind is np.ndarray else dtype)


def batch_shaped(points: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The first scalar symbol's points along a second batch axis: batch (5, 5), broadcast."""
    first = sorted(name for name, value in points.items() if value.ndim == 1)[0]
    return {name: (value[:, np.newaxis] if name == first else value[np.newaxis])
            for name, value in points.items()}


def rounded(points: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The points as float32 values (the oracle runs on the same numbers in float64)."""
    return {name: value.astype(np.float32).astype(np.float64) for name, value in points.items()}


@CORPUS
@given(expressions(vector="v"))
def test_numpy_float64_and_float32_kernels_eval_and_reverse(generated: Generated):
    for points in (generated.points, batch_shaped(generated.points)):
        expected = oracle(generated, points)
        kernel = sg.compile(generated.expr, grad=True)
        check(kernel(**points), expected, np.ndarray, np.float64)
        check(sg.reverse(generated.expr, at=points), expected, np.ndarray, np.float64)
        single = {name: value.astype(np.float32) for name, value in points.items()}
        expected_single = oracle(generated, rounded(points))
        check(kernel(**single), expected_single, np.ndarray, np.float32)
        check(sg.reverse(generated.expr, at=single), expected_single, np.ndarray, np.float32)
        evaluated = generated.expr.eval(**single)
        assert evaluated.dtype == np.float32
        assert_close(evaluated, expected_single[0], np.float32)


@CORPUS
@given(expressions(vector="v"))
def test_torch_cpu_tensors(generated: Generated):
    torch = pytest.importorskip("torch")  # required on CI by conftest
    for points in (generated.points, batch_shaped(generated.points)):
        kernel = sg.compile(generated.expr, grad=True)
        for dtype, numbers in ((torch.float64, points), (torch.float32, rounded(points))):
            tensors = {name: torch.tensor(value, dtype=dtype) for name, value in numbers.items()}
            check(kernel(**tensors), oracle(generated, numbers), torch.Tensor, dtype,
                  lambda tensor: tensor.numpy())


@CORPUS
@given(expressions(vector="v"))
def test_dask_arrays(generated: Generated):
    da = need("dask.array")
    kernel = sg.compile(generated.expr, grad=True)
    for points in (generated.points, batch_shaped(generated.points)):
        lazy = {name: da.from_array(value, chunks=(2,) + value.shape[1:])
                for name, value in points.items()}
        value, gradient = kernel(**lazy)
        computed = (value.compute(), {name: partial.compute() for name, partial in gradient.items()})
        check(computed, oracle(generated, points), np.ndarray, np.float64)
        given_chunks = {chunks for array in lazy.values() for chunks in array.chunks}
        assert set(value.chunks) <= given_chunks  # the inputs' chunks, not one block


@FUSED
@given(expressions())
def test_the_numba_loop(generated: Generated):
    need("numba")
    kernel = sg.compile(generated.expr, grad=True, backend="numba")
    for points in (generated.points, batch_shaped(generated.points)):
        check(kernel(**points), oracle(generated, points), np.ndarray, np.float64)


@FUSED
@given(expressions(vector="v"))
def test_the_numba_loop_with_core_axes(generated: Generated):
    need("numba")
    assume("v" in generated.expr.symbols)  # (the others are tested above)
    kernel = sg.compile(generated.expr, grad=True, backend="numba")
    check(kernel(**generated.points), oracle(generated, generated.points), np.ndarray, np.float64)
