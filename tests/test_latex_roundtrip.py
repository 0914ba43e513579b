"""`.latex()` is the expression: read back by SymPy's LaTeX parser, it has the same values.

The oracle is `sympy.parsing.latex.parse_latex`, an independent reader of LaTeX, as
tests/latex_oracle.py uses it (shared with the larger audit of test_latex_audit.py).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import symgrad as sg
from symgrad.core.traverse import topological

from needs import module

module("antlr4", "SymPy's LaTeX parser (pip install 'antlr4-python3-runtime==4.11') is the oracle")
module("sympy", "SymPy is the oracle")
module("sympy.parsing.latex", "SymPy's LaTeX parser is the oracle")

from latex_oracle import latex_problem  # noqa: E402

# Everyday expressions of a calculus course and of machine learning; each is checked together
# with its derivatives.
CORPUS = [
    "x", "3*x", "x^2", "x^3 - 2*x + 1", "5*x^4 + 3*x^2 - 7", "(x + 1)^2", "(2*x - 3)^5",
    "1/x", "1/x^2", "x^(-3)", "1/(x + 1)", "1/(x^2 + 1)", "1/(x^2 + 1)^2", "x/(x + 1)",
    "(x^2 - 1)/(x^2 + 1)", "(x + 1)/(x - 2)^2", "1/(1 + exp(-x))", "exp(x)/(1 + exp(x))",
    "sqrt(x)", "1/sqrt(x)", "sqrt(x^2 + 1)", "1/sqrt(1 - x^2)", "x*sqrt(x)", "sqrt(1 + sqrt(x))",
    "x^(1/3)", "cbrt(x)", "x^(3/2)", "(x^2 + 1)^(3/2)", "x^2.5",
    "sin(x)", "cos(x)", "tan(x)", "sin(x)^2", "cos(x)^3", "sin(2*x)", "sin(x^2)", "sin(x)*cos(x)",
    "x*sin(x)", "x^2*cos(x)", "sin(x)/x", "tan(x)^2", "1/cos(x)", "sec(x)", "csc(x)", "cot(x)",
    "sin(cos(x))", "cos(sin(x))^2", "sin(x)^2 + cos(x)^2", "sin(3*x + 1)", "sin(1/x)",
    "exp(x)", "exp(2*x)", "exp(-x^2)", "exp(x)^2", "x*exp(x)", "x^2*exp(-x)", "exp(sin(x))",
    "exp(-x^2/2)/sqrt(2*pi)", "exp(x)*sin(x)", "exp(x)/x", "2^x", "2*2^x", "3^(2*x)", "10^x",
    "x^x", "x^sin(x)", "(1 + 1/x)^x",
    "log(x)", "log(x^2 + 1)", "log(sin(x))", "x*log(x)", "log(x)/x", "log(x)^2", "log(log(x))",
    "log(1 + exp(x))", "log2(x)", "log10(x)", "log(x)*exp(x)", "log(sqrt(x))",
    "asin(x)", "acos(x)", "atan(x)", "atan(1/x)", "atan(x^2)", "asin(x)^2", "x*atan(x)",
    "atan(x/y)", "asin(2*x - 1)",
    "sinh(x)", "cosh(x)", "tanh(x)", "tanh(x)^2", "x*cosh(x)", "asinh(x)", "acosh(x + 1)",
    "atanh(x/2)", "sinh(x)/cosh(x)",
    "x*y", "x^2*y + y^3", "x^2 + y^2", "sqrt(x^2 + y^2)", "x/y", "x*y/(x + y)", "exp(x*y)",
    "sin(x*y)", "log(x*y)", "(x*y)^(-2)", "x^y", "y*exp(-x/y)", "1/(x*y)", "x*y^2 - 3*x^3*y",
    "2*x*y + y^2", "atan2(y, x)",
    "abs(x)", "abs(x - 1/2)", "x*abs(x)",
    "(x^2 + 1)*(x - 1)", "(x + 1)*(x + 2)*(x + 3)", "x^2/(1 - x)", "(1 - x)/(1 + x)",
    "1/(1 - x)^3", "x/(x^2 + 1)^2", "(x + 1)^-2", "-x^2", "-(x + 1)^2", "-1/x",
    "pi*x^2", "4/3*pi*x^3", "e^x", "x*e^(2*x)",
]

_SYMBOLS = ("x", "y")


def _points(count: int, seed: int) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    return [{name: float(rng.uniform(0.25, 0.95)) for name in _SYMBOLS} for _ in range(count)]


def _with_derivatives(text: str) -> list[sg.Expr]:
    expr = sg.parse(text)
    out = [expr]
    for name in expr.symbols:
        first = sg.diff(expr, name)
        out.append(first)
        if len(expr.symbols) == 1:
            out.append(sg.diff(first, name))
    return out


def _corpus_problems() -> list[str]:
    problems = []
    for text in CORPUS:
        for expr in _with_derivatives(text):
            problem = latex_problem(expr, _points(3, 0))
            if problem is not None:
                problems.append(f"{text}: {problem}")
    return problems


def test_the_corpus_holds_over_100_everyday_expressions() -> None:
    assert len(set(CORPUS)) == len(CORPUS) >= 100


def test_latex_of_everyday_expressions_and_derivatives_reads_back_to_the_same_values() -> None:
    problems = _corpus_problems()
    assert not problems, f"{len(problems)} wrong:\n" + "\n".join(problems)


# -- generated expressions -------------------------------------------------------------------------
_UNARY = [sg.sin, sg.cos, sg.tan, sg.exp, sg.log, sg.sqrt, sg.atan, sg.asin, sg.sinh, sg.cosh,
          sg.tanh, sg.abs]
_EXPONENTS = [2, 3, -1, -2, 0.5, -0.5, 1.5, -3]
_NUMBERS = [1, 2, 3, 0.5, 0.25, 10, -1, -2]


@st.composite
def _expressions(draw: Any) -> sg.Expr:
    x, y = sg.symbols("x y")
    pool: list[sg.Expr] = [x, y, x + 1, 2 * y]
    for _ in range(draw(st.integers(1, 6))):
        a, b = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
        number = draw(st.sampled_from(_NUMBERS))
        kind = draw(st.integers(0, 10))
        made = [a + b, a - b, a * b, a / b, a ** draw(st.sampled_from(_EXPONENTS)),
                draw(st.sampled_from(_UNARY))(a), number * a, a + number, number / a,
                sg.constant(2) ** a, -a][kind]
        pool.append(made)
    return pool[-1]


@settings(max_examples=120, deadline=None)
@given(_expressions(), st.sampled_from(["x", "y"]))
def test_latex_of_generated_expressions_and_derivatives_reads_back_to_the_same_values(
        expr: sg.Expr, name: str) -> None:
    points = _points(3, 1)
    for each in (expr, sg.diff(expr, name)):
        assume(each.size < 60)
        # A nan constant (0*1e999) is not a number: no LaTeX reader has a value for it (its
        # own form is pinned below).
        assume(not any(node.op == "const" and np.isnan(node.eval()).any()
                       for node in topological([each])))
        problem = latex_problem(each, points)
        assert problem is None, problem


def test_a_nan_constant_prints_as_nan_in_latex() -> None:
    assert sg.parse("0*1e999").latex() == r"\mathrm{NaN}"


# -- forms that never render or read as something else ---------------------------------------------
_DOUBLE_SUPERSCRIPT = re.compile(r"\^\{[^{}]*\}\^|\^[A-Za-z0-9]\^|\}_\{[^{}]*\}_")
_DIGIT_SPACE_DIGIT = re.compile(r"\d\s+\d")


@pytest.mark.parametrize("text", CORPUS)
def test_latex_never_puts_two_superscripts_on_one_base_or_two_numbers_side_by_side(text: str) -> None:
    for expr in _with_derivatives(text) + [sg.parse(text) ** 2, sg.exp(sg.parse(text)) ** 2]:
        latex = expr.latex()
        assert not _DOUBLE_SUPERSCRIPT.search(latex), latex
        assert not _DIGIT_SPACE_DIGIT.search(latex), latex


if __name__ == "__main__":  # the count of wrong strings, for the record
    found = _corpus_problems()
    print(len(found), "wrong of", sum(len(_with_derivatives(t)) for t in CORPUS))
    print("\n".join(found))


# -- forms of arrays, indices and case analyses ------------------------------------------------------
@pytest.mark.parametrize(("text", "shapes", "latex"), [
    ("[[1, 2], [3, 4]]", {}, r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}"),
    ("[x, 2*y]", {}, r"\begin{bmatrix} x \\ 2 y \end{bmatrix}"),
    ("index(A, 1, 0)*index(x, 0)**2", {"A": (2, 2), "x": (3,)}, r"A_{1,0} \cdot x_{0}^{2}"),
    ("x1 + theta_0", {}, r"\theta_{0} + x_{1}"),
    ("where(x > 0, x**2, 0)", {}, r"\begin{cases} x^{2} & x > 0 \\ 0 & \text{otherwise} \end{cases}"),
    ("2*2**x", {}, r"2 \cdot 2^{x}"),
    ("exp(x)**2", {}, r"\left(e^{x}\right)^{2}"),
    ("sin(x)**2", {}, r"\sin^{2}\left(x\right)"),
    ("1/(x + 1)**2", {}, r"\frac{1}{\left(x + 1\right)^{2}}"),
    # a template inside its own parentheses is an atom: one pair, not two, before a power
    ("expm1(x)**2", {}, r"\left(e^{x} - 1\right)^{2}"),
    # `1 + {0}` of a negative argument writes a minus, not `1 + -x`
    ("log1p(-x)", {}, r"\ln\left(1 - x\right)"),
    ("log1p(-x*y)", {}, r"\ln\left(1 - x \cdot y\right)"),
])
def test_latex_forms(text: str, shapes: dict[str, tuple[int, ...]], latex: str) -> None:
    assert sg.parse(text, shapes=shapes).latex() == latex


def test_derivatives_of_max_and_relu_are_case_analyses_not_comparisons_as_factors() -> None:
    assert sg.diff("relu(x)", "x").latex() == r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}"
    latex = sg.diff("max(x, y)", "x").latex()
    assert latex == (r"\begin{cases} 1 & x > y \\ \frac{1}{2} & x = y \\ 0 & \text{otherwise} "
                     r"\end{cases}")
    assert r"\frac{x = y}" not in latex


# Piecewise functions: their derivatives are case analyses (heaviside), checked at the kinks and
# ties too, where the value at 0 (1/2 for max and min, 0 for relu, 1 for clamp) is the choice.
PIECEWISE = ["max(x, y)", "min(x, y)", "relu(x)", "clamp(x, 0, 1)", "clamp(x, y, 2)",
             "max(x^2, y)*sin(x)", "relu(x - 1/2)", "clamp(2*x - 1, 0, 1)", "min(x, 1 - y)",
             "max(x, 1/2)", "heaviside(x - y, 1/3)", "x*heaviside(x, y)"]
_KINKS = [{"x": 0.5, "y": 0.5}, {"x": 1.0, "y": 1.0}, {"x": 0.0, "y": 0.0}, {"x": 2.0, "y": 0.25}]


@pytest.mark.parametrize("text", PIECEWISE)
def test_latex_of_piecewise_functions_and_derivatives_reads_back_at_kinks_too(text: str) -> None:
    for expr in _with_derivatives(text):
        problem = latex_problem(expr, _points(3, 2) + _KINKS)
        assert problem is None, problem


def test_gradient_of_a_matrix_entry_shows_the_unit_array_not_an_index_list() -> None:
    e = sg.parse("index(A, 1, 0)*index(x, 0)**2", shapes={"A": (2, 2), "x": (3,)})
    assert sg.grad(e)["A"].latex() == r"x_{0}^{2} \, \mathbf{e}_{1,0}"


def test_repr_latex_is_display_style() -> None:
    assert sg.parse("1/x")._repr_latex_() == r"$\displaystyle \frac{1}{x}$"


def test_latex_that_names_shared_parts_reads_back_to_the_same_values() -> None:
    # Past NAMING_LENGTH characters printing names shared parts (`\text{where } t_{0} = ...`);
    # the reader substitutes them back, and the values must agree.
    second = sg.diff(sg.parse("atan2(sech(sqrt(x)), log(x/2, 3))"), "x", order=2)
    assert r"\text{where } t_{0} = " in second.latex()
    assert latex_problem(second, _points(3, 5)) is None
