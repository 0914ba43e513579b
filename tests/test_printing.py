"""Printing: exact LaTeX for simple cases, cut text, and deep DAGs without recursion."""

from __future__ import annotations

import tracemalloc

import pytest
import sympy
from hypothesis import given, settings

import symgrad as sg
from symgrad.language.printing import TextPrinter, latex_number, to_latex, to_text
from strategies import E_TEXT, close, expressions, Generated

SHAPES = {"w": (3,)}


@pytest.mark.parametrize(("text", "latex"), [
    ("x/u", r"\frac{x}{u}"),
    ("3*x**2", r"3 x^{2}"),
    ("sin(x^2)", r"\sin\left(x^{2}\right)"),
    ("sqrt(x)", r"\sqrt{x}"),
    ("x**-0.5", r"\frac{1}{\sqrt{x}}"),
    ("1/(x + 1)**2", r"\frac{1}{\left(x + 1\right)^{2}}"),
    ("(x + 1)/y", r"\frac{x + 1}{y}"),
    ("-(x + y)", r"-\left(x + y\right)"),
    ("where(x > 0, x, -x)", r"\begin{cases} x & x > 0 \\ -x & \text{otherwise} \end{cases}"),
    ("x/3", r"\frac{x}{3}"),
    ("2*x/3", r"\frac{2 x}{3}"),
    ("-x/3", r"-\frac{x}{3}"),
    ("0.1*x", r"0.1 x"),
    ("1e-05*x", r"1 \cdot 10^{-5} x"),
    ("pi*x", r"\pi x"),
    ("-pi", r"-\pi"),
    ("1 - x**2", r"1 - x^{2}"),
    ("exp(-x**2/2)", r"e^{-\frac{x^{2}}{2}}"),
    ("(x + 1)**(y + 2)", r"\left(x + 1\right)^{y + 2}"),
    ("alpha*theta + foo", r"\mathrm{foo} + \alpha \cdot \theta"),
    ("sum((w + 1)**2)", r"\sum \left(w + 1\right)^{2}"),
    ("sum(w + 1)", r"\sum \left(w + 1\right)"),
])
def test_latex_of_simple_expressions(text: str, latex: str) -> None:
    assert to_latex(sg.parse(text, shapes=SHAPES)) == latex


def test_latex_of_an_infinite_coefficient() -> None:
    x = sg.symbols("x")
    assert to_latex(x * float("inf")) == r"\infty x"
    assert to_latex(x * float("-inf")) == r"-\infty x"


@pytest.mark.parametrize(("value", "latex"), [
    (3.0, "3"), (0.25, "0.25"), (-2.5, "-2.5"), (1e-05, r"1 \cdot 10^{-5}"),
    (1.5e-07, r"1.5 \cdot 10^{-7}"), (1e20, r"1 \cdot 10^{20}"), (3.141592653589793, r"\pi"),
    (-3.141592653589793, r"-\pi"), (float("inf"), r"\infty"), (float("nan"), r"\mathrm{NaN}"),
])
def test_latex_numbers(value: float, latex: str) -> None:
    assert latex_number(value) == latex


@settings(max_examples=60, deadline=None)
@given(expressions())
def test_latex_delimiters_balance(generated: Generated) -> None:
    latex = to_latex(generated.expr)
    assert latex.count(r"\left") == latex.count(r"\right")
    unescaped = latex.replace(r"\{", "").replace(r"\}", "")
    assert unescaped.count("{") == unescaped.count("}")


def test_text_limit_cuts_long_text_and_keeps_short_text() -> None:
    expr = sg.parse("sin(x)**2 + cos(y)*exp(x*y) - log(x + 1)")
    full = to_text(expr)
    assert to_text(expr, len(full)) == full
    assert to_text(expr, len(full) - 1) == full[: len(full) - 4] + "..."
    assert to_text(expr, 10) == full[:7] + "..."


def test_text_limit_stops_early_on_an_exponentially_long_text() -> None:
    x = sg.symbols("x")
    expr = x
    for _ in range(80):  # the full text would have about 2**80 characters
        expr = sg.sin(expr) * sg.cos(expr)
    cut = to_text(expr, 60)
    assert len(cut) == 60 and cut.endswith("...")
    assert cut.startswith("cos(") or cut.startswith("sin(")


