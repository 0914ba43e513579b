"""Symbolic differentiation (API.md section 2) against SymPy and hand-derived numbers."""

from __future__ import annotations

import importlib.util
import math
import pathlib
import sys
from types import ModuleType

import numpy as np
import pytest
import sympy
from hypothesis import given, settings

import symgrad as sg
from symgrad.language.sympy_bridge import to_sympy
from strategies import E_TEXT, close, expressions, Generated, our_gradient, sympy_gradient

BENCHMARKS = pathlib.Path(__file__).resolve().parent.parent / "benchmarks"


def load_benchmark(name: str) -> ModuleType:
    """A script from benchmarks/, so the tests check the very functions it measures."""
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def number(expr: sg.Expr, **values: float) -> float:
    return float(expr.eval(**{name: values[name] for name in expr.symbols}))


# -- the seed notebooks, symbolically ----------------------------------------------------------
def test_seed_polynomial_partials():
    e = sg.parse("3*x**2 + 4*x + 2*u*x")
    dx, du = sg.diff(e, "x"), sg.diff(e, "u")
    assert number(dx, x=3, u=2) == 26.0 and number(du, x=3, u=2) == 6.0
    assert number(dx, x=7, u=2) == 50.0
    assert dx is sg.parse("6*x + 2*u + 4")
    assert sg.diff(e, "x", order=2) is sg.constant(6)
    assert number(sg.diff(sg.parse("3*x**2 + x"), "x"), x=3) == 19.0


def test_seed_grad_returns_every_partial_sorted():
    e = sg.parse("3*x**2 + 4*x + 2*u*x")
    gradient = sg.grad(e)
    assert list(gradient) == ["u", "x"]
    assert gradient["u"] is sg.parse("2*x")


def test_seed_derivative_of_a_derivative():
    # d/dy of ((d(x*x*y)/dx)**2 - 1)**2 at (1, 2) is 480.
    x, y = sg.symbols("x y")
    f_x = sg.diff(x * x * y, "x")
    w = (f_x**2 - 1) ** 2
    assert number(f_x, x=1, y=2) == 4.0
    assert number(sg.diff(w, "y"), x=1, y=2) == 480.0


def test_seed_mean_example_gives_four_and_a_half_everywhere():
    x = sg.symbols("x", shape=(2, 2))
    out = sg.mean(3 * (x + 2) ** 2)
    gradient = sg.grad(out)["x"]
    assert gradient.shape == (2, 2)
    np.testing.assert_array_equal(gradient.eval(x=np.ones((2, 2))), np.full((2, 2), 4.5))
    assert float(out.eval(x=np.ones((2, 2)))) == 27.0


def test_seed_dot_example():
    v = sg.parse("3*dot(x, [1, 7, 5]) + x @ x", shapes={"x": (3,)})
    gradient = sg.grad(v)["x"]
    np.testing.assert_array_equal(gradient.eval(x=np.array([1.0, 7.0, -2.0])), [5.0, 35.0, 11.0])


def test_seed_sin_of_square():
    dz = sg.diff(sg.parse("sin(x**2)"), "x")
    assert number(dz, x=4) == pytest.approx(-7.661275842587077, rel=1e-14)
    assert number(dz, x=2) == pytest.approx(2 * 2 * math.cos(4), rel=1e-14)


def test_seed_binary_cross_entropy_with_clamp():
    e = sg.parse("z = w*x + b; p = clamp(sigmoid(z), 1e-8, 1 - 1e-8); "
                 "-y*log(p) - (1 - y)*log(1 - p)")
    gradient = sg.grad(e, ["w", "b"])
    at = {"x": 6.7, "y": 0.0, "w": 1.0, "b": 0.0}
    assert number(gradient["w"], **at) == pytest.approx(6.691762447357178, rel=1e-6)
    assert number(gradient["b"], **at) == pytest.approx(0.998770534992218, rel=1e-6)


def test_vector_mean_of_squares():
    x = sg.symbols("x", shape=(3,))
    gradient = sg.grad(sg.mean(x**2))["x"]
    np.testing.assert_allclose(gradient.eval(x=np.array([1.0, 2.0, 3.0])), [2 / 3, 4 / 3, 2.0])


