"""API.md sections 1c, 2, 3 and 4, one test per stated behaviour, each against an oracle that
is not symgrad (SymPy, hand-derived values, numpy): the checklist a new user reads."""

from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pytest
import sympy

import symgrad as sg

TEXT = "3*x**2 + 4*x + 2*u*x"
X, U = sympy.symbols("x u")
ORACLE = 3 * X**2 + 4 * X + 2 * U * X


# -- 1c: around an Expr --------------------------------------------------------------------
def test_expr_attributes_have_the_contract_kinds():
    e = sg.parse(TEXT)
    assert e.shape == ()
    assert e.symbols == ["u", "x"]  # names, sorted
    assert isinstance(e.size, int) and e.size > 0
    d = sg.diff(e, "x")
    assert sg.size(e, d) < e.size + d.size  # shared nodes counted once
    assert sg.size(e, e) == e.size


def test_equality_is_structural_and_a_bool():
    e = sg.parse(TEXT)
    assert (e == sg.parse("2*u*x + 4*x + 3*x**2")) is True
    assert (e == sg.parse("x")) is False
    assert (e != sg.parse("x")) is True


def test_float_of_a_closed_expression_and_subs():
    assert float(sg.parse("sqrt(2)*pi + 1/3")) == pytest.approx(math.sqrt(2) * math.pi + 1 / 3, rel=1e-15)
    x, y = sg.symbols("x y")
    e = sg.parse(TEXT)
    assert float(e.subs(x=2, u=1)) == float(ORACLE.subs({X: 2, U: 1}))
    assert e.subs(x=y) is sg.parse("3*y**2 + 4*y + 2*u*y")


def test_functions_take_text_and_sympy_expressions():
    by_expr = sg.diff(sg.parse(TEXT), "x")
    assert sg.diff(TEXT, "x") is by_expr
    assert sg.diff(ORACLE, "x") is by_expr
    assert sympy.simplify(by_expr.to_sympy() - sympy.diff(ORACLE, X)) == 0


@pytest.mark.parametrize("given", [TEXT, ORACLE], ids=["text", "sympy"])
def test_reverse_compile_and_subs_take_text_and_sympy(given):
    expr = sg.parse(TEXT)
    assert sg.reverse(given, at={"x": 3, "u": 2}) == sg.reverse(expr, at={"x": 3, "u": 2})
    assert sg.compile(given) is sg.compile(expr)
    assert float(sg.compile(given)(x=3.0, u=2.0)) == float(ORACLE.subs({X: 3, U: 2}))
    replacement = "sin(y)" if isinstance(given, str) else sympy.sin(sympy.Symbol("y"))
    substituted = expr.subs(x=replacement)
    assert substituted is sg.parse("3*sin(y)**2 + 4*sin(y) + 2*u*sin(y)")


def test_printing_orders_as_sympy_and_reads_back():
    for text in ["3*x**2 + 4*x + 2*u*x", "x**3 + 1 - 2*x", "y**2 + x**2", "6*x + 2*u + 4"]:
        e = sg.parse(text)
        assert str(e) == str(sympy.sympify(text))
        assert sg.parse(str(e)) is e


def test_to_dot_has_one_node_line_per_dag_node():
    e = sg.parse("sin(x)*cos(x) + sin(x)")
    dot = e.to_dot()
    assert dot.startswith("digraph")
    assert dot.count("label=") == e.size


# -- 2: symbolic differentiation -------------------------------------------------------------
def test_derivative_results_have_the_contract_kinds():
    e = sg.parse(TEXT)
    assert str(sg.diff(e, "x")) == "2*u + 6*x + 4"
    assert str(sg.diff(e, "x", order=2)) == "6"
    g = sg.grad(e)
    assert isinstance(g, dict) and list(g) == ["u", "x"]
    assert list(sg.grad(e, ["x"])) == ["x"]
    J = sg.jacobian(["x*y", "sin(x) + y**2"], ["x", "y"])
    assert isinstance(J, list) and all(isinstance(row, list) and len(row) == 2 for row in J)
    assert [[str(d) for d in row] for row in J] == [["y", "x"], ["cos(x)", "2*y"]]
    H = sg.hessian("x**2*y**3", ["x", "y"])
    assert H[0][1] is H[1][0]
    assert str(H[0][1]) == str(sympy.diff(X**2 * sympy.Symbol("y") ** 3, X, sympy.Symbol("y")))


def test_series_is_exact_and_taylor_numeric():
    s = sg.series("exp(x)*sin(x)", "x", at=0, order=6)
    assert isinstance(s, sg.Expr)
    expected = sympy.series(sympy.exp(X) * sympy.sin(X), X, 0, 7).removeO()
    assert sympy.expand(s.to_sympy() - expected) == 0
    coefficients = sg.taylor("exp(x)", "x", at=0.5, order=12)
    assert isinstance(coefficients, np.ndarray) and coefficients.shape == (13,)
    np.testing.assert_allclose(coefficients, [math.exp(0.5) / math.factorial(k) for k in range(13)],
                               rtol=1e-14)


def test_gradient_of_a_vector_symbol_has_its_shape():
    w = sg.symbols("w", shape=(3,))
    gradient = sg.grad(sg.dot(w, w))["w"]
    assert gradient.shape == (3,)
    np.testing.assert_allclose(gradient.eval(w=np.array([1.0, -2.0, 5.0])), [2.0, -4.0, 10.0])


