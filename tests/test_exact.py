"""Exact numbers (API 1b): integers and rationals are exact, pi and e symbolic, decimals stay
decimals; derivatives print exactly and equal SymPy's; numbers are unchanged in numeric paths."""

from __future__ import annotations

import math
import pickle
import time
from fractions import Fraction
from typing import Callable

import numpy as np
import pytest
import sympy

import symgrad as sg
from symgrad.core import limits

X = sympy.Symbol("x")
R = sympy.Rational

# (text, the same function written in SymPy by hand): the oracle is SymPy's own diff.
TABLE: list[tuple[str, Callable[[], sympy.Expr]]] = [
    ("x/2", lambda: X / 2),
    ("x^(1/3)", lambda: X ** R(1, 3)),
    ("log10(x)", lambda: sympy.log(X, 10)),
    ("4/3*pi*x^3", lambda: R(4, 3) * sympy.pi * X**3),
    ("exp(-x^2/2)/sqrt(2*pi)", lambda: sympy.exp(-X**2 / 2) / sympy.sqrt(2 * sympy.pi)),
    ("sqrt(x)", lambda: sympy.sqrt(X)),
    ("asin(x)", lambda: sympy.asin(X)),
    ("acos(x)", lambda: sympy.acos(X)),
    ("atan(x)", lambda: sympy.atan(X)),
    ("x^(2/3)", lambda: X ** R(2, 3)),
    ("1/x^2", lambda: 1 / X**2),
    ("3x^2/4", lambda: R(3, 4) * X**2),
    ("log2(x)", lambda: sympy.log(X, 2)),
    ("2^x", lambda: 2**X),
    ("10^x", lambda: 10**X),
    ("e^(3x)", lambda: sympy.exp(3 * X)),
    ("exp(x/3)", lambda: sympy.exp(X / 3)),
    ("sin(pi*x)", lambda: sympy.sin(sympy.pi * X)),
    ("cos(x/2)", lambda: sympy.cos(X / 2)),
    ("tan(2x/3)", lambda: sympy.tan(2 * X / 3)),
    ("erf(x)", lambda: sympy.erf(X)),
    ("sqrt(1 - x^2)", lambda: sympy.sqrt(1 - X**2)),
    ("sqrt(x^2 + 1)", lambda: sympy.sqrt(X**2 + 1)),
    ("x*log(x)", lambda: X * sympy.log(X)),
    ("log(x)/x", lambda: sympy.log(X) / X),
    ("atan(x/2)", lambda: sympy.atan(X / 2)),
    ("1/sqrt(x)", lambda: 1 / sympy.sqrt(X)),
    ("x^(5/2)", lambda: X ** R(5, 2)),
    ("(x^2 + 1)^(3/2)", lambda: (X**2 + 1) ** R(3, 2)),
    ("sinh(x/2)", lambda: sympy.sinh(X / 2)),
    ("asinh(x)", lambda: sympy.asinh(X)),
    ("log(x, 3)", lambda: sympy.log(X, 3)),
    ("pi*x^2", lambda: sympy.pi * X**2),
    ("x/pi", lambda: X / sympy.pi),
    ("e*x", lambda: sympy.E * X),
    ("sigmoid(x)", lambda: 1 / (1 + sympy.exp(-X))),
    ("exp2(x)", lambda: 2**X),
    ("sec(x)^2/2", lambda: sympy.sec(X) ** 2 / 2),
    ("x^(-1/3)", lambda: X ** R(-1, 3)),
    ("sqrt(3)*x^2", lambda: sympy.sqrt(3) * X**2),
]
POINTS = np.array([0.3, 0.55, 0.8])


@pytest.mark.parametrize(("text", "function"), TABLE, ids=[text for text, _ in TABLE])
def test_derivative_is_exact_and_equals_sympys(text: str, function: Callable[[], sympy.Expr]):
    derivative = sg.diff(text, "x")
    printed = str(derivative)
    assert "." not in printed, printed                      # no decimal anywhere
    ours = derivative.to_sympy()
    assert not ours.atoms(sympy.Float), ours                # exact in SymPy too
    theirs = sympy.diff(function(), X)
    assert sympy.simplify(ours - theirs) == 0, (printed, theirs)
    assert sg.parse(printed) is derivative                  # the exact text reads back
    # ... and its numbers are SymPy's float64 values of the same function.
    expected = sympy.lambdify(X, theirs, "numpy")(POINTS)
    np.testing.assert_allclose(derivative.eval(x=POINTS), expected, rtol=1e-12)
    np.testing.assert_allclose(sg.compile(derivative)(x=POINTS), expected, rtol=1e-12)