# -- random expressions against sympy.diff -------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(expressions(symbols=("x", "y", "z")))
def test_every_partial_derivative_agrees_with_sympy(generated: Generated):
    ours = our_gradient(generated.expr, generated.points)
    theirs = sympy_gradient(generated.expr, generated.points)
    for name in ours:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-8, atol=1e-10,
                                   err_msg=f"d/d{name}")


@settings(max_examples=50, deadline=None)
@given(expressions(symbols=("x",), vector="w", max_steps=6))
def test_partials_with_a_vector_symbol_agree_with_sympy(generated: Generated):
    ours = our_gradient(generated.expr, generated.points)
    theirs = sympy_gradient(generated.expr, generated.points)
    for name in ours:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-8, atol=1e-10,
                                   err_msg=f"d/d{name}")


@pytest.mark.parametrize("text", [
    "x**3*sin(x)", "exp(x)/(1 + x**2)", "log(x**2 + 1)*atan(x)", "sqrt(1 + x**2)",
    "tanh(x)**2 + 1/cosh(x)", "sigmoid(x)*x", "asin(x/2)", "x**x", "erf(x)", "log2(x)*log10(x)",
])
def test_derivatives_equal_sympys_symbolically(text: str):
    e = sg.parse(text)
    ours = to_sympy(sg.diff(e, "x"), real=True)
    theirs = sympy.diff(to_sympy(e, real=True), sympy.Symbol("x", real=True))
    assert sympy.simplify(ours - theirs) == 0


# -- sharing and depth -------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [10, 100])
@pytest.mark.parametrize("family", list(load_benchmark("bench_grad").FAMILIES))
def test_gradient_shares_nodes_and_stays_within_four_times_the_size(family: str, n: int):
    e = load_benchmark("bench_grad").FAMILIES[family](n)
    gradient = sg.grad(e)
    assert sg.size(*gradient.values()) <= 4 * e.size


def test_partials_share_their_common_parts():
    e = sg.parse("exp(sin(x*y*z))")
    gradient = sg.grad(e)
    separately = sum(partial.size for partial in gradient.values())
    assert sg.size(*gradient.values()) < separately - 2 * 3  # exp(...) and cos(...) once


def test_deep_chain_differentiates_prints_and_evaluates_without_recursion():
    x = sg.symbols("x")
    e = x
    for _ in range(100_000):
        e = sg.sin(e)
    derivative = sg.diff(e, "x")
    assert derivative.size <= 4 * e.size
    # As text the derivative is quadratic (each factor repeats the chain); as a graph, linear.
    assert derivative.to_dot().count("->") >= 200_000
    # d/dx of the chain at 0 is the product of cos(0) = 1 at every level.
    assert float(derivative.eval(x=0.0)) == 1.0
    value, expected = float(derivative.eval(x=0.5)), 1.0
    inner = 0.5
    for _ in range(100_000):
        expected *= math.cos(inner)
        inner = math.sin(inner)
    assert value == pytest.approx(expected, rel=1e-9)


# -- where the derivative does not exist: PyTorch's choices ----------------------------------------
@pytest.mark.parametrize("text, at, expected", [
    ("abs(x)", 0.0, 0.0),
    ("abs(x)", -2.0, -1.0),
    ("relu(x)", 0.0, 0.0),
    ("relu(x)", 1.5, 1.0),
    ("clamp(x, -1, 2)", -1.0, 1.0),
    ("clamp(x, -1, 2)", 2.0, 1.0),
    ("clamp(x, -1, 2)", 3.0, 0.0),
    ("max(x, 1)", 1.0, 0.5),
    ("min(x, 1)", 1.0, 0.5),
    ("max(x, 1)", 2.0, 1.0),
    ("where(x > 0, sqrt(x), 0)", 0.0, 0.0),
    ("where(x > 0, sqrt(x), 0)", 4.0, 0.25),
    ("where(x > 0, log(x), x)", 0.0, 1.0),
])
def test_piecewise_conventions(text: str, at: float, expected: float):
    derivative = sg.diff(sg.parse(text), "x")
    assert number(derivative, x=at) == expected


def test_max_tie_splits_the_gradient_between_both_arguments():
    gradient = sg.grad(sg.parse("max(x, y)"))
    assert number(gradient["x"], x=2, y=2) == 0.5 and number(gradient["y"], x=2, y=2) == 0.5


