"""Batched evaluation (API.md section 3 batch semantics) and substitution."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

import symgrad as sg
from symgrad.core.shapes import broadcast, summed_axes
from strategies import E_TEXT, close


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
    assert expr.subs({"x": 2, "u": 0}) is sg.constant(12)


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


UNARY_ORACLES = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "exp": np.exp,
    "log": np.log, "log2": np.log2, "log10": np.log10, "sqrt": np.sqrt, "cbrt": np.cbrt,
    "abs": np.abs, "sign": np.sign, "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
    "relu": lambda v: np.maximum(v, 0.0), "softplus": lambda v: np.log1p(np.exp(v)),
    "erf": np.vectorize(math.erf),
}


POINTS = np.array([0.3, 0.77, -0.4, 0.05])


GUARDED = "where(x > 0, log(x), 0)"      # value 0 at x = -1: finite, inside the domain of where


class TestCalls:
    @pytest.mark.parametrize("name", sorted(UNARY_ORACLES))
    def test_unary_call_matches_numpy(self, name):
        p = sg.parse(f"{name}(x)")
        xs = np.abs(POINTS) if name in {"log", "log2", "log10", "sqrt"} else POINTS
        assert close(p.eval(x=xs), UNARY_ORACLES[name](xs))
        for v in xs:  # also one point at a time
            assert close(p.eval(x=float(v)), UNARY_ORACLES[name](v))

    @pytest.mark.parametrize("text, oracle", [
        ("atan2(x, y)", lambda x, y: np.arctan2(x, y)),
        ("min(x, y)", lambda x, y: np.minimum(x, y)),
        ("max(x, y)", lambda x, y: np.maximum(x, y)),
        ("clamp(x, -0.2, 0.5)", lambda x, y: np.clip(x, -0.2, 0.5)),
        ("where(x > y, x, 2*y)", lambda x, y: np.where(x > y, x, 2 * y)),
    ])
    def test_binary_and_ternary_calls(self, text, oracle):
        xs, ys = POINTS, np.array([0.1, 0.9, -0.4, -1.0])
        assert close(sg.parse(text).eval(x=xs, y=ys), oracle(xs, ys))

    @pytest.mark.parametrize("op, npop", [
        ("<", np.less), ("<=", np.less_equal), (">", np.greater), (">=", np.greater_equal),
        ("==", np.equal), ("!=", np.not_equal),
    ])
    def test_comparisons_inside_where(self, op, npop):
        xs, ys = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
        got = sg.parse(f"where(x {op} y, 10, -1)").eval(x=xs, y=ys)
        assert close(got, np.where(npop(xs, ys), 10.0, -1.0))

    @pytest.mark.parametrize("text, oracle", [
        ("sum(a)", np.sum), ("mean(a)", np.mean), ("prod(a)", np.prod),
        ("norm(a)", np.linalg.norm), ("dot(a, b)", None),
    ])
    def test_reductions(self, text, oracle):
        a, b = np.array([1.5, -2.0, 3.0]), np.array([0.5, 4.0, 1.0])
        p = sg.parse(text, shapes={"a": (3,), "b": (3,)})
        expected = np.dot(a, b) if oracle is None else oracle(a)
        assert p.shape == ()
        assert close(p.eval(a=a, b=b), expected)

    def test_transpose_and_dot_T(self):
        M = np.arange(6.0).reshape(2, 3)
        for text in ("transpose(M)", "M.T"):
            p = sg.parse(text, shapes={"M": (2, 3)})
            assert p.shape == (3, 2)
            assert close(p.eval(M=M), M.T)
        p = sg.parse("M.T @ M", shapes={"M": (2, 3)})
        assert close(p.eval(M=M), M.T @ M)


class TestExprAttributes:
    def test_eval_scalar_and_batch(self):
        e = sg.parse(E_TEXT)
        assert close(e.eval(x=3, u=2), 51.0)
        xs = np.linspace(-1, 1, 7)
        assert close(e.eval(x=xs, u=2.0), 3*xs**2 + 4*xs + 4*xs)
        us = np.array([[1.0], [2.0]])
        out = e.eval(x=xs, u=us)           # batch shapes broadcast: (2,1) with (7,) -> (2,7)
        assert np.shape(out) == (2, 7)
        assert close(out, 3*xs**2 + 4*xs + 2*us*xs)


class TestBatchSemantics:
    def test_vector_symbol_batch(self):
        f = sg.parse("sum(w*w)*s", shapes={"w": (3,)})
        W, S = np.arange(12.0).reshape(4, 3), np.arange(4.0) + 1
        assert np.shape(f.eval(w=W, s=S)) == (4,)
        assert close(f.eval(w=W, s=S), (W * W).sum(axis=1) * S)

    def test_batch_shapes_broadcast(self):
        f = sg.parse("x*y")
        out = f.eval(x=np.ones((4, 1)), y=np.arange(5.0))
        assert np.shape(out) == (4, 5)

    def test_vector_result_has_batch_then_core_shape(self):
        f = sg.parse("A @ v", shapes={"A": (2, 3), "v": (3,)})
        A = np.random.default_rng(0).normal(size=(5, 2, 3))
        v = np.random.default_rng(1).normal(size=(5, 3))
        out = f.eval(A=A, v=v)
        assert np.shape(out) == (5, 2)
        assert close(out, np.einsum("bij,bj->bi", A, v))
        out2 = sg.compile(f)(A=A, v=v)
        assert close(out2, np.einsum("bij,bj->bi", A, v))

    def test_eval_ignores_a_value_for_a_variable_the_expression_lost(self):
        # Was xfail: the result's shape depended on which other symbols named x were alive (a
        # process-wide table of declared shapes). Documented rule now: a value for a name the
        # expression does not use is ignored, shape included, whatever else is alive; compile
        # and reverse know all of f's variables and give the constant gradient per point.
        other = sg.symbols("x", shape=(3,))      # a vector x elsewhere in the program
        f = sg.parse("3*x + 2*u")
        g = sg.grad(f)
        out = g["x"].eval(x=np.arange(3.0), u=1.0)
        assert other.shape == (3,)
        assert np.shape(out) == () and out == 3.0
        del other
        assert np.shape(g["x"].eval(x=np.arange(3.0), u=1.0)) == ()
        _, per_point = sg.compile(f, grad=True)(x=np.arange(3.0), u=1.0)
        assert np.shape(per_point["x"]) == (3,) and close(per_point["x"], 3.0)
        _, per_point = sg.reverse(f, at={"x": np.arange(3.0), "u": 1.0})
        assert np.shape(per_point["x"]) == (3,) and close(per_point["x"], 3.0)


class TestErrors:
    @pytest.mark.parametrize("text, x, kind", [
        ("log(x)", -1.0, "nan"), ("sqrt(x)", -4.0, "nan"), ("asin(x)", 2.0, "nan"),
        ("acos(x)", -2.0, "nan"), ("log2(x)", -1.0, "nan"), ("log10(x)", -1.0, "nan"),
        ("1/x", 0.0, "inf"), ("log(x)", 0.0, "-inf"),
    ])
    def test_ieee_outside_domain(self, text, x, kind):
        e = sg.parse(text)
        v = float(e.eval(x=x))
        want = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[kind]
        assert close(v, want)
        assert close(sg.compile(e)(x=x), want)
        val, _ = sg.reverse(e, at={"x": x})
        assert close(val, want)

    def test_domain_nan_in_batch_does_not_spoil_others(self):
        out = sg.parse("sqrt(x)").eval(x=np.array([4.0, -1.0, 9.0]))
        assert close(out, [2.0, np.nan, 3.0])

    def test_eval_errors_raise(self):
        with pytest.raises(sg.DomainError) as info:
            sg.parse("1 + log(x)").eval(x=-1.0, errors="raise")
        msg = str(info.value)
        assert "log" in msg and "-1" in msg

    def test_eval_errors_raise_names_point_in_batch(self):
        with pytest.raises(sg.DomainError) as info:
            sg.parse("sqrt(x)").eval(x=np.array([1.0, -4.0]), errors="raise")
        assert "sqrt" in str(info.value) and "-4" in str(info.value)

    def test_eval_errors_raise_no_error_in_domain(self):
        assert close(sg.parse("log(x)").eval(x=1.0, errors="raise"), 0.0)

    def test_eval_missing_value_is_symgrad_error(self):
        with pytest.raises(sg.SymgradError):
            sg.parse("x + y").eval(x=1.0)

    def test_eval_bad_value_shape(self):
        e = sg.parse("x + y", shapes={"x": (3,), "y": (3,)})
        with pytest.raises(sg.SymgradError):
            e.eval(x=np.ones(3), y=np.ones(4))

    @pytest.mark.parametrize("text", ["9**9**9**9", "10**400", "1e999",
                                      "99999999999999999999999999999999999999 ** 99999999",
                                      "2**2**2**2**2**2"])
    def test_huge_powers_no_hang(self, text):
        start = time.perf_counter()
        try:
            v = sg.parse(text).eval()
        except sg.SymgradError:
            v = math.inf
        assert time.perf_counter() - start < 5
        assert float(v) == math.inf        # every one of these overflows float64


class TestGuardedDomains:
    def test_guarded_value_is_finite(self):
        assert close(sg.parse(GUARDED).eval(x=-1.0), 0.0)

    @pytest.mark.parametrize("how", ["eval", "reverse", "kernel", "kernel-grad"])
    def test_errors_raise_ignores_unselected_where_branch(self, how):
        e = sg.parse(GUARDED)
        if how == "eval":
            assert close(e.eval(x=-1.0, errors="raise"), 0.0)
        elif how == "reverse":
            val, g = sg.reverse(e, at={"x": -1.0}, errors="raise")
            assert close(val, 0.0) and close(g["x"], 0.0)
        elif how == "kernel":
            assert close(sg.compile(e, errors="raise")(x=-1.0), 0.0)
        else:
            val, g = sg.compile(e, grad=True, errors="raise")(x=np.array([-1.0, 2.0]))
            assert close(val, [0.0, math.log(2.0)]) and close(g["x"], [0.0, 0.5])
