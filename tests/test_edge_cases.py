"""Edge cases found in review: each pins a behaviour that was once wrong."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as sg


def test_reversed_slices_select_and_differentiate_like_numpy():
    w = sg.symbols("w", shape=(4,))
    values = np.array([1.0, 2.0, 3.0, 4.0])
    for index in (slice(None, None, -1), slice(2, None, -1), slice(3, 0, -2)):
        expr = w[index]
        np.testing.assert_array_equal(expr.eval(w=values), values[index])
        assert sg.parse(str(expr), shapes={"w": (4,)}) is expr
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    gradient = sg.grad(sg.sum(w[::-1] * weights))["w"].eval(w=values)
    np.testing.assert_array_equal(gradient, weights[::-1])


def test_reversed_slice_of_a_tensor_is_a_view_with_the_right_gradient():
    x = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x[::-1] * sg.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 2.0, 1.0])
    plain = sg.tensor([1.0, 2.0, 3.0])
    plain[::-1] = 5.0
    np.testing.assert_array_equal(plain.numpy(), [5.0, 5.0, 5.0])


def test_create_graph_keeps_the_unselected_where_branch_out():
    a = sg.tensor(0.0, requires_grad=True)
    sg.where(a > 0, sg.sqrt(a), 0.0).backward(create_graph=True)
    assert a.grad.item() == 0.0
    b = sg.tensor(4.0, requires_grad=True)
    (first,) = sg.autograd.grad(sg.where(b > 0, sg.sqrt(b), 0.0), [b], create_graph=True)
    first.backward()
    assert b.grad.item() == pytest.approx(-0.25 * 4.0**-1.5)  # d2/db2 sqrt(b)


@pytest.mark.parametrize("x, low, high, expected", [
    (2.8, 2.9, 2.7, {"x": 0.0, "lo": 0.0, "hi": 1.0}),   # low > high: the value is high
    (0.5, 0.0, 1.0, {"x": 1.0, "lo": 0.0, "hi": 0.0}),
    (-1.0, 0.0, 1.0, {"x": 0.0, "lo": 1.0, "hi": 0.0}),
    (1.0, 0.0, 1.0, {"x": 1.0, "lo": 0.0, "hi": 0.0}),   # at a bound x keeps it, as PyTorch
])
def test_clamp_gradient_goes_to_the_argument_that_is_the_value(x, low, high, expected):
    value, gradient = sg.reverse(sg.parse("clamp(x, lo, hi)"), at={"x": x, "lo": low, "hi": high})
    assert value == min(max(x, low), high)
    assert gradient == expected


def test_cbrt_checks_out_for_negative_arguments():
    assert sg.check("cbrt(x)", at={"x": -2.0}).ok


@pytest.mark.parametrize("build", [
    lambda: sg.parse("[[1, 2], [3]]"),
    lambda: sg.tensor(None),
    lambda: sg.constant(None),
    lambda: (sg.symbols("x") * 2).eval(x=np.array([1.0, None])),
    lambda: sg.compile([]),
    lambda: sg.arange(0, 5, 0),
    lambda: sg.size(sg.symbols("x"), "y"),
])
def test_bad_values_are_symgrad_errors(build):
    with pytest.raises(sg.SymgradError):
        build()


def test_a_vector_expression_unpacks_into_its_elements():
    w = sg.symbols("w", shape=(3,))
    first, second, third = w
    assert len(w) == 3 and third is w[2]
    assert (first + second + third).eval(w=[1.0, 2.0, 4.0]) == 7.0
    with pytest.raises(sg.SymgradError):
        len(sg.symbols("x"))


def test_verify_reads_a_text_claim_with_the_functions_vector_shapes():
    function = sg.parse("dot(w, w)", shapes={"w": (3,)})
    assert sg.verify(function, "2*w", wrt="w").ok
    assert not sg.verify(function, "3*w", wrt="w").ok


def test_numpy_arrays_defer_to_expression_operators():
    x = sg.symbols("x")
    product = np.array([1.0, 2.0]) * x
    assert isinstance(product, sg.Expr) and product.shape == (2,)