@pytest.mark.parametrize(("text", "printed"), [
    ("x/2", "1/2"), ("x^(1/3)", "1/(3*x**(2/3))"), ("log10(x)", "1/(x*log(10))"),
    ("4/3*pi*r^3", "4*pi*r**2"), ("sqrt(x)", "1/(2*sqrt(x))"), ("asin(x)", "1/sqrt(1 - x**2)"),
])
def test_derivatives_print_as_the_contract_shows(text: str, printed: str):
    wrt = "r" if "r^" in text else "x"
    assert str(sg.diff(text, wrt)) == printed


def test_the_gaussian_keeps_pi():
    derivative = sg.diff("exp(-x^2/2)/sqrt(2*pi)", "x")
    assert "pi" in str(derivative) and "6.28" not in str(derivative)
    assert derivative.to_sympy().has(sympy.pi)


# -- decimals stay decimals -----------------------------------------------------------------------
def test_a_decimal_literal_stays_a_decimal():
    assert str(sg.diff("0.5*x", "x")) == "0.5"
    assert str(sg.diff("2.5e3*x", "x")) == "2500.0"
    assert str(sg.diff("x^2.0", "x")) == "2.0*x"
    assert sg.parse("0.5").exact is None and sg.parse("1/2").exact == Fraction(1, 2)
    assert sg.parse("x/2") is not sg.parse("0.5*x")          # documented: two nodes
    assert sg.parse("x^2") is not sg.parse("x^2.0")


def test_exact_one_third_and_its_decimal_are_distinct_nodes():
    third = sg.constant(Fraction(1, 3))
    assert sg.parse("1/3") is third
    assert third is not sg.constant(1 / 3)
    assert sg.parse("0.3333333333333333") is sg.constant(1 / 3)
    assert float(third) == 1 / 3


def test_exact_with_decimal_is_a_decimal():
    assert sg.parse("1/2 + 0.5") is sg.constant(1.0)
    assert str(sg.parse("1/2 + 0.5")) == "1.0"
    assert sg.parse("2*0.25") is sg.constant(0.5)
    assert sg.parse("1/2 + 1/3") is sg.constant(Fraction(5, 6))
    x = sg.symbols("x")
    assert x * 2 is sg.parse("2*x") and (x * 2.0) is sg.parse("2.0*x")


@pytest.mark.parametrize("text", [
    "0.5*x", "2.0*x", "x**2.0", "-1.0*x", "a - 1.0*x", "1.0*x", "x**-1.0", "x/2", "-3*x/4",
    "x**(1/3)", "x**(-2/3)/3", "-3/4", "1/2", "2*pi*x", "e*x + 1", "x**pi", "1/pi", "sqrt(2)*x",
    "0.1 + x/10", "10**10000000000", "2**(1/2)", "1e-05*x", "1e+300*x",
])
def test_text_round_trips_exact_and_decimal_numbers(text: str):
    expr = sg.parse(text)
    assert sg.parse(str(expr)) is expr, str(expr)


def test_exact_numbers_print_as_fractions():
    assert str(sg.parse("-3/4")) == "-3/4"
    assert str(sg.parse("x/2")) == "x/2"
    assert str(sg.parse("3*x/4 + 1/2")) == "3*x/4 + 1/2"
    assert sg.parse("1/2").latex() == r"\frac{1}{2}"
    assert sg.parse("x/2").latex() == r"\frac{x}{2}"
    assert sg.parse("pi").latex() == r"\pi" and sg.parse("e").latex() == "e"
    assert sg.parse("2*pi*x").latex() == r"2 \pi x"
    assert sg.parse("(1/3)^x").latex() == r"\left(\frac{1}{3}\right)^{x}"
    assert sg.diff("x^(1/3)", "x").latex() == r"\frac{1}{3 x^{\frac{2}{3}}}"