def test_jacobian_and_hessian_against_hand_values():
    f1, f2 = sg.parse("x*y"), sg.parse("x**2 + y**3")
    rows = sg.jacobian([f1, f2], ["x", "y"])
    at = {"x": 2.0, "y": 3.0}
    assert [[number(d, **at) for d in row] for row in rows] == [[3.0, 2.0], [4.0, 27.0]]
    hessian = sg.hessian(sg.parse("x**2*y + y**3"), ["x", "y"])
    assert [[number(d, **at) for d in row] for row in hessian] == [[6.0, 4.0], [4.0, 18.0]]


class TestSymbolicDifferentiation:
    def test_diff(self):
        e = sg.parse(E_TEXT)
        x, u = sg.symbols("x u")
        d = sg.diff(e, "x")
        assert isinstance(d, sg.Expr)
        assert d is 6*x + 4 + 2*u
        assert close(d.eval(x=3, u=2), 26.0)

    def test_diff_order_2(self):
        d2 = sg.diff(sg.parse(E_TEXT), "x", order=2)
        assert isinstance(d2, sg.Expr)
        assert list(d2.symbols) == []
        assert close(d2.eval(), 6.0)

    def test_diff_order_3_of_sin(self):
        d3 = sg.diff(sg.parse("sin(2*x)"), "x", order=3)
        assert close(d3.eval(x=0.4), -8 * math.cos(0.8))

    def test_grad_all_symbols(self):
        g = sg.grad(sg.parse(E_TEXT))
        assert sorted(g) == ["u", "x"]
        assert all(isinstance(v, sg.Expr) for v in g.values())
        assert close(g["x"].eval(x=3, u=2), 26.0) and close(g["u"].eval(x=3, u=2), 6.0)

    def test_grad_subset(self):
        g = sg.grad(sg.parse(E_TEXT), ["x"])
        assert list(g) == ["x"]
        assert close(g["x"].eval(x=3, u=2), 26.0)

    def test_jacobian_rows(self):
        f1, f2 = sg.parse("x*y"), sg.parse("sin(x) + y**2")
        J = sg.jacobian([f1, f2], ["x", "y"])
        assert len(J) == 2 and all(len(row) == 2 for row in J)
        x, y = 0.3, 1.7
        want = [[y, x], [math.cos(x), 2 * y]]
        for i in range(2):
            for j in range(2):
                assert close(J[i][j].eval(x=x, y=y), want[i][j])

    def test_hessian_symmetric(self):
        e = sg.parse("x**2*y**3 + sin(x*y)")
        H = sg.hessian(e, ["x", "y"])
        assert len(H) == 2 and all(len(row) == 2 for row in H)
        assert H[0][1] is H[1][0]
        x, y = 0.6, -1.1
        s = math.sin(x * y)
        want = [[2*y**3 - y*y*s, 6*x*y**2 + math.cos(x*y) - x*y*s],
                [6*x*y**2 + math.cos(x*y) - x*y*s, 6*x**2*y - x*x*s]]
        for i in range(2):
            for j in range(2):
                assert close(H[i][j].eval(x=x, y=y), want[i][j])

    def test_grad_against_sympy(self):
        text = "exp(sin(x)*cos(y)) * log(1 + x*x*y) / (1 + tanh(x*y))"
        e = sg.parse(text)
        g = sg.grad(e)
        xs, ys = sympy.symbols("x y")
        se = sympy.sympify(text.replace("log", "log"), locals={"x": xs, "y": ys})
        pt = {"x": 0.8, "y": 1.3}
        for name, sym in (("x", xs), ("y", ys)):
            want = float(sympy.diff(se, sym).subs({xs: pt["x"], ys: pt["y"]}))
            assert close(g[name].eval(**pt), want)

    def test_gradient_size_within_small_factor(self):
        e = sg.parse("exp(sin(x)*cos(y)) * log(1 + x*x*y*z) / (1 + tanh(x*y*z)) + sqrt(z*z + 1)")
        g = sg.grad(e)
        assert sg.size(*g.values()) <= 5 * e.size
        assert sg.size(e, *g.values()) <= 6 * e.size

    def test_no_expression_swell_on_long_product(self):
        # d/dx_i of x0*x1*...*x29 done naively is quadratic; one reverse sweep is linear.
        names = [f"x{i}" for i in range(30)]
        e = sg.parse("*".join(f"sin({n})" for n in names))
        g = sg.grad(e)
        assert sg.size(*g.values()) <= 8 * e.size

    def test_vector_symbol_gradient_has_symbol_shape(self):
        e = sg.parse("sum(w*w) + dot(w, [1, 2, 3])", shapes={"w": (3,)})
        g = sg.grad(e)
        assert g["w"].shape == (3,)
        w = np.array([0.5, -1.0, 2.0])
        assert close(g["w"].eval(w=w), 2 * w + np.array([1, 2, 3]))

    def test_matrix_symbol_gradient_has_symbol_shape(self):
        e = sg.parse("sum(A @ v)", shapes={"A": (2, 3), "v": (3,)})
        g = sg.grad(e)
        assert g["A"].shape == (2, 3) and g["v"].shape == (3,)
        v = np.array([1.0, 2.0, 3.0])
        A = np.arange(6.0).reshape(2, 3)
        assert close(g["A"].eval(A=A, v=v), np.ones((2, 1)) * v)
        assert close(g["v"].eval(A=A, v=v), A.sum(axis=0))


