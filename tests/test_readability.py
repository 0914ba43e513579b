"""Readability: textbook derivatives print as a teacher (and SymPy's printer) writes them.

Each row is d/dx of a textbook function with the exact text expected: SymPy's term and factor
order, negative powers as quotients, exact numbers. Rows marked "needs the simplifier" need a
rewrite (cancellation, factoring) that the rewrite table does not do yet.
"""

from __future__ import annotations

import pytest

import symgrad as sg

SIMPLIFIER = pytest.mark.xfail(strict=False, reason="needs a rewrite the simplifier does not do yet")

TABLE = [
    ("x**3 - 2*x + 1", "3*x**2 - 2"),
    ("3*x**2 + 4*x + 2*u*x", "2*u + 6*x + 4"),
    ("x**2 + y**2", "2*x"),
    ("sin(x)", "cos(x)"),
    ("cos(x)", "-sin(x)"),
    ("tan(x)", "tan(x)**2 + 1"),
    ("exp(x)", "exp(x)"),
    ("log(x)", "1/x"),
    ("x*sin(x)", "x*cos(x) + sin(x)"),
    ("x**2*cos(x)", "-x**2*sin(x) + 2*x*cos(x)"),
    ("sin(x)*cos(x)", "-sin(x)**2 + cos(x)**2"),
    ("exp(x)*sin(x)", "exp(x)*sin(x) + exp(x)*cos(x)"),
    ("x*exp(x)", "x*exp(x) + exp(x)"),
    ("x*log(x)", "log(x) + 1"),
    ("log(x)/x", "-log(x)/x**2 + 1/x**2"),
    ("sin(x)/x", "cos(x)/x - sin(x)/x**2"),
    ("exp(2*x)", "2*exp(2*x)"),
    ("exp(-x)", "-exp(-x)"),
    ("sin(3*x)", "3*cos(3*x)"),
    ("cos(x**2)", "-2*x*sin(x**2)"),
    ("exp(x**2)", "2*x*exp(x**2)"),
    ("log(x**2 + 1)", "2*x/(x**2 + 1)"),
    ("sqrt(x)", "1/(2*sqrt(x))"),
    ("1/x", "-1/x**2"),
    ("1/x**2", "-2/x**3"),
    ("1/(x + 1)", "-1/(x + 1)**2"),
    ("x/(x + 1)", "-x/(x + 1)**2 + 1/(x + 1)"),
    ("1/(1 + exp(-x))", "exp(-x)/(1 + exp(-x))**2"),
    ("asin(x)", "1/sqrt(1 - x**2)"),
    ("acos(x)", "-1/sqrt(1 - x**2)"),
    ("atan(x)", "1/(x**2 + 1)"),
    pytest.param("atan(1/x)", "-1/(x**2 + 1)", marks=SIMPLIFIER),
    ("sinh(x)", "cosh(x)"),
    ("cosh(x)", "sinh(x)"),
    ("tanh(x)", "1 - tanh(x)**2"),
    ("2**x", "2**x*log(2)"),
    pytest.param("x**x", "x**x*(log(x) + 1)", marks=SIMPLIFIER),
    ("x**4 - 3*x**2", "4*x**3 - 6*x"),
    ("(x + 1)**3", "3*(x + 1)**2"),
    pytest.param("(2*x + 1)**2", "8*x + 4", marks=SIMPLIFIER),
    ("x**2*exp(x)", "x**2*exp(x) + 2*x*exp(x)"),
    ("log(sin(x))", "cos(x)/sin(x)"),
    ("sin(x)**2", "2*sin(x)*cos(x)"),
    ("cos(x)**2", "-2*sin(x)*cos(x)"),
    ("exp(sin(x))", "exp(sin(x))*cos(x)"),
    ("sqrt(x**2 + 1)", "x/sqrt(x**2 + 1)"),
    ("1/(x**2 + 1)", "-2*x/(x**2 + 1)**2"),
    ("x*y", "y"),
    ("log(x*y)", "1/x"),
    ("x**2*y", "2*x*y"),
]


@pytest.mark.parametrize(("function", "expected"), TABLE)
def test_textbook_derivative_prints_as_a_teacher_writes_it(function: str, expected: str) -> None:
    assert str(sg.diff(function, "x")) == expected


def test_the_table_holds_over_40_derivatives() -> None:
    assert len(TABLE) >= 40


@pytest.mark.parametrize("text", ["x**2 + y**2", "y**2 + x**2", "x*y + y**2 + x**2", "4 + 2*u + 6*x",
                                  "1 - x**2", "x - x**2", "exp(x) + 1", "1 + x + 1/x",
                                  "cos(x)*x**2 + 2*sin(x)*x", "tan(x)**2 + 1"])
def test_terms_and_factors_print_in_sympys_order(text: str) -> None:
    expr = sg.parse(text)
    assert str(expr) == str(expr.to_sympy())
    assert sg.parse(str(expr)) is expr