# -- folding --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "value"), [
    ("4^(1/2)", 2), ("8^(2/3)", 4), ("(1/4)^(1/2)", Fraction(1, 2)), ("(4/9)^(-3/2)", Fraction(27, 8)),
    ("sqrt(4)", 2), ("sqrt(9/4)", Fraction(3, 2)), ("log(1)", 0), ("exp(0)", 1), ("sin(0)", 0),
    ("cos(0)", 1), ("log10(1000)", 3), ("log2(1/8)", -3), ("abs(-3/4)", Fraction(3, 4)),
    ("max(1/3, 1/2)", Fraction(1, 2)), ("2^10", 1024), ("(2/3)^3", Fraction(8, 27)),
    ("2^-2", Fraction(1, 4)), ("cbrt(-27)", -3), ("sigmoid(0)", Fraction(1, 2)),
    ("log(e)", 1), ("cos(pi)", -1), ("sin(pi)", 0), ("ln(e)*x/x", 1),
])
def test_functions_of_exact_numbers_fold_when_the_result_is_exact(text: str, value: Fraction):
    assert sg.parse(text) is sg.constant(Fraction(value))


@pytest.mark.parametrize(("text", "printed", "value"), [
    ("sqrt(2)", "sqrt(2)", math.sqrt(2)), ("log(3)", "log(3)", math.log(3)),
    ("log(10)", "log(10)", math.log(10)), ("exp(1)", "E", math.e), ("pi*2", "2*pi", 2 * math.pi),
    ("2^(1/2)", "sqrt(2)", math.sqrt(2)), ("e", "E", math.e), ("pi/4", "pi/4", math.pi / 4),
    ("sin(1)", "sin(1)", math.sin(1)), ("(-8)^(1/3)", "(-8)**(1/3)", math.nan),
])
def test_irrational_constants_stay_symbolic_and_evaluate_to_float64(text: str, printed: str,
                                                                     value: float):
    expr = sg.parse(text)
    assert str(expr) == printed
    np.testing.assert_equal(float(expr), value)
    np.testing.assert_equal(float(expr.eval()), value)
    np.testing.assert_equal(float(sg.compile(expr + sg.symbols("x") * 0)(x=1.0)), value)


def test_e_to_a_power_is_exp_and_pi_is_the_float64_in_kernels():
    x = sg.symbols("x")
    assert sg.parse("e^x") is sg.exp(x)
    assert sg.E ** x is sg.exp(x)
    kernel = sg.compile(sg.pi * x)
    assert kernel(x=2.0) == 2 * math.pi
    value, gradient = sg.reverse(sg.pi * x ** 2, at={"x": 3.0})
    assert value == math.pi * 9 and gradient["x"] == 2 * math.pi * 3


# -- the SymPy bridge -----------------------------------------------------------------------------
def test_to_sympy_gives_rationals_pi_and_e():
    assert sg.parse("1/3").to_sympy() == R(1, 3)
    assert sg.parse("x^(1/3)").to_sympy() == X ** R(1, 3)
    assert sg.parse("pi").to_sympy() is sympy.pi
    assert sg.parse("e").to_sympy() is sympy.E
    assert sg.parse("sqrt(2)").to_sympy() == sympy.sqrt(2)
    assert sg.parse("0.5").to_sympy() == sympy.Float(0.5)


def test_from_sympy_maps_exact_numbers_back_exactly():
    assert sg.from_sympy(R(1, 3)) is sg.parse("1/3")
    assert sg.from_sympy(sympy.pi) is sg.pi
    assert sg.from_sympy(sympy.E) is sg.E
    assert sg.from_sympy(sympy.sqrt(2)) is sg.parse("sqrt(2)")
    assert sg.from_sympy(sympy.Float(0.5)) is sg.constant(0.5)
    assert sg.from_sympy(X ** R(1, 3) / 2) is sg.parse("x^(1/3)/2")
    for text, _ in TABLE:
        derivative = sg.diff(text, "x")
        back = sg.from_sympy(derivative.to_sympy())
        assert not back.to_sympy().atoms(sympy.Float)


