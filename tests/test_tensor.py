"""Eager tensors: the seed notebooks' numbers and PyTorch's autograd semantics."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.eager.autograd import grad
from strategies import close, values


# -- the seed notebooks ------------------------------------------------------------------------
def test_polynomial_gradients_accumulate_until_zeroed():
    x = sg.tensor(3.0, requires_grad=True)
    u = sg.tensor(2.0, requires_grad=True)
    y = 3 * x**2 + 4 * x + 2 * u * x
    y.backward()
    assert (x.grad.item(), u.grad.item()) == (26.0, 6.0)
    assert repr(x.grad) == "tensor(26.)" and repr(y) == "tensor(51., grad_fn=<AddBackward0>)"
    z = 3 * x**2 + x
    z.backward()
    assert x.grad.item() == 26.0 + 19.0  # accumulated
    x.grad.zero_()
    (3 * x**2 + x).backward()
    assert x.grad.item() == 19.0
    x = sg.tensor(7.0, requires_grad=True)
    (3 * x**2 + 4 * x + 2 * u * x).backward()
    assert x.grad.item() == 50.0


def test_dot_and_vector_seed():
    x = sg.tensor([1.0, 7.0, -2.0], requires_grad=True)
    y = 3 * sg.dot(x, sg.tensor([1.0, 7.0, 5.0])) + x @ x.t()
    assert repr(y) == "tensor(174., grad_fn=<AddBackward0>)"
    y.backward()
    assert repr(x.grad) == "tensor([ 5., 35., 11.])"
    x = sg.tensor([1.0, 7.0, -2.0], requires_grad=True)
    y = 3 * x * x + x**2
    assert repr(y) == "tensor([  4., 196.,  16.], grad_fn=<AddBackward0>)"
    y.backward(gradient=sg.ones(len(y)))
    assert repr(x.grad) == "tensor([  8.,  56., -16.])"


def control_flow(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def test_python_control_flow_and_trace():
    a = sg.tensor([5.0], requires_grad=True)
    control_flow(a).backward()
    assert a.grad.tolist() == [256.0]
    traced = sg.trace(control_flow, a=5.0)
    assert traced.symbols == ["a"] and sg.diff(traced, "a").eval(a=5.0) == 256.0
    negative = sg.trace(control_flow, a=-5.0)  # the other branch: c = 100 b
    assert sg.diff(negative, "a").eval(a=-5.0) == 25600.0


def test_sin_strides_and_views():
    x = sg.tensor([2.0], requires_grad=True)
    sg.sin(x).backward()
    assert repr(x.grad) == "tensor([-0.4161])" and x.stride() == (1,)
    a = sg.ones(10, 10)
    b = a.t()
    assert (a.stride(), b.stride()) == ((10, 1), (1, 10))
    b[1] = 10
    expected = np.ones((10, 10))
    expected[:, 1] = 10
    np.testing.assert_array_equal(a.numpy(), expected)
    row = a[2]
    row[0] = -1  # a slice is a view too
    assert a[2, 0].item() == -1.0 and a[1:].stride() == (10, 1) and a[:, 1].stride() == (10,)


def test_arange_dot_sum_detach_notebook():
    x = sg.arange(4.0, requires_grad=True)
    y = 2 * x @ x
    y.backward()
    assert repr((y, x.grad)) == "(tensor(28., grad_fn=<DotBackward0>), tensor([ 0.,  4.,  8., 12.]))"
    assert repr(x.grad == 4 * x) == "tensor([True, True, True, True])"
    x.grad.zero_()
    y = 2 * x.sum()
    y.backward()
    assert repr(x.grad) == "tensor([2., 2., 2., 2.])"
    assert repr(y) == "tensor(12., grad_fn=<MulBackward0>)"
    assert repr(x.sum()) == "tensor(6., grad_fn=<SumBackward0>)"
    x.grad.zero_()
    y = x * x
    y.backward(gradient=sg.ones(len(y)))
    assert repr(x.grad) == "tensor([0., 2., 4., 6.])"
    x.grad.zero_()
    y = x * x
    u = y.detach()
    (u * x).sum().backward()
    assert bool((x.grad == u).all())


def test_two_by_two_notebook():
    x = sg.ones(2, 2, requires_grad=True)
    assert repr(x) == "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"
    y = x + 2
    assert repr(y.grad_fn) == "<AddBackward0>" and y.grad_fn.name() == "AddBackward0"
    z = y * y * 3
    out = z.mean()
    assert repr(out) == "tensor(27., grad_fn=<MeanBackward0>)"
    out.backward()
    assert repr(x.grad) == "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])"
    with pytest.warns(UserWarning, match="not a leaf"):
        assert y.grad is None
    x = sg.ones(2, 2, requires_grad=True)
    z = (x + 2) * (x + 2) * 3
    z.backward(sg.tensor([[1.0, 1.0], [10.0, 10.0]]))
    assert x.grad.tolist() == [[18.0, 18.0], [180.0, 180.0]]
    a = sg.randn(2, 2, seed=1)
    a = (a * 3) / (a - 1)
    assert not a.requires_grad and a.requires_grad_(True) is a and a.requires_grad
    assert repr((a * a).sum().grad_fn) == "<SumBackward0>"


def test_jacobian_vector_product_with_doubling_loop():
    x = sg.tensor([-0.3707, 0.0267, -0.5518], requires_grad=True)
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    y.backward(sg.tensor([0.1, 1.0, 0.0001]))
    assert repr(x.grad) == "tensor([2.0480e+02, 2.0480e+03, 2.0480e-01])"


def test_autograd_grad_notebook():
    x = sg.tensor([1.0], requires_grad=True)
    assert grad(x**2, x)[0].tolist() == [2.0]
    y = sg.tensor([2.0], requires_grad=True)
    gx, gy = grad(x**2 + y**2, [x, y])
    assert (gx.tolist(), gy.tolist()) == ([2.0], [4.0])
    x = sg.tensor([1.0, 2.0, 3.0, 4.0, 5.0], requires_grad=True)
    y = x**2
    assert grad(y, x, grad_outputs=sg.ones(5), retain_graph=True)[0].tolist() == [2, 4, 6, 8, 10]
    assert grad(y, x, grad_outputs=sg.zeros(5), retain_graph=True)[0].tolist() == [0] * 5
    assert grad(y, x, grad_outputs=sg.ones(5) * 2)[0].tolist() == [4, 8, 12, 16, 20]
    assert x.grad is None  # grad() leaves .grad alone


def test_second_derivative_both_routes_give_480():
    x = sg.tensor([1.0], requires_grad=True)
    y = sg.tensor([2.0], requires_grad=True)
    f_x = grad(x * x * y, x, create_graph=True)[0]
    assert f_x.tolist() == [4.0] and f_x.requires_grad
    ((f_x**2 - 1) ** 2).backward()
    assert y.grad.tolist() == [480.0]
    x = sg.tensor([1.0], requires_grad=True)
    y = sg.tensor([2.0], requires_grad=True)
    (x * x * y).backward(create_graph=True)
    w = (x.grad**2 - 1) ** 2
    y.grad.zero_()
    w.backward()
    assert y.grad.tolist() == [480.0]
    x = sg.tensor([1.0], requires_grad=True)
    y = sg.tensor([2.0], requires_grad=True)
    (x * x * y).backward(create_graph=True)
    ((x.grad**2 - 1) ** 2).backward()
    assert y.grad.tolist() == [481.0]  # without zeroing, df/dy = 1 stays in y.grad


def test_logistic_loss_manual_and_backward():
    def loss_of(prediction, target):
        prediction = sg.clamp(prediction, 1e-8, 1 - 1e-8)
        return -target * sg.log(prediction) - (1 - target) * sg.log(1 - prediction)

    x, y = sg.tensor(6.7), sg.tensor(0.0)
    w = sg.tensor(1.0, requires_grad=True)
    b = sg.tensor(0.0, requires_grad=True)
    z = w * x + b
    prediction = sg.sigmoid(z)
    loss = loss_of(prediction, y)
    assert [repr(z), repr(prediction), repr(loss)] == [
        "tensor(6.7000, grad_fn=<AddBackward0>)", "tensor(0.9988, grad_fn=<SigmoidBackward0>)",
        "tensor(6.7012, grad_fn=<SubBackward0>)"]
    loss.backward()
    manual = (-y / prediction + (1 - y) / (1 - prediction)) * prediction * (1 - prediction)
    assert w.grad.item() == pytest.approx((manual * x).item(), rel=1e-12)
    assert b.grad.item() == pytest.approx(manual.item(), rel=1e-12)
    assert f"{w.grad}" == str(w.grad.item()) and repr(w.grad) == "tensor(6.6918)"
    assert repr(b.grad) == "tensor(0.9988)"


def test_mean_sin_and_clearing():
    x = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x**2).mean()
    assert repr(y) == "tensor(4.6667, grad_fn=<MeanBackward0>)"
    y.backward()
    assert repr(x.grad) == "tensor([0.6667, 1.3333, 2.0000])"
    x = sg.tensor(4.0, requires_grad=True)
    z = sg.sin(x**2)
    assert repr(z) == "tensor(-0.2879, grad_fn=<SinBackward0>)"
    z.backward()
    assert repr(x.grad) == "tensor(-7.6613)" and repr(x.grad.zero_()) == "tensor(0.)"


# -- semantics ---------------------------------------------------------------------------------
def test_no_grad_records_nothing_and_detach_stops_gradients():
    x = sg.tensor(2.0, requires_grad=True)
    with sg.no_grad():
        y = x**2
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None
    z = x.detach() * x
    z.backward()
    assert x.grad.item() == 2.0  # only the undetached factor
    v = sg.tensor([1.0, 2.0], requires_grad=True)
    assert np.shares_memory(v.detach().numpy(), v.numpy()) and not v.detach().requires_grad


def test_errors_say_what_is_wrong():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(sg.AutogradError, match="scalar outputs"):
        (x * x).backward()
    with pytest.raises(sg.AutogradError, match="does not require grad"):
        sg.tensor(1.0).backward()
    y = (x * x).sum()
    y.backward()
    with pytest.raises(sg.AutogradError, match="second time.*retain_graph"):
        y.backward()
    x.grad.zero_()
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    with pytest.raises(sg.AutogradError, match="leaf"):
        x[0] = 5.0
    with pytest.raises(sg.AutogradError, match="leaf"):
        (x * 2).requires_grad_(False)
    with pytest.raises(sg.ShapeError, match="shape"):
        (x * x).backward(sg.ones(3))
    with pytest.raises(sg.AutogradError, match="allow_unused"):
        grad((x * x).sum(), [x, sg.tensor(1.0, requires_grad=True)])
    unused = sg.tensor(1.0, requires_grad=True)
    assert grad((x * x).sum(), [x, unused], allow_unused=True)[1] is None
    with pytest.raises(sg.ArgumentError, match="ambiguous"):
        bool(x > 0)


def test_stateless_graphs_may_be_walked_twice_as_in_torch():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    assert y.grad.tolist() == [6.0, 12.0] and x.grad.tolist() == [18.0, 36.0]


def test_writes_under_no_grad_are_allowed():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    with sg.no_grad():
        x[0] = 5.0
    assert x.tolist() == [5.0, 2.0] and x.is_leaf


def test_grad_fn_names_follow_the_operator_used():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    names = {
        "x - 1": x - 1, "1 - x": 1 - x, "x / 2": x / 2, "-x": -x, "x ** 2": x**2,
        "x ** x": x**x, "x[0]": x[0], "x[1:]": x[1:], "clamp": sg.clamp(x, 0, 1),
        "exp": sg.exp(x), "norm": x.norm(), "relu": sg.relu(x),
    }
    expected = {"x - 1": "SubBackward0", "1 - x": "RsubBackward1", "x / 2": "DivBackward0",
                "-x": "NegBackward0", "x ** 2": "PowBackward0", "x ** x": "PowBackward1",
                "x[0]": "SelectBackward0", "x[1:]": "SliceBackward0", "clamp": "ClampBackward1",
                "exp": "ExpBackward0", "norm": "LinalgVectorNormBackward0", "relu": "ReluBackward0"}
    assert {key: value.grad_fn.name() for key, value in names.items()} == expected


def test_indexing_is_differentiable():
    x = sg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = x[0] * x[1, 1:].sum() + x[:, 2].prod()
    y.sum().backward()
    # sum(x[0]) * 11 + 3 * x[0, 2] * x[1, 2], by hand.
    assert x.grad.tolist() == [[11.0, 11.0, 29.0], [0.0, 6.0, 15.0]]


def test_where_in_eager_takes_only_the_selected_branch():
    x = sg.tensor([0.0, 4.0], requires_grad=True)
    sg.where(x > 0, sg.sqrt(x), 0.0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.25]


def test_expr_rebuilds_the_recorded_computation():
    x = sg.tensor([1.0, 2.0, 3.0], requires_grad=True, name="v")
    c = sg.tensor(2.0)
    y = (sg.sin(x) * c + x**2 / 3).sum() - x[0]
    assert y.expr.symbols == ["v"]
    assert y.expr.eval(v=[1.0, 2.0, 3.0]) == pytest.approx(y.item())
    y.backward()
    closed = sg.grad(y.expr)["v"].eval(v=[1.0, 2.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), closed)
    anonymous = sg.tensor(1.5, requires_grad=True)
    name = (anonymous * 2).expr.symbols[0]
    assert name.startswith("t") and (anonymous + 1).expr.symbols == [name]


def test_long_chains_need_no_recursion():
    x = sg.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    z = x
    for _ in range(3000):
        z = sg.sin(z)
    assert z.expr.eval(**{z.expr.symbols[0]: 0.5}) == pytest.approx(z.item())


def test_higher_order_derivatives_through_create_graph():
    x = sg.tensor(1.5, requires_grad=True)
    y = x**4
    (first,) = grad(y, x, create_graph=True)
    (second,) = grad(first, x, create_graph=True)
    (third,) = grad(second, x)
    assert (first.item(), second.item(), third.item()) == pytest.approx(
        (4 * 1.5**3, 12 * 1.5**2, 24 * 1.5))


def test_broadcasting_gradients_sum_to_each_operand():
    m = sg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    r = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    s = sg.tensor(2.0, requires_grad=True)
    ((m * r + s) ** 2).sum().backward()
    base = np.arange(6.0).reshape(2, 3) * [1.0, 2.0, 3.0] + 2.0
    np.testing.assert_allclose(m.grad.numpy(), 2 * base * [1.0, 2.0, 3.0])
    np.testing.assert_allclose(r.grad.numpy(), (2 * base * np.arange(6.0).reshape(2, 3)).sum(0))
    assert s.grad.item() == pytest.approx((2 * base).sum())


def test_printing_matches_torch_formatting_rules():
    assert repr(sg.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(sg.tensor([1.5, -20.25])) == "tensor([  1.5000, -20.2500])"
    assert repr(sg.tensor([0.0, 0.0])) == "tensor([0., 0.])"
    assert repr(sg.tensor([1.0, np.nan, np.inf])) == "tensor([1., nan, inf])"
    assert repr(sg.tensor([True, False]) > 0) == "tensor([ True, False])"
    assert repr(sg.tensor(3.0, requires_grad=True)) == "tensor(3., requires_grad=True)"


# -- torch as an oracle ------------------------------------------------------------------------
UNARY = ["sin", "cos", "tanh", "exp", "sigmoid", "relu", "abs", "sqrt", "log"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(UNARY), min_size=1, max_size=5),
       st.lists(st.floats(0.1, 2.0), min_size=3, max_size=3),
       st.sampled_from(["mul", "add", "div", "sub", "pow"]))
def test_random_programs_match_torch(names, values, combine):
    torch = pytest.importorskip("torch")

    def program(lib, x):
        y = x
        for name in names:
            # log and sqrt get a positive argument, away from their singular points.
            y = getattr(lib, name)(lib.abs(y) + 0.5 if name in ("log", "sqrt") else y)
        combined = {"mul": y * x, "add": y + x, "div": x / (y + 1), "sub": x - y,
                    "pow": (y + 1) ** x}[combine]
        return (combined * combined).sum() + combined[0]

    x = sg.tensor(values, requires_grad=True)
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    out, tout = program(sg, x), program(torch, tx)
    assert out.item() == pytest.approx(tout.item(), rel=1e-12)
    (gx,) = grad(out, x, create_graph=True)
    (tgx,) = torch.autograd.grad(tout, tx, create_graph=True)
    np.testing.assert_allclose(gx.numpy(), tgx.detach().numpy(), rtol=1e-10, atol=1e-12)
    gx.sum().backward()
    tgx.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_matrix_ops_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    a_values, v_values = rng.standard_normal((3, 4)), rng.standard_normal(4)
    a, v = sg.tensor(a_values, requires_grad=True), sg.tensor(v_values, requires_grad=True)
    ta = torch.tensor(a_values, requires_grad=True)
    tv = torch.tensor(v_values, requires_grad=True)
    for lib, m, w in ((sg, a, v), (torch, ta, tv)):
        y = (m @ w).norm() + (m.t() @ m).mean() + lib.clamp(m[1:, 2], -0.3, 0.3).sum() + w.dot(w)
        y.backward()
        assert y.grad_fn.name() == "AddBackward0"
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-10)


def test_grad_fn_names_match_torch():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for build in (lambda x: x - 1, lambda x: 1 - x, lambda x: -x, lambda x: x**2,
                      lambda x: x.t(), lambda x: x[0], lambda x: x[1:], lambda x: x @ x,
                      lambda x: x.sum(), lambda x: x.mean(), lambda x: x.norm(),
                      lambda x: x * x, lambda x: x + x):
            ours = build(sg.tensor([1.0, 2.0], requires_grad=True)).grad_fn.name()
            theirs = build(torch.tensor([1.0, 2.0], requires_grad=True)).grad_fn.name()
            assert ours == theirs


def test_double_backward_through_structural_ops_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    a_values, v_values = rng.standard_normal((3, 4)), rng.standard_normal(4)

    def second(lib, a, v):
        y = (a @ v).norm() * v[1:].prod() + (lib.sigmoid(a).t() @ a).mean() + lib.max(v, v * 0.5).sum()
        (gv,) = (grad if lib is sg else torch.autograd.grad)(y, v, create_graph=True)
        (gv * gv).sum().backward()
        return gv

    a, v = sg.tensor(a_values, requires_grad=True), sg.tensor(v_values, requires_grad=True)
    ta = torch.tensor(a_values, requires_grad=True)
    tv = torch.tensor(v_values, requires_grad=True)
    ours, theirs = second(sg, a, v), second(torch, ta, tv)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-9)


def notebook_y():
    x = sg.tensor(3.0, requires_grad=True)
    u = sg.tensor(2.0, requires_grad=True)
    return x, u, 3*x**2 + 4*x + 2*u*x


def test_reversed_slice_of_a_tensor_is_a_view_with_the_right_gradient():
    x = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x[::-1] * sg.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 2.0, 1.0])
    plain = sg.tensor([1.0, 2.0, 3.0])
    plain[::-1] = 5.0
    np.testing.assert_array_equal(plain.numpy(), [5.0, 5.0, 5.0])


class TestTensors:
    def test_backward_documented_values_and_repr(self):
        x, u, y = notebook_y()
        y.backward()
        assert repr(x.grad) == "tensor(26.)"
        assert repr(u.grad) == "tensor(6.)"

    def test_grads_accumulate_until_zeroed(self):
        x, u, y = notebook_y()
        y.backward()
        (3*x**2 + 4*x + 2*u*x).backward()
        assert close(x.grad.item(), 52.0)
        x.grad.zero_()
        assert close(x.grad.item(), 0.0)
        (3*x**2 + 4*x + 2*u*x).backward()
        assert close(x.grad.item(), 26.0) and close(u.grad.item(), 18.0)

    def test_grad_fn_name(self):
        _, _, y = notebook_y()
        assert repr(y.grad_fn) == "<AddBackward0>"
        assert "MulBackward0" in repr((sg.tensor(2.0, requires_grad=True) * 3).grad_fn)

    def test_vector_backward_with_seed(self):
        x = sg.tensor([1.0, 7.0, -2.0], requires_grad=True)
        y = 3*x*x + x**2
        y.backward(gradient=sg.ones(3))
        assert close(values(x.grad), 8 * np.array([1.0, 7.0, -2.0]))

    def test_backward_gradient_positional(self):
        x = sg.tensor([1.0, 7.0, -2.0], requires_grad=True)
        (x * x).backward(sg.tensor([1.0, 0.0, 2.0]))
        assert close(values(x.grad), [2.0, 0.0, -8.0])

    def test_vector_backward_without_gradient_is_error_that_says_so(self):
        x = sg.tensor([1.0, 7.0, -2.0], requires_grad=True)
        with pytest.raises(sg.SymgradError) as info:
            (x * x).backward()
        assert isinstance(info.value, RuntimeError)
        msg = str(info.value).lower()
        assert "scalar" in msg or "gradient" in msg

    def test_no_grad(self):
        z = sg.tensor(2.0, requires_grad=True)
        with sg.no_grad():
            q = z * 2
        assert q.requires_grad is False and q.grad_fn is None
        assert (z * 2).requires_grad is True

    def test_detach(self):
        z = sg.tensor(2.0, requires_grad=True)
        d = (z * 3).detach()
        assert d.requires_grad is False and d.is_leaf
        assert close(d.item(), 6.0)

    def test_requires_grad_(self):
        a = sg.tensor(1.5)
        assert a.requires_grad is False
        r = a.requires_grad_()
        assert a.requires_grad is True and r is a
        (a * a).backward()
        assert close(a.grad.item(), 3.0)

    def test_is_leaf(self):
        z = sg.tensor(2.0, requires_grad=True)
        assert z.is_leaf and not (z * 2).is_leaf
        assert sg.tensor(1.0).is_leaf

    def test_item_and_numpy(self):
        _, _, y = notebook_y()
        assert isinstance(y.item(), float) and y.item() == 51.0
        v = sg.tensor([1.0, 2.0]).numpy()
        assert isinstance(v, np.ndarray) and v.dtype == np.float64 and close(v, [1, 2])

    def test_expr_is_the_dag(self):
        _, _, y = notebook_y()
        ex = y.expr
        assert isinstance(ex, sg.Expr)
        assert len(ex.symbols) == 2
        # evaluating the recorded DAG at the tensors' values reproduces the value
        a, b = ex.symbols
        pts = {a: 3.0, b: 2.0}
        assert close(ex.eval(**pts), 51.0) or close(ex.eval(**{a: 2.0, b: 3.0}), 51.0)

    def test_methods_sum_mean_norm_dot(self):
        v = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
        s = v.sum() + v.mean() + v.norm() + v.dot(v)
        s.backward()
        a = np.array([1.0, 2.0, 3.0])
        assert close(s.item(), 6 + 2 + np.linalg.norm(a) + 14)
        assert close(values(v.grad), 1 + 1/3 + a / np.linalg.norm(a) + 2 * a)

    def test_t_T_data(self):
        A = sg.tensor([[1.0, 2.0], [3.0, 4.0]])
        assert close(values(A.t()), [[1, 3], [2, 4]])
        assert close(values(A.T), [[1, 3], [2, 4]])
        assert close(np.asarray(A.data.numpy() if hasattr(A.data, "numpy") else A.data),
                     [[1, 2], [3, 4]])

    def test_indexing_and_slicing_differentiable(self):
        v = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (v[0] * v[2] + v[1:].sum()).backward()
        assert close(values(v.grad), [3.0, 1.0, 2.0])

    def test_t_is_a_view(self):
        A = sg.tensor([[1.0, 2.0], [3.0, 4.0]])
        B = A.t()
        B[1] = 10
        assert close(values(A), [[1.0, 10.0], [3.0, 10.0]])

    def test_T_and_slices_are_views(self):
        A = sg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        A.T[0] = -1
        assert close(values(A)[:, 0], [-1, -1])
        row = A[1]
        row[2] = 99
        assert close(values(A)[1, 2], 99)
        s = A[:, 1:]
        s[0, 0] = 7
        assert close(values(A)[0, 1], 7)

    def test_stride_counts_elements(self):
        assert tuple(sg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).stride()) == (3, 1)
        A = sg.tensor([[1.0, 2.0], [3.0, 4.0]])
        assert tuple(A.t().stride()) == (1, 2)
        torch = pytest.importorskip("torch")
        T = torch.zeros(3, 4, dtype=torch.float64)
        S = sg.zeros(3, 4)
        assert tuple(S.stride()) == tuple(T.stride())
        assert tuple(S.t().stride()) == tuple(T.t().stride())

    def test_assignment_into_requires_grad_tensor_is_error_saying_why(self):
        v = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with pytest.raises(sg.SymgradError) as info:
            v[0] = 5.0
        assert "grad" in str(info.value).lower()
        assert close(values(v), [1.0, 2.0, 3.0])

    def test_assignment_allowed_under_no_grad(self):
        v = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with sg.no_grad():
            v[0] = 5.0
        assert close(values(v), [5.0, 2.0, 3.0])

    def test_comparisons_give_boolean_tensors(self):
        t = sg.tensor([1.0, 2.0, 3.0])
        c = t > 2
        assert isinstance(c, sg.Tensor)
        assert list(np.asarray(c.numpy())) == [False, False, True]
        eq = t == sg.tensor([1.0, 0.0, 3.0])
        assert isinstance(eq, sg.Tensor)
        assert list(np.asarray(eq.numpy())) == [True, False, True]

    def test_comparisons_usable_in_if_and_while(self):
        n, count = sg.tensor(0.0), 0
        while n < 3:
            n = n + 1
            count += 1
        assert count == 3
        assert bool(sg.tensor(3.0) >= 3)
        if sg.tensor(1.0) > 2:
            pytest.fail("1 > 2")

    def test_float64(self):
        t = sg.tensor(1.0) / 3
        assert t.item() == 1.0 / 3
        assert sg.tensor([1, 2]).numpy().dtype == np.float64

    def test_non_leaf_grad_is_none(self):
        h = sg.tensor(2.0, requires_grad=True)
        m = h * h
        (m * 3).backward()
        with pytest.warns(UserWarning):     # PyTorch warns here too
            assert m.grad is None
        assert close(h.grad.item(), 12.0)

    def test_second_backward_through_freed_graph_errors(self):
        h = sg.tensor(2.0, requires_grad=True)
        o = sg.exp(h * h)
        o.backward()
        with pytest.raises(sg.SymgradError) as info:
            o.backward()
        assert "retain_graph" in str(info.value)

    def test_retain_graph_allows_second_backward(self):
        h = sg.tensor(2.0, requires_grad=True)
        o = sg.exp(h * h)
        o.backward(retain_graph=True)
        o.backward()
        assert close(h.grad.item(), 2 * 4 * math.exp(4))

    def test_tensor_grads_match_torch(self):
        torch = pytest.importorskip("torch")
        a = np.array([0.3, -1.2, 2.0])
        s = sg.tensor(a, requires_grad=True)
        t = torch.tensor(a, requires_grad=True)
        (sg.sigmoid(s) * sg.exp(s) + sg.clamp(s, -1, 1) * s).sum().backward()
        (torch.sigmoid(t) * torch.exp(t) + torch.clamp(t, -1, 1) * t).sum().backward()
        assert close(values(s.grad), t.grad.numpy())


class TestErrors:
    def test_tensor_shape_mismatch(self):
        with pytest.raises(sg.SymgradError):
            sg.tensor([1.0, 2.0]) + sg.tensor([1.0, 2.0, 3.0])


class TestPytorchConventions:
    def test_tensor_kinks(self):
        w = sg.tensor(0.0, requires_grad=True)
        sg.where(w > 0, sg.sqrt(w), sg.tensor(0.0)).backward()
        assert close(w.grad.item(), 0.0)
        m = sg.tensor(1.0, requires_grad=True)
        sg.max(m, sg.tensor(1.0)).backward()
        assert close(m.grad.item(), 0.5)


class TestInPlace:
    def test_detach_shares_storage(self):
        a = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
        d = a.detach()
        d[0] = 9.0
        assert close(values(a), [9.0, 2.0, 3.0])

    def test_sgd_step_in_place_under_no_grad(self):
        w = sg.tensor(3.0, requires_grad=True)
        before = w
        (w * w).backward()
        with sg.no_grad():
            w -= 0.1 * w.grad
        assert w is before and w.requires_grad and w.is_leaf
        assert close(w.item(), 2.4)

    def test_assign_non_number_is_symgrad_error(self):
        a = sg.tensor([1.0, 2.0, 3.0])
        with pytest.raises(sg.SymgradError):
            a[0] = "x"

    def test_assign_into_view_of_requires_grad_leaf_is_error(self):
        x = sg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        with pytest.raises(sg.SymgradError):
            x.t()[1] = 10.0
        assert close(values(x), [[1.0, 2.0], [3.0, 4.0]])


class TestMoreContract:
    def test_tensor_repr_matches_torch(self):
        torch = pytest.importorskip("torch")
        for v in (26.0, 1 / 3, 1e10, [1.5, 100.25], [[1.0, 2.0], [3.0, 4.0]]):
            want = repr(torch.tensor(v, dtype=torch.float64)).replace(", dtype=torch.float64", "")
            assert repr(sg.tensor(v)) == want

    def test_strides_match_torch_for_views(self):
        torch = pytest.importorskip("torch")
        A = sg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        tA = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        for view in (lambda M: M[:, 1:], lambda M: M[1], lambda M: M[:, 0],
                     lambda M: M[:, ::2], lambda M: M.t(), lambda M: M.T[1:]):
            assert tuple(view(A).stride()) == tuple(view(tA).stride())

    def test_backward_on_tensor_without_grad_is_error(self):
        with pytest.raises(sg.SymgradError):
            (sg.tensor(1.0) * 2).backward()
