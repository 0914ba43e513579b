"""Taylor mode (`sg.taylor`) and exact series (`sg.series`), against SymPy.

Every operation of the table is expanded along a line through a point of its domain and its
coefficients 0..8 compared with SymPy's derivatives there, so a missing or wrong Taylor rule
(explicit, or derived from the derivative rule) fails here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import sympy

import symgrad as sg
from symgrad.core.expr import apply
from symgrad.core.opspec import OPS, OpSpec
from test_ops_table import STRUCTURED, interval

ORDER = 8
COMPARISONS = {"lt", "le", "gt", "ge", "eq", "ne"}
T = sympy.Symbol("t", real=True)


def _sympy_coefficients(f: sympy.Expr, order: int, at: Any = 0) -> np.ndarray:
    """f's Taylor coefficients in t at `at` from SymPy's derivatives (an independent oracle)."""
    coefficients, current = [], sympy.sympify(f).subs(sympy.Symbol("t"), T)
    for k in range(order + 1):
        value = current.subs(T, at).doit()
        coefficients.append(complex(sympy.N(value, 30)).real / math.factorial(k))
        current = sympy.diff(current, T)
    return np.array(coefficients)


def _line(spec: OpSpec, position: int) -> sg.Expr:
    """An argument moving along t through the middle of the op's domain interval."""
    low, high = interval(spec, position)
    middle = low + (high - low) * (0.45 + 0.1 * position)
    slope = (high - low) * 0.1 * (-1) ** position * (1 + position)
    return middle + slope * sg.symbols("t")


def _elementwise_cases() -> list[Any]:
    cases = []
    for spec in OPS.values():
        if not spec.elementwise:
            continue
        if spec.name == "pow":
            for exponent in (3, -2, 0.5, 2.5, 0):
                cases.append(pytest.param(spec, {"exponent": exponent}, id=f"pow{exponent}"))
        else:
            cases.append(pytest.param(spec, {}, id=spec.name))
    return cases


@pytest.mark.parametrize("spec, params", _elementwise_cases())
def test_taylor_coefficients_of_every_elementwise_op_match_sympy(spec: OpSpec, params: dict[str, Any]):
    arity = spec.arity if spec.arity >= 0 else 3
    expr = apply(spec.name, *[_line(spec, i) for i in range(arity)], **params)
    ours = sg.taylor(expr, "t", at=0.0, order=ORDER)
    if spec.name in COMPARISONS:  # SymPy has no value for a relation: hand-derived, a step
        reference = np.array([float(expr.eval(t=0.0))] + [0.0] * ORDER)
    else:
        reference = _sympy_coefficients(expr.to_sympy(), ORDER)
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-11)


def _structured_cases() -> list[Any]:
    return [pytest.param(name, shapes, params, id=f"{name}-{number}")
            for name, examples in STRUCTURED.items()
            for number, (shapes, params) in enumerate(examples)]


@pytest.mark.parametrize("name, shapes, params", _structured_cases())
def test_taylor_coefficients_of_every_array_op_match_sympy(name: str, shapes: list[tuple[int, ...]],
                                                          params: dict[str, Any]):
    spec = OPS[name]
    rng = np.random.default_rng(len(name))
    args = []
    for position, shape in enumerate(shapes):
        low, high = interval(spec, position)
        base = rng.uniform(low + 0.3 * (high - low), high - 0.3 * (high - low), shape)
        slope = rng.uniform(-0.2, 0.2, shape) * (high - low)
        args.append(sg.constant(base) + sg.constant(slope) * sg.sin(sg.symbols("t")))
    expr = apply(name, *args, **params)
    # One scalar per element, so SymPy's oracle sees every element's series.
    ours = sg.taylor(expr, "t", at=0.0, order=6)
    elements = np.asarray(expr.to_sympy(), dtype=object)
    for position in np.ndindex(*expr.shape):
        reference = _sympy_coefficients(sympy.sympify(elements[position]), 6)
        np.testing.assert_allclose(ours[(slice(None),) + position], reference, rtol=1e-9, atol=1e-11)


def test_taylor_is_batched_over_points_and_other_variables():
    points = np.array([0.1, 0.5, 1.5])
    coefficients = sg.taylor("exp(y*x)*sin(x)", "x", at=points, order=5, values={"y": 2.0})
    assert coefficients.shape == (6, 3)
    f = sympy.exp(2 * T) * sympy.sin(T)
    for column, point in enumerate(points):
        np.testing.assert_allclose(coefficients[:, column], _sympy_coefficients(f, 5, point),
                                   rtol=1e-12)
    grid = sg.taylor("x*y", "x", at=np.array([[1.0], [2.0]]), order=2, values={"y": np.ones(4)})
    assert grid.shape == (3, 2, 4)
    np.testing.assert_array_equal(grid[1], np.ones((2, 4)))


def test_taylor_of_tan_to_order_12_is_the_tangent_numbers():
    # tan x = x + x^3/3 + 2x^5/15 + 17x^7/315 + 62x^9/2835 + 1382x^11/155925
    expected = [0, 1, 0, 1 / 3, 0, 2 / 15, 0, 17 / 315, 0, 62 / 2835, 0, 1382 / 155925, 0]
    np.testing.assert_allclose(sg.taylor("tan(x)", "x", at=0.0, order=12), expected, atol=1e-15)


def test_where_keeps_the_unselected_branch_out_of_every_coefficient():
    coefficients = sg.taylor("where(x > 0, sqrt(x), 0)", "x", at=np.array([-1.0, 0.0]), order=3)
    assert np.all(np.isfinite(coefficients))
    np.testing.assert_array_equal(coefficients, np.zeros((4, 2)))


