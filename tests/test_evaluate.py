"""Batched evaluation (API.md section 3 batch semantics) and substitution."""

from __future__ import annotations

import math

import numpy as np
import pytest

import symgrad as sg
from symgrad.core.shapes import broadcast, summed_axes


def test_scalar_point_gives_numpy_scalar_with_hand_value():
    x, u = sg.symbols("x u")
    value = (3 * x**2 + 4 * x + 2 * u * x).eval(x=3, u=2)
    assert value == 51.0 and np.ndim(value) == 0


def test_batch_axes_broadcast_between_arguments():
    x, u = sg.symbols("x u")
    xs = np.linspace(-1, 1, 5)
    us = np.array([[1.0], [2.0]])
    value = (x * u + x).eval(x=xs, u=us)
    np.testing.assert_allclose(value, xs * us + xs)
    assert value.shape == (2, 5)


def test_vector_symbol_takes_batch_of_vectors_and_core_axes_align_right():
    w = sg.symbols("w", shape=(3,))
    x = sg.symbols("x")
    expr = w * x  # core shape (3,); x is scalar per point
    ws = np.arange(12.0).reshape(4, 3)
    xs = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(expr.eval(w=ws, x=xs), ws * xs[:, None])


def test_constant_parts_of_a_result_get_the_batch_shape():
    x = sg.symbols("x")
    value = (sg.constant([1.0, 2.0]) * (x > -1)).eval(x=np.zeros((3, 4)))
    assert value.shape == (3, 4, 2)
    np.testing.assert_array_equal(value[2, 3], [1.0, 2.0])


def test_reductions_reduce_core_axes_only():
    w = sg.symbols("w", shape=(3,))
    ws = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(sg.sum(w).eval(w=ws), ws.sum(axis=1))
    np.testing.assert_allclose(sg.norm(w).eval(w=ws), np.linalg.norm(ws, axis=1))
    np.testing.assert_allclose((w @ w).eval(w=ws), (ws * ws).sum(axis=1))


def test_matmul_of_batched_matrix_and_vector():
    a = sg.symbols("A", shape=(2, 3))
    v = sg.symbols("v", shape=(3,))
    rng = np.random.default_rng(0)
    batch_a, batch_v = rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 3))
    np.testing.assert_allclose((a @ v).eval(A=batch_a, v=batch_v),
                               np.einsum("bij,bj->bi", batch_a, batch_v))
    np.testing.assert_allclose((a.T @ a).eval(A=batch_a[0]), batch_a[0].T @ batch_a[0])


def test_outside_the_domain_gives_nan_not_a_wrong_number():
    x = sg.symbols("x")
    assert math.isnan(sg.log(x).eval(x=-1.0))
    assert sg.log(x).eval(x=0.0) == -math.inf


def test_errors_raise_names_the_operation_and_point():
    x = sg.symbols("x")
    with pytest.raises(sg.DomainError, match=r"log.*x=-1"):
        (sg.log(x) + x).eval(x=np.array([1.0, -1.0]), errors="raise")


def test_missing_value_and_wrong_shape_are_clear_errors():
    w = sg.symbols("w", shape=(3,))
    with pytest.raises(sg.ArgumentError, match="no value given for the variable 'w'"):
        sg.sum(w).eval()
    with pytest.raises(sg.ShapeError, match=r"w has shape \(3,\)"):
        sg.sum(w).eval(w=[1.0, 2.0])
    with pytest.raises(sg.ArgumentError):
        sg.sum(w).eval(w="abc")


def test_subs_replaces_symbols_by_expressions_and_numbers():
    x, u = sg.symbols("x u")
    expr = 3 * x**2 + 2 * u * x
    assert expr.subs(u=1) is 3 * x**2 + 2 * x
    assert expr.subs(x=u).eval(u=2.0) == 3 * 4 + 2 * 2 * 2
    assert expr.subs({"x": 2, "u": 0}) is sg.constant(12.0)


def test_shape_errors_name_both_shapes():
    a = sg.symbols("a", shape=(3,))
    b = sg.symbols("b", shape=(4,))
    with pytest.raises(sg.ShapeError, match=r"\(3,\) and \(4,\)"):
        a + b
    with pytest.raises(sg.ShapeError, match=r"\(3,\) and \(4,\)"):
        a @ b


def test_broadcast_and_summed_axes_follow_numpy():
    assert broadcast((3, 1), (4,)) == (3, 4)
    assert broadcast((), (2, 2)) == (2, 2)
    source, target = (5, 3, 4), (3, 1)
    axes = summed_axes(source, target)
    reduced = np.ones(source).sum(axis=axes, keepdims=True).reshape(target)
    np.testing.assert_array_equal(reduced, np.full(target, 20.0))


def test_parse_error_shows_the_spot_with_a_caret():
    error = sg.ParseError("unexpected ')'", "x + )", 1, 5)
    lines = str(error).splitlines()
    assert lines[0] == "unexpected ')' at line 1, column 5"
    assert lines[2].index("^") == lines[1].index(")")
