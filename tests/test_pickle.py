"""Pickling by structure: Exprs and Kernels rebuild from their DAG, linear in its size;
leaf tensors keep their values, computed tensors are refused with a clear error."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

import symgrad as sg


def _deep(levels: int) -> sg.Expr:
    e = sg.parse("x")
    for _ in range(levels):
        e = sg.sin(e) * e + e  # every level uses the previous one three times
    return e


def test_unpickling_gives_the_same_interned_expr():
    w = sg.symbols("w", shape=(3,))
    x = sg.symbols("x")
    exprs = [x, sg.parse("0*1e999"), sg.parse("2^(-x*y)"), w[1:] @ np.array([1.0, 2.0]),
             sg.where(x > 0, sg.sqrt(x), 0.0), sg.sum(w) ** x, sg.parse("[[1, 2], [3, 4]]") * x]
    for expr in exprs:
        assert pickle.loads(pickle.dumps(expr)) is expr


def test_pickle_size_grows_linearly_with_the_dag():
    small, large = sg.grad(_deep(10))["x"], sg.grad(_deep(40))["x"]
    per_node_small = len(pickle.dumps(small)) / small.size
    per_node_large = len(pickle.dumps(large)) / large.size
    assert per_node_large < 2 * per_node_small


def test_an_expr_pickled_here_loads_in_a_fresh_process_with_its_values():
    w = sg.symbols("w", shape=(2,))
    expr = sg.sum(sg.exp(w) * sg.parse("x^2")) + sg.parse("pi")
    program = ("import pickle, sys, numpy as np; e = pickle.loads(sys.stdin.buffer.read()); "
               "print(repr(float(e.eval(w=np.array([0.5, -1.0]), x=3.0))), e.symbols)")
    done = subprocess.run([sys.executable, "-c", program], input=pickle.dumps(expr),
                          capture_output=True, check=True)
    value = float(np.sum(np.exp([0.5, -1.0])) * 9 + np.pi)
    assert done.stdout.decode().split()[0] == repr(value)


def test_a_kernel_pickles_and_computes_the_same():
    kernel = sg.compile({"f": sg.parse("sin(x)*y")}, grad=True)
    loaded = pickle.loads(pickle.dumps(kernel))
    xs = np.linspace(-1, 1, 5)
    value, gradient = loaded(x=xs, y=2.0)
    assert np.allclose(value["f"], 2 * np.sin(xs))
    assert np.allclose(gradient["f"]["x"], 2 * np.cos(xs))
    assert loaded.source == kernel.source


def test_a_kernel_works_in_a_process_pool():
    from concurrent.futures import ProcessPoolExecutor
    kernel = sg.compile(sg.parse("x^2 + 1"))
    with ProcessPoolExecutor(1) as pool:
        assert list(pool.map(kernel, [2.0, 3.0])) == [5.0, 10.0]


def test_a_leaf_tensor_pickles_with_its_grad():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    loaded = pickle.loads(pickle.dumps(x))
    assert loaded.requires_grad and loaded.is_leaf
    assert loaded.numpy().tolist() == [1.0, 2.0] and loaded.grad.numpy().tolist() == [2.0, 4.0]


def test_a_computed_tensor_refuses_to_pickle_with_a_symgrad_error():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(sg.AutogradError, match="detach"):
        pickle.dumps(x * 2)
    assert pickle.loads(pickle.dumps((x * 2).detach())).numpy().tolist() == [2.0, 4.0]


def test_a_corrupt_expr_pickle_is_a_symgrad_error():
    from symgrad.core.expr import from_dag_records
    with pytest.raises(sg.SymgradError):
        from_dag_records(((("nosuchop", (), (), ()),), (0,)))
    with pytest.raises(sg.SymgradError):
        from_dag_records(((("sin", (5,), (), ()),), (0,)))


def test_a_nan_exponent_pickles_back_to_the_same_node():
    e = sg.parse("x^(0*1e999)")
    assert pickle.loads(pickle.dumps(e)) is e


def test_a_gradient_kernel_rebuilds_in_spawned_processes_with_float32_points():
    # A spawned process shares no memory with this one: the kernel is rebuilt from its DAG.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    kernel = sg.compile(sg.parse("sin(x)*y"), grad=True)
    blocks = [np.linspace(0, 1, 4, dtype=np.float32), np.linspace(1, 2, 4, dtype=np.float32)]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(kernel, blocks, [2.0, 2.0]))
    for xs, (value, gradient) in zip(blocks, results):
        assert value.dtype == gradient["x"].dtype == np.float32
        np.testing.assert_allclose(gradient["x"], 2 * np.cos(xs.astype(float)), rtol=1e-6)
        np.testing.assert_allclose(gradient["y"], np.sin(xs.astype(float)), rtol=1e-6)