class TestKinkConventions:
    def test_abs_at_zero(self):
        assert close(sg.diff(sg.parse("abs(x)"), "x").eval(x=0.0), 0.0)

    def test_relu_at_zero(self):
        assert close(sg.diff(sg.parse("relu(x)"), "x").eval(x=0.0), 0.0)

    def test_clamp_passes_gradient_at_bounds(self):
        d = sg.diff(sg.parse("clamp(x, 0, 1)"), "x")
        assert close(d.eval(x=np.array([0.0, 1.0, 0.5, -1.0, 2.0])), [1, 1, 1, 0, 0])

    @pytest.mark.parametrize("fn", ["max", "min"])
    def test_max_min_split_at_tie(self, fn):
        g = sg.grad(sg.parse(f"{fn}(x, y)"))
        assert close(g["x"].eval(x=1.0, y=1.0), 0.5)
        assert close(g["y"].eval(x=1.0, y=1.0), 0.5)

    def test_where_differentiates_only_selected_branch_symbolic(self):
        d = sg.diff(sg.parse("where(x > 0, sqrt(x), 0)"), "x")
        with np.errstate(all="raise"):
            pass
        assert close(d.eval(x=0.0), 0.0)
        assert close(d.eval(x=4.0), 0.25)

    def test_where_log_other_branch(self):
        e = sg.parse("where(x > 0, log(x), x)")
        assert close(sg.diff(e, "x").eval(x=np.array([-1.0, 0.0, 2.0])), [1.0, 1.0, 0.5])

    def test_kinks_match_torch(self):
        torch = pytest.importorskip("torch")
        for text, tfn in [("abs(x)", torch.abs), ("relu(x)", torch.relu),
                          ("clamp(x, 0, 1)", lambda t: torch.clamp(t, 0, 1))]:
            t = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
            tfn(t).sum().backward()
            got = sg.diff(sg.parse(text), "x").eval(x=np.array([0.0, 1.0]))
            assert close(got, t.grad.numpy()), text


class TestHigherOrderSwell:
    def test_order_10_derivative_stays_compact(self):
        text = "exp(sin(x))*x/(1+x*x)"
        d = sg.diff(sg.parse(text), "x", order=10)
        xs = sympy.Symbol("x")
        ref = sympy.diff(sympy.exp(sympy.sin(xs)) * xs / (1 + xs * xs), xs, 10)
        assert close(d.eval(x=0.3), float(ref.subs(xs, 0.3)), rtol=1e-8)
        assert d.size <= 4 * sympy.count_ops(ref)


def test_differentiation_takes_text_and_sympy_expressions_as_the_contract_says():
    import sympy
    x = sg.symbols("x")
    assert sg.diff("x^2", "x") is 2 * x
    assert sg.diff(sympy.sin(sympy.Symbol("x")), "x") is sg.cos(x)
    assert sg.grad("x*y")["y"] is x
    assert sg.hessian("x^2", ["x"]) == [[sg.constant(2)]]
    assert sg.jacobian(["x*y", "x + y"], ["x", "y"])[1] == [sg.constant(1), sg.constant(1)]
    with pytest.raises(sg.ParseError):
        sg.diff("x +* 2", "x")
