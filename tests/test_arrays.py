"""Array kinds and dtypes (issue 15): `.eval`, `sg.reverse` and kernels return arrays of the
library and dtype they are given; the float64 numpy results are the oracle."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pytest

import symgrad as sg
from symgrad.numeric.kernel import _load

from optional import need

x, w = sg.symbols("x w")
V = sg.symbols("v", shape=(3,))
LOSS = sg.log(1 + sg.exp(-w * x)) + sg.sin(x) ** 2 / (2 + sg.cos(w))
VECTOR = sg.sum(V * x) + sg.norm(V) * w
XS = np.linspace(-1.0, 2.0, 7)
VS = np.linspace(0.5, 1.5, 21).reshape(7, 3)


def test_float32_arrays_give_float32_from_kernels_eval_and_reverse():
    kernel = sg.compile(LOSS, grad=True)
    value, gradient = kernel(x=XS.astype(np.float32), w=0.5)
    expected_value, expected_gradient = kernel(x=XS, w=0.5)
    assert value.dtype == np.float32 and gradient["x"].dtype == np.float32
    assert gradient["w"].dtype == np.float32 and gradient["w"].shape == (7,)
    np.testing.assert_allclose(value, expected_value, rtol=1e-5)
    np.testing.assert_allclose(gradient["w"], expected_gradient["w"], rtol=1e-5, atol=1e-6)
    evaluated = LOSS.eval(x=XS.astype(np.float32), w=0.5)
    assert evaluated.dtype == np.float32
    np.testing.assert_allclose(evaluated, expected_value, rtol=1e-5)
    reversed_value, reversed_gradient = sg.reverse(LOSS, at={"x": XS.astype(np.float32), "w": 0.5})
    assert reversed_value.dtype == np.float32 and reversed_gradient["w"].dtype == np.float32
    np.testing.assert_allclose(reversed_gradient["x"], expected_gradient["x"], rtol=1e-5, atol=1e-6)


def test_numbers_and_integer_arrays_give_float64_and_mixed_widths_widen():
    kernel = sg.compile(LOSS)
    assert kernel(x=np.arange(3), w=1).dtype == np.float64
    assert kernel(x=XS.astype(np.float32), w=np.float64(0.5) * np.ones(7)).dtype == np.float64
    assert kernel(x=XS.astype(np.float32), w=np.float32(0.5)).dtype == np.float32
    assert LOSS.eval(x=1, w=2).dtype == np.float64
    value, _ = sg.reverse(LOSS, at={"x": 1.0, "w": 2.0})
    assert type(value) is float  # API.md: 51.0, a Python float


def test_float32_chunked_kernel_and_constant_arrays_stay_float32():
    kernel = sg.compile(VECTOR, grad=True, chunk=4)
    points = np.linspace(0, 1, 60, dtype=np.float32)
    vectors = np.linspace(0.5, 1.5, 180, dtype=np.float32).reshape(60, 3)
    value, gradient = kernel(v=vectors, x=points, w=np.float32(2.0))
    assert value.dtype == gradient["v"].dtype == np.float32 and gradient["v"].shape == (60, 3)
    expected, expected_gradient = kernel(v=vectors.astype(float), x=points.astype(float), w=2.0)
    np.testing.assert_allclose(gradient["v"], expected_gradient["v"], rtol=1e-5)
    shifted = sg.compile(sg.sum(V * sg.constant([1.0, 2.0, 3.0])))
    assert shifted(v=vectors).dtype == np.float32


def test_torch_tensors_give_torch_tensors_of_their_dtype():
    torch = pytest.importorskip("torch")
    kernel = sg.compile(LOSS, grad=True)
    for dtype, rtol in ((torch.float64, 1e-12), (torch.float32, 1e-5)):
        points = torch.tensor(XS, dtype=dtype, requires_grad=True)  # requires_grad is fine
        value, gradient = kernel(x=points, w=0.5)
        assert isinstance(value, torch.Tensor) and value.dtype == dtype
        assert isinstance(gradient["w"], torch.Tensor) and gradient["w"].dtype == dtype
        expected_value, expected_gradient = kernel(x=XS, w=0.5)
        np.testing.assert_allclose(value.numpy(), expected_value, rtol=rtol)
        np.testing.assert_allclose(gradient["x"].numpy(), expected_gradient["x"], rtol=rtol,
                                   atol=rtol)
        evaluated = LOSS.eval(x=points, w=torch.tensor(0.5, dtype=dtype))
        assert isinstance(evaluated, torch.Tensor) and evaluated.dtype == dtype
        reversed_value, reversed_gradient = sg.reverse(LOSS, at={"x": points, "w": 0.5})
        assert isinstance(reversed_gradient["w"], torch.Tensor)
        assert reversed_gradient["w"].dtype == dtype


def test_a_torch_tensor_against_autograd():
    torch = pytest.importorskip("torch")
    points = torch.tensor(XS, requires_grad=True)
    weight = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    loss = torch.log(1 + torch.exp(-weight * points)) + torch.sin(points) ** 2 / (2 + torch.cos(weight))
    expected = torch.autograd.grad(loss.sum(), [points])[0]
    _, gradient = sg.compile(LOSS, grad=True)(x=points.detach(), w=weight.detach())
    torch.testing.assert_close(gradient["x"], expected, rtol=1e-12, atol=1e-12)


def test_arrays_of_two_libraries_are_an_argument_error():
    torch = pytest.importorskip("torch")
    da = need("dask.array")
    with pytest.raises(sg.ArgumentError, match="mix dask and torch"):
        sg.compile(LOSS)(x=torch.ones(3), w=da.ones(3))


def test_code_called_from_a_kernel_imports_array_libraries_only():
    # CPython's C-level imports read the calling frame's builtins: with none, pickling a
    # numpy array (as CuPy's ufuncs import) failed with KeyError: '__import__'.
    source = "def kernel(nb):\n    return (dumps(array), parse('2020', '%Y'))\n"
    function, _ = _load(source, {"dumps": pickle.dumps, "array": np.arange(3),
                                 "parse": time.strptime})
    with pytest.raises(ImportError, match="not '_strptime'"):
        function(1)
    numpy_only, _ = _load("def kernel(nb):\n    return dumps(array)\n",
                          {"dumps": pickle.dumps, "array": np.arange(3)})
    np.testing.assert_array_equal(pickle.loads(numpy_only(1)), np.arange(3))
