"""The backends rules are written against, and the two policies every sweep shares."""

from __future__ import annotations

import ast
import inspect
import pathlib

import numpy as np
import pytest

import symgrad as sg
from symgrad.calculus.differentiate import SYMBOLIC
from symgrad.core.expr import constant
from symgrad.core.opspec import OPS, Backend, fit_shape
from symgrad.eager.autograd import TensorBackend
from symgrad.numeric.backend import NumericBackend, mask, zero_upstream

PACKAGE = pathlib.Path(sg.__file__).parent
SHAPE_METHODS = {"shape", "sum_to", "broadcast_to"}


def _protocol_members() -> set[str]:
    return {name for name, value in vars(Backend).items()
            if inspect.isfunction(value) and not name.startswith("_")}


def test_every_backend_method_rules_may_call_is_a_registered_op():
    ops = _protocol_members() - SHAPE_METHODS
    assert ops and ops <= set(OPS)


def test_rules_call_only_what_the_backend_protocol_declares():
    # Reads every `F.name` in the operation table's source, so a rule calling an op the
    # protocol lacks fails here as well as under mypy.
    declared = _protocol_members()
    called = set()
    for path in (PACKAGE / "ops").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == "F":
                called.add(node.attr)
    assert called and called <= declared, called - declared


@pytest.mark.parametrize("backend", [SYMBOLIC, NumericBackend(0), NumericBackend(2), TensorBackend()],
                         ids=["symbolic", "numeric", "numeric-batched", "tensor"])
def test_every_backend_offers_every_protocol_member(backend):
    for name in _protocol_members():
        assert callable(getattr(backend, name)), name


# -- fit to shape: one policy, three backends -----------------------------------------------------
FITS = [
    # (value, target shape, hand-computed result)
    (np.arange(6.0).reshape(2, 3), (3,), np.array([3.0, 5.0, 7.0])),
    (np.arange(6.0).reshape(2, 3), (2, 1), np.array([[3.0], [12.0]])),
    (np.arange(3.0), (), 3.0),
    (np.array(2.0), (3,), np.array([2.0, 2.0, 2.0])),
    (np.array([1.0, 2.0]), (3, 2), np.array([[1.0, 2.0]] * 3)),
    (np.arange(6.0).reshape(2, 3), (2, 3), np.arange(6.0).reshape(2, 3)),
]


@pytest.mark.parametrize("value, shape, expected", FITS, ids=[f"{np.shape(v)}->{s}" for v, s, _ in FITS])
def test_fit_shape_gives_the_same_numbers_in_every_backend(value, shape, expected):
    symbolic = fit_shape(SYMBOLIC, constant(value), shape)
    assert symbolic.shape == shape
    np.testing.assert_array_equal(symbolic.eval(), expected)
    numeric = fit_shape(NumericBackend(0), value, shape)
    np.testing.assert_array_equal(numeric, expected)
    assert np.shape(numeric) == shape
    tensor = fit_shape(TensorBackend(), sg.tensor(value), shape)
    np.testing.assert_array_equal(tensor.numpy(), expected)


def test_fit_shape_keeps_batch_axes_of_numbers():
    batch = np.arange(12.0).reshape(2, 2, 3)        # 2 points of core shape (2, 3)
    fitted = fit_shape(NumericBackend(1), batch, (3,))
    np.testing.assert_array_equal(fitted, batch.sum(axis=1))


def test_fit_shape_may_leave_a_broadcastable_expr_lazy():
    scalar = constant(2.0)
    assert fit_shape(SYMBOLIC, scalar, (3,), exact=False) is scalar
    assert fit_shape(SYMBOLIC, scalar, (3,)).shape == (3,)


# -- the mask: 0 times an infinite local derivative is 0 -------------------------------------------
def test_mask_replaces_only_non_finite_values_where_the_upstream_adjoint_is_zero():
    adjoint = np.array([0.0, 1.0, 0.0, 2.0])
    contribution = np.array([np.nan, np.inf, np.inf, 3.0])
    zero = zero_upstream(adjoint, 0, elementwise=True)
    masked = mask(NumericBackend(0), contribution, contribution, zero, 0)
    np.testing.assert_array_equal(masked, [0.0, np.inf, 0.0, 3.0])


def test_mask_of_a_reduction_applies_per_point():
    adjoint = np.array([[0.0, 0.0], [0.0, 1.0]])     # 2 points; only the first is all zero
    contribution = np.array([[np.nan, 1.0], [np.nan, 1.0]])
    zero = zero_upstream(adjoint, 1, elementwise=False)
    masked = mask(NumericBackend(1), contribution, contribution, zero, 1)
    np.testing.assert_array_equal(masked, [[0.0, 1.0], [np.nan, 1.0]])


def test_a_finite_contribution_is_returned_as_it_is():
    contribution = np.array([1.0, 2.0])
    zero = zero_upstream(np.array([0.0, 1.0]), 0, elementwise=True)
    assert mask(NumericBackend(0), contribution, contribution, zero, 0) is contribution


@pytest.mark.parametrize("create_graph", [False, True])
def test_where_never_leaks_nan_in_any_sweep(create_graph):
    # d/dx where(x > 0, sqrt(x), 0) at 0 is 0 (PyTorch gives nan); 1/(2 sqrt(4)) = 0.25 at 4.
    points = np.array([0.0, 4.0])
    x = sg.symbols("x")
    expr = sg.where(x > 0, sg.sqrt(x), 0.0)
    np.testing.assert_array_equal(sg.reverse(expr, at={"x": points})[1]["x"], [0.0, 0.25])
    np.testing.assert_array_equal(sg.diff(expr, "x").eval(x=points), [0.0, 0.25])
    t = sg.tensor(points, requires_grad=True)
    (gradient,) = sg.autograd.grad(sg.where(t > 0, sg.sqrt(t), 0.0).sum(), t, create_graph=create_graph)
    np.testing.assert_array_equal(gradient.numpy(), [0.0, 0.25])


def test_where_inside_a_reduction_does_not_leak_nan_under_create_graph():
    # norm(where(x > 0, sqrt(x), 0)) at x = (0, 4): d/dx1 = 0 there, d/dx2 = 1/(2*2) = 0.25.
    t = sg.tensor([0.0, 4.0], requires_grad=True)
    plain = sg.autograd.grad(sg.norm(sg.where(t > 0, sg.sqrt(t), 0.0)), t)[0]
    recorded = sg.autograd.grad(sg.norm(sg.where(t > 0, sg.sqrt(t), 0.0)), t, create_graph=True)[0]
    np.testing.assert_array_equal(plain.numpy(), [0.0, 0.25])
    np.testing.assert_array_equal(recorded.numpy(), [0.0, 0.25])


def test_eager_backward_uses_the_numeric_backend_not_the_dag_reverse_module():
    tree = ast.parse((PACKAGE / "eager" / "autograd.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "numeric.backend" in imported and "numeric.reverse" not in imported