# -- pickling -------------------------------------------------------------------------------------
def test_exact_decimal_and_symbolic_constants_unpickle_to_the_same_nodes():
    x = sg.symbols("x")
    for expr in [sg.parse("1/3"), sg.parse("0.5"), sg.pi, sg.E, x ** Fraction(1, 3),
                 x ** 0.5, sg.diff("exp(-x^2/2)/sqrt(2*pi)", "x"), sg.parse("x^2 + x^2.0")]:
        assert pickle.loads(pickle.dumps(expr)) is expr


# -- the explosion guard --------------------------------------------------------------------------
def test_huge_exact_powers_stay_unevaluated_and_are_fast():
    start = time.perf_counter()
    tower = sg.parse("10^10^10")
    third = sg.parse("(1/3)^100000")
    assert time.perf_counter() - start < 2
    assert str(tower) == "10**10000000000" and tower.op == "pow"
    assert float(tower) == math.inf and float(third) == 0.0
    assert str(third) == "(1/3)**100000"


def test_exact_numbers_past_the_limit_raise_a_limit_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(limits, "MAX_EXACT_BITS", 64)
    assert sg.parse("2^100").op == "pow"                     # a power stays unevaluated
    with pytest.raises(sg.LimitError, match="MAX_EXACT_BITS"):
        sg.constant(2**70)
    with pytest.raises(sg.LimitError, match="MAX_EXACT_BITS"):
        sg.parse("12345678901234567890123")
    big = sg.constant(2**60)
    with pytest.raises(sg.LimitError, match="MAX_EXACT_BITS"):
        _ = big * big * sg.symbols("x")


# -- numeric layers ------------------------------------------------------------------------------
def test_numbers_are_the_float_evaluation_of_the_same_expression():
    x = sg.symbols("x")
    exact = sg.parse("x/3 + 2^(1/2)*x^(2/3) - pi/7")
    decimal = x * (1 / 3) + math.sqrt(2) * x ** (2 / 3) - math.pi / 7
    points = np.array([0.1, 1.0, 2.5])
    np.testing.assert_allclose(exact.eval(x=points), decimal.eval(x=points), rtol=1e-15)
    np.testing.assert_allclose(sg.compile(exact)(x=points), exact.eval(x=points), rtol=0)


def test_eager_tensors_compute_in_float64_and_trace_exactly():
    t = sg.tensor(3.0, requires_grad=True)
    y = 2 * t ** 2 + 0.5 * t
    y.backward()
    assert float(t.grad) == 12.5
    traced = sg.trace(lambda a: 2 * a ** 2 / 3, a=3.0)
    assert str(traced) == "2*a**2/3"
    assert str(sg.trace(lambda a: a * 0.5, a=1.0)) == "0.5*a"


@pytest.mark.parametrize("text", [
    "x^2*e^x", "ln(x)^2", "sin^2(x)", "(2x+1)^5", "x^x", "sec(x)", "acot(x)", "sinc(x)",
    "max(x, 1)", "clamp(x, 0, 1)", "norm([x, 2])", "softplus(x)", "cbrt(x)", "log_5(x)",
    "where(x > 0, x^2/2, 0)", "x^(1/3)", "asin(x)", "erf(x)", "sigmoid(x)",
])
def test_first_three_derivatives_have_no_decimal(text: str):
    for order in (1, 2, 3):
        printed = str(sg.diff(text, "x", order=order))
        assert "." not in printed, (order, printed)


@pytest.mark.parametrize("text", ["0/0", "x/0*0", "0*(1/0)", "0*log(0)"])
def test_zero_times_an_infinite_constant_is_nan_not_zero(text: str) -> None:
    # IEEE arithmetic and SymPy (0*zoo is nan) agree; folding it to 0 would be a wrong answer.
    with np.errstate(all="ignore"):
        assert np.isnan(sg.parse(text).eval(x=1.0))
    assert sympy.sympify(text) is sympy.nan  # the oracle reads these test literals the same way


def test_zero_times_a_finite_constant_or_a_symbol_stays_zero() -> None:
    assert str(sg.parse("0*sin(1)")) == "0" and str(sg.parse("0*x")) == "0"