def test_kinks_take_pytorchs_one_sided_choice():
    # abs'(0) = 0 as in the derivative rules; every higher coefficient of |x| is 0 too.
    np.testing.assert_array_equal(sg.taylor("abs(x)", "x", at=0.0, order=3), [0, 0, 0, 0])
    np.testing.assert_array_equal(sg.taylor("abs(x)", "x", at=-2.0, order=2), [2, -1, 0])


def test_singular_points_give_inf_or_nan_not_a_wrong_number():
    coefficients = sg.taylor("sqrt(x)", "x", at=0.0, order=2)
    assert coefficients[0] == 0 and not np.isfinite(coefficients[1])


def test_whole_powers_expand_exactly_through_zero():
    np.testing.assert_array_equal(sg.taylor("(x - 1)^3", "x", at=1.0, order=4), [0, 0, 0, 1, 0])


def test_a_deep_expression_needs_no_recursion():
    x = sg.symbols("x")
    e = x
    for _ in range(5000):
        e = sg.sin(e)
    coefficients = sg.taylor(e, "x", at=0.0, order=3)
    # sin∘...∘sin (n times) = x - n x^3/6 + ...
    np.testing.assert_allclose(coefficients, [0, 1, 0, -5000 / 6], rtol=1e-12)


def test_taylor_order_12_of_the_benchmark_function_is_fast_and_right():
    import time
    e = sg.parse("exp(sin(x))*x/(1+x^2)")
    start = time.perf_counter()
    coefficients = sg.taylor(e, "x", at=0.5, order=12)
    assert time.perf_counter() - start < 1.0  # the bar (5 ms) is measured in benchmarks/
    np.testing.assert_allclose(coefficients,
                               _sympy_coefficients(sympy.exp(sympy.sin(T)) * T / (1 + T**2), 12,
                                                   sympy.Rational(1, 2)), rtol=1e-10)


@pytest.mark.parametrize("call, error", [
    (lambda: sg.taylor("x*y", "w", at=0.0, values={"x": 1.0, "y": 2.0}), None),
    (lambda: sg.taylor("sum(w)", "w", shapes=None) if False else sg.taylor(
        sg.sum(sg.symbols("w", shape=(3,))), "w", at=np.zeros(3)), sg.ShapeError),
    (lambda: sg.taylor("sin(x)", "x", order=-1), sg.ShapeError),
    (lambda: sg.taylor("sin(x)", "x", order=10**6), sg.LimitError),
    (lambda: sg.taylor("x*y", "x", at=0.0), sg.ArgumentError),
])
def test_taylor_rejects_bad_requests_clearly(call: Any, error: Any):
    if error is None:  # a variable the expression does not use: its series is the constant
        np.testing.assert_array_equal(call(), [2, 0, 0, 0, 0, 0, 0])
    else:
        with pytest.raises(error):
            call()


# -- exact series ---------------------------------------------------------------------------
TEXTBOOK = [
    ("exp(x)", 6), ("sin(x)", 7), ("cos(x)", 6), ("log(1 + x)", 5), ("1/(1 - x)", 5),
    ("sqrt(1 + x)", 4), ("(1 + x)^(1/3)", 3), ("tan(x)", 7), ("atan(x)", 7), ("sinh(x)", 5),
    ("cosh(x)", 6), ("tanh(x)", 5), ("asin(x)", 5), ("exp(x)*sin(x)", 5), ("1/(1 + x^2)", 6),
    ("exp(-x^2/2)", 6), ("log(1 - x)", 4), ("x*exp(x)", 4), ("sec(x)", 4), ("exp(2*x)", 4),
    ("1/sqrt(1 - x^2)", 6), ("sin(x)^2", 6),
]


@pytest.mark.parametrize("text, order", TEXTBOOK)
def test_series_equals_sympys_taylor_polynomial(text: str, order: int):
    ours = sg.series(text, "x", order=order)
    x = sympy.Symbol("x")
    reference = sympy.series(sg.parse(text).to_sympy(), x, 0, order + 1).removeO()
    difference = sympy.expand(sympy.nsimplify(ours.to_sympy(), rational=True) - reference)
    assert difference == 0, (str(ours), str(reference))


@pytest.mark.parametrize("text, order", TEXTBOOK)
def test_series_prints_as_sympy_prints_the_taylor_polynomial(text: str, order: int):
    x = sympy.Symbol("x")
    reference = sympy.series(sg.parse(text).to_sympy(), x, 0, order + 1).removeO()
    assert str(sg.series(text, "x", order=order)) == str(reference)


def test_series_about_another_point_and_with_other_variables():
    ours = sg.series("exp(a*x)", "x", at=1, order=3)
    x, a = sympy.symbols("x a")
    reference = sympy.series(sympy.exp(a * x), x, 1, 4).removeO()
    assert sympy.simplify(ours.to_sympy() - reference) == 0


@pytest.mark.parametrize("text", ["log(x)", "1/x", "sqrt(x)", "x^0.5"])
def test_series_at_a_singular_point_is_a_clear_error(text: str):
    with pytest.raises(sg.DomainError, match="no Taylor series"):
        sg.series(text, "x", at=0)


def test_series_from_the_command_line():
    from symgrad.cli import main
    assert main(["series", "exp(x)", "--order", "2"]) == 0
    assert main(["series", "log(x)"]) == 2


def test_series_and_compile_take_text_as_every_function_does():
    assert sg.series("sin(x)", "x", at="pi", order=1) is sg.series("sin(x)", "x", at=sg.pi, order=1)
    assert sg.compile("x^2")(x=3.0) == 9.0
