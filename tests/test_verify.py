"""sg.verify: homework answers, right and wrong, with counterexamples and diagnoses."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

import symgrad as sg
from symgrad.cli import main
from strategies import close

RIGHT = [
    ("sin(x^2)", "2x cos(x^2)"),
    ("sin(x)^2", "2 sin(x) cos(x)"),
    ("sin(x)^2", "sin(2x)"),
    ("cos(x)^2", "-sin(2x)"),
    ("e^(2x)", "2e^(2x)"),
    ("exp(2x)", "2exp(2x)"),
    ("log(x^2)", "2/x"),
    ("log(3x)", "1/x"),
    ("log(x)", "1/x"),
    ("x^3", "3x^2"),
    ("x^2 + 5", "2x"),
    ("1/x", "-1/x^2"),
    ("1/x", "-x^(-2)"),
    ("sqrt(x)", "1/(2 sqrt(x))"),
    ("sqrt(x)", "0.5 x^(-0.5)"),
    ("x sin(x)", "sin(x) + x cos(x)"),
    ("x/(x+1)", "1/(x+1)^2"),
    ("x/(x+1)", "((x+1) - x)/(x+1)^2"),
    ("tan(x)", "1/cos(x)^2"),
    ("tan(x)", "1 + tan(x)^2"),
    ("atan(x)", "1/(1 + x^2)"),
    ("x^x", "x^x (log(x) + 1)"),
    ("2^x", "2^x log(2)"),
    ("(x^2 + 1)^3", "6x (x^2 + 1)^2"),
    ("sinh(x)", "cosh(x)"),
    ("cosh(x)^2 - sinh(x)^2", "0"),
    ("x^2 y", "2 x y"),
    ("sigmoid(x)", "sigmoid(x) (1 - sigmoid(x))"),
    ("exp(x) sin(x)", "exp(x) (sin(x) + cos(x))"),
    ("log(sin(x)^2 + 1)", "sin(2x)/(sin(x)^2 + 1)"),
]

WRONG = [
    # (function, claim, words the message must contain)
    ("sin(x^2)", "cos(x^2)", "chain-rule factor"),
    ("e^(2x)", "e^(2x)", "function itself"),
    ("sin(3x)", "cos(3x)", "d/dx(3*x) = 3"),
    ("sin(x)^2", "2 sin(x)", "chain-rule factor"),
    ("x^2 + 5", "2x + 5", "constant term 5"),
    ("x^3", "x^2", "1/3 times"),
    ("x^3", "3x^3", "lowers the exponent"),
    ("x^3", "6x^2", "2 times"),
    ("cos(x)", "sin(x)", "wrong sign"),
    ("x/(x+1)", "-1/(x+1)^2", "swap"),
    ("x/(x+1)", "(x+1) - x", "square of the denominator"),
    ("x sin(x)", "cos(x)", "product"),
    ("x/(x+1)", "1/(x+1)", "missing the term"),
    ("x^2 + sin(x)", "2x + cos(x) + 1", "constant 1"),
    ("x^2 + sin(x)", "2x + cos(x) + sin(x)", "extra term sin(x)"),
    ("x^2 y", "x^2", "with respect to y"),
    ("x^2", "x^3/3", "antiderivative"),
    ("x^3", "6x", "second derivative"),
    ("sin(x)", "0", "is 0"),
    ("x^2", "2x + x^2", "extra term x**2"),
    ("log(x)", "1/x + 1", "off by the constant 1"),
    ("sqrt(x)", "1/sqrt(x)", "2 times"),
    ("tan(x)", "1/sin(x)^2", "minus the derivative"),
    ("x sin(x)", "sin(x) - x cos(x)", "antiderivative"),
    ("x sin(x)", "x cos(x)", "missing the term sin(x)"),
    ("x^2 sin(x)", "2x sin(x) + x cos(x)", "minus the derivative"),
    ("1/x", "1/x^2", "wrong sign"),
    ("sqrt(x^2 + 1)", "1/(2 sqrt(x^2 + 1))", "chain-rule factor"),
    ("x^4", "4x^3 + 1", "off by the constant 1"),
]


@pytest.mark.parametrize("function, claim", RIGHT)
def test_right_answers_are_accepted(function, claim):
    verdict = sg.verify(function, claim, wrt="x")
    assert verdict.ok, str(verdict)
    assert verdict.counterexample is None and verdict.expected is None
    assert str(verdict).startswith("correct")


@pytest.mark.parametrize("function, claim, words", WRONG)
def test_wrong_answers_get_a_counterexample_and_a_diagnosis(function, claim, words):
    verdict = sg.verify(function, claim, wrt="x")
    assert not verdict.ok
    assert words in verdict.message, verdict.message
    # The counterexample, checked against SymPy: the true derivative and the claim differ there.
    names = {"e": sympy.E}
    f = sympy.sympify(_sympy_text(function), locals=names)
    c = sympy.sympify(_sympy_text(claim), locals=names)
    point = {sympy.Symbol(name): value for name, value in verdict.counterexample.items()}
    expected = float(sympy.diff(f, sympy.Symbol("x")).evalf(subs=point))
    claimed = float(c.evalf(subs=point))
    assert verdict.expected == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert verdict.claimed == pytest.approx(claimed, rel=1e-9, abs=1e-12)
    assert not math.isclose(expected, claimed, rel_tol=1e-6, abs_tol=1e-9)


def _sympy_text(text: str) -> str:
    return str(sg.parse(text))


def test_there_are_at_least_fifty_cases():
    assert len(RIGHT) + len(WRONG) >= 50


def test_counterexample_is_a_round_point():
    verdict = sg.verify("sin(x^2)", "cos(x^2)", wrt="x")
    (value,) = verdict.counterexample.values()
    assert round(value, 1) == value
    assert "at x=" in str(verdict) and "2*x*cos(x**2)" in str(verdict)


def test_derivative_field_is_the_right_derivative():
    verdict = sg.verify("x^3 + x", "3x^2", wrt="x")
    assert verdict.derivative is sg.diff(sg.parse("x^3 + x"), "x")


def test_exprs_are_accepted_as_well_as_strings():
    x = sg.symbols("x")
    assert sg.verify(sg.sin(x) ** 2, sg.sin(2 * x), x).ok
    assert sg.verify(sg.sin(x) ** 2, "sin(2x)", "x").proved


def test_claim_undefined_where_the_derivative_exists():
    verdict = sg.verify("x^2", "2 x^1.5 / sqrt(x)", wrt="x")
    assert not verdict.ok
    assert "not defined" in verdict.message
    assert verdict.counterexample["x"] < 0 and math.isnan(verdict.claimed)


def test_vector_symbols_with_shapes():
    verdict = sg.verify("sum(w * w) * x", "2 w x", wrt="w", shapes={"w": (3,)})
    assert verdict.ok
    wrong = sg.verify("sum(w * w) * x", "w x", wrt="w", shapes={"w": (3,)})
    assert not wrong.ok and np.shape(wrong.expected) == (3,)


def test_bad_input_raises_symgrad_errors():
    with pytest.raises(sg.ParseError):
        sg.verify("sin(x", "cos(x)", "x")
    with pytest.raises(sg.ArgumentError, match="which variable"):
        sg.verify("x y", "y", None)
    with pytest.raises(sg.ShapeError):
        sg.verify("x", "[1, 2]", "x")


@pytest.mark.parametrize("function, claim, code", [
    ("sin(x^2)", "2x cos(x^2)", 0), ("sin(x)^2", "sin(2x)", 0), ("log(x^2)", "2/x", 0),
    ("sin(x^2)", "cos(x^2)", 1), ("x/(x+1)", "-1/(x+1)^2", 1), ("x^2 + 5", "2x + 5", 1),
])
def test_cli_verify_exit_codes(function, claim, code, capsys):
    assert main(["verify", function, claim, "--wrt", "x"]) == code
    out = capsys.readouterr().out
    assert out.startswith("correct" if code == 0 else "wrong")


def test_verify_reads_a_text_claim_with_the_functions_vector_shapes():
    function = sg.parse("dot(w, w)", shapes={"w": (3,)})
    assert sg.verify(function, "2*w", wrt="w").ok
    assert not sg.verify(function, "3*w", wrt="w").ok


class TestCheckVerifySteps:
    def test_verify_correct(self):
        v = sg.verify("sin(x^2)", "2x cos(x^2)", wrt="x")
        assert v.ok and v.counterexample is None
        assert str(v)

    def test_verify_wrong_gives_counterexample_dict(self):
        v = sg.verify("sin(x^2)", "cos(x^2)", wrt="x")
        assert not v.ok
        ce = v.counterexample
        assert isinstance(ce, dict) and list(ce) == ["x"]
        x = ce["x"]
        assert not close(2 * x * math.cos(x * x), math.cos(x * x), rtol=1e-6)
        assert str(v)

    def test_verify_equivalent_forms(self):
        v = sg.verify("x**2*exp(x)", "exp(x)*(x**2 + 2*x)", wrt="x")
        assert v.ok


class TestMoreContract:
    def test_verify_rejects_bad_claim_text_with_parse_error(self):
        with pytest.raises(sg.ParseError):
            sg.verify("sin(x^2)", "2x cos(x^2", wrt="x")