def test_a_text_printer_shared_between_expressions_prints_each_alike() -> None:
    printer = TextPrinter()
    inner = sg.parse("x**2 + 1")
    outer = sg.sin(inner) / inner
    assert printer(outer) == to_text(outer)
    assert printer(inner) == to_text(inner) == "x**2 + 1"
    assert printer(outer, 8) == to_text(outer)[:5] + "..."


def test_latex_of_a_100000_deep_chain_without_recursion_in_linear_memory() -> None:
    x = sg.symbols("x")
    expr = x
    for level in range(100_000):
        expr = sg.sin(expr) + 1 if level % 2 else sg.sin(expr)
    tracemalloc.start()
    try:
        latex = to_latex(expr)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    closing = [r"\right) + 1" if level % 2 else r"\right)" for level in range(100_000)]
    assert latex == r"\sin\left(" * 100_000 + "x" + "".join(closing)
    # Linear: a few hundred bytes per node. Copying strings level by level would keep
    # ~10**11 characters alive.
    assert peak < 150 * 1024 * 1024


class TestExprAttributes:
    @pytest.mark.parametrize("text", [
        E_TEXT, "sin(x)**2 + cos(y)/3", "-x**2", "(-x)**2", "x**y**z", "(x**y)**z", "x/(y/z)",
        "x - (y - z)", "2**-x", "where(x >= 1, x**2, -x)", "clamp(x, -1, 2) + atan2(y, x)",
        "exp(-x)*log(1 + y)", "1e-300*x", "2.5e10 + x", "pi*x + e",
        "sigmoid(x) + relu(y) + softplus(z) + erf(x)",
    ])
    def test_str_round_trips(self, text):
        e = sg.parse(text)
        assert sg.parse(str(e)) is e

    @pytest.mark.parametrize("text, shapes", [
        ("M.T @ M + 1", {"M": (2, 3)}),
        ("sum(a*[1, 7, -2]) + norm(a)", {"a": (3,)}),
        ("[[1, 2], [3, 4]] @ v", {"v": (2,)}),
    ])
    def test_str_round_trips_with_shapes(self, text, shapes):
        e = sg.parse(text, shapes=shapes)
        assert sg.parse(str(e), shapes=shapes) is e

    def test_str_is_python_syntax(self):
        e = sg.parse("3x^2 + 2(x+1)")
        text = str(e)
        assert "^" not in text
        # Python (with math) reads it and computes the same number.
        got = eval(text, {"__builtins__": {}}, {"x": 1.7})  # noqa: S307  (our own output)
        assert close(got, 3 * 1.7**2 + 2 * 2.7)

    def test_str_read_by_sympy(self):
        e = sg.parse("sin(x)**2 + 3*x*y")
        s = sympy.sympify(str(e))
        x, y = sympy.symbols("x y")
        assert sympy.simplify(s - (sympy.sin(x)**2 + 3*x*y)) == 0

    def test_latex(self):
        e = sg.parse("sqrt(x) + x**2")
        tex = e.latex()
        assert isinstance(tex, str)
        assert "\\sqrt" in tex and "^" in tex and "**" not in tex

    def test_repr_latex(self):
        e = sg.parse("sqrt(x) + x**2")
        r = e._repr_latex_()
        assert r.startswith("$") and r.endswith("$")
        assert e.latex() in r

    def test_latex_of_matrix_literal_keeps_rows(self):
        tex = sg.parse("[[1, 2], [3, 4]]").latex()
        assert "\\\\" in tex or "matrix" in tex or "\\right], \\left[" in tex

    def test_to_dot(self):
        dot = sg.parse("x*sin(x)").to_dot()
        assert dot.lstrip().startswith("digraph") and dot.rstrip().endswith("}")
        assert "->" in dot and "sin" in dot
        # x is shared: it appears as one node
        assert dot.count('label="x"') == 1


class TestNonFiniteConstants:
    def test_str_of_product_with_inf(self):
        x = sg.symbols("x")
        assert "x" in str(x * float("inf"))
        assert "x" in str(sg.parse("x*1e999"))

    def test_inf_constant_round_trips(self):
        e = sg.parse("x + 1e999")
        assert sg.parse(str(e)) is e