@pytest.mark.parametrize("text, at, expected", [
    ("abs(x)", {"x": 0.0}, 0.0), ("relu(x)", {"x": 0.0}, 0.0),
    ("clamp(x, 0, 1)", {"x": 0.0}, 1.0), ("clamp(x, 0, 1)", {"x": 1.0}, 1.0),
    ("max(x, y)", {"x": 1.0, "y": 1.0}, 0.5), ("min(x, y)", {"x": 1.0, "y": 1.0}, 0.5),
    ("where(x > 0, sqrt(x), 0)", {"x": 0.0}, 0.0),
])
def test_pytorch_choices_where_no_derivative_exists(text, at, expected):
    """The contract's values (PyTorch's choices), by closed form and by reverse mode."""
    assert float(sg.diff(text, "x").eval(**at)) == expected
    assert sg.reverse(sg.parse(text), at=at)[1]["x"] == expected


# -- 3: numbers ------------------------------------------------------------------------------
def test_reverse_gives_the_value_and_a_dict_of_floats():
    value, gradient = sg.reverse(sg.parse(TEXT), at={"x": 3, "u": 2})
    assert (value, gradient) == (51.0, {"u": 6.0, "x": 26.0})  # by hand: 27 + 12 + 12; 2x; 6x + 4 + 2u


def test_reverse_with_a_seed_is_the_vector_jacobian_product():
    w = sg.symbols("w", shape=(3,))
    at, seed = np.array([1.0, 2.0, -3.0]), np.array([1.0, 0.5, 2.0])
    value, gradient = sg.reverse(w * w, at={"w": at}, seed=seed)
    np.testing.assert_array_equal(value, at**2)
    np.testing.assert_array_equal(gradient["w"], seed * 2 * at)  # J = diag(2w)


def test_kernel_batches_and_results_per_point():
    kernel = sg.compile(sg.parse(TEXT), grad=True)
    xs = np.linspace(0, 1, 11).reshape(11, 1) * np.ones((1, 4))  # batch (11, 4)
    value, gradient = kernel(x=xs, u=2.0)
    assert value.shape == gradient["u"].shape == gradient["x"].shape == (11, 4)
    np.testing.assert_allclose(gradient["x"], 6 * xs + 4 + 2 * 2.0, rtol=1e-15)
    np.testing.assert_allclose(gradient["u"], 2 * xs, rtol=1e-15)
    constant = sg.compile(sg.parse("2*x"), grad=True)(x=np.ones((4, 5)))[1]["x"]
    assert constant.shape == (4, 5) and np.all(constant == 2.0)


def test_kernels_keep_float32_and_promote_numbers_to_float64():
    kernel = sg.compile(sg.parse(TEXT), grad=True)
    value, gradient = kernel(x=np.ones(3, np.float32), u=np.ones(3, np.float32))
    assert value.dtype == np.float32 and all(g.dtype == np.float32 for g in gradient.values())
    assert np.asarray(kernel(x=np.arange(3), u=2)[0]).dtype == np.float64


@pytest.mark.parametrize("backend", ["numpy", "numba", "cupy"])
def test_every_backend_has_source_and_pickles(backend):
    if backend == "numba":
        pytest.importorskip("numba")
    kernel = sg.compile(sg.parse(TEXT), grad=True, backend=backend)
    assert kernel.source.strip()
    again = pickle.loads(pickle.dumps(kernel))
    assert again.source == kernel.source


# -- 4: checking and verification ------------------------------------------------------------
def test_check_names_shared_and_independent_columns():
    report = sg.check(sg.parse(TEXT), at={"x": 3, "u": 2})
    assert report.ok is True and report.max_error < 1e-9
    assert set(report.shared) >= {"closed form", "reverse"}
    assert set(report.independent) >= {"finite diff", "sympy"}
    assert "independent" in str(report)


def test_verify_verdicts_and_counterexample():
    right = sg.verify("sin(x^2)", "2x cos(x^2)", wrt="x")
    assert (right.ok, right.status, right.counterexample) == (True, "correct", None)
    wrong = sg.verify("sin(x^2)", "cos(x^2)", wrt="x")
    assert wrong.ok is False and wrong.status == "wrong"
    point = wrong.counterexample["x"]
    assert not math.isclose(2 * point * math.cos(point**2), math.cos(point**2), rel_tol=1e-9)
    assert json.loads(json.dumps(wrong.to_dict()))["status"] == "wrong"


def test_verify_order_mixed_partial_region_and_implicit():
    assert sg.verify("x^3", "6x", wrt="x", order=2).status == "correct"
    assert sg.verify("x^2 y^3", "6x y^2", wrt=("x", "y")).status == "correct"
    assert sg.verify("abs(x-10)", "-1", wrt="x", at={"x": (0, 9)}).status == "correct"
    assert sg.verify("abs(x-10)", "-1", wrt="x").status == "wrong"
    assert sg.verify("x^2", "2x*(1 + 1e-9)", wrt="x").status == "wrong"
    assert sg.verify_implicit("x^2 + y^2 = 25", "-x/y", wrt="x", dependent="y").status == "correct"
