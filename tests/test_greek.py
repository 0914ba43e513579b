"""A Greek letter, its LaTeX command and its spelled name are one symbol (`theta`).

Oracles: SymPy's own names for the symbols, values computed by hand, and the judgement of a
derivative that is right only when `θ` and `\\theta` are the same variable.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

import symgrad as sg
from symgrad.core.greek import SPELLED, canonical_name

LETTERS = [("\u03b1", r"\alpha", "alpha"), ("\u03b2", r"\beta", "beta"),
           ("\u03b3", r"\gamma", "gamma"), ("\u03b4", r"\delta", "delta"),
           ("\u03b5", r"\epsilon", "epsilon"), ("\u03b8", r"\theta", "theta"),
           ("\u03bb", r"\lambda", "lambda"), ("\u03bc", r"\mu", "mu"),
           ("\u03c3", r"\sigma", "sigma"), ("\u03c6", r"\phi", "phi"),
           ("\u03c9", r"\omega", "omega"), ("\u0394", r"\Delta", "Delta"),
           ("\u03a9", r"\Omega", "Omega")]


@pytest.mark.parametrize(("letter", "command", "spelled"), LETTERS,
                         ids=[row[2] for row in LETTERS])
def test_a_greek_letter_its_command_and_its_name_are_one_symbol(letter: str, command: str,
                                                                spelled: str) -> None:
    typed = sg.parse(letter)
    assert typed is sg.parse(spelled)
    assert typed is sg.parse_latex(command)
    assert typed.name == spelled
    assert str(typed) == spelled and sg.parse(str(typed)) is typed
    assert typed.latex() == command
    assert typed.to_sympy() == sympy.Symbol(spelled)


def test_every_spelled_name_is_a_symbol_that_sympy_shows_as_the_letter() -> None:
    for letter, spelled in SPELLED.items():
        if letter in ("\u03f5", "\u00b5", "\u03d5"):  # variants: SymPy shows the usual form
            continue
        assert sympy.pretty(sympy.Symbol(spelled)) == letter, spelled


def test_verify_judges_a_derivative_written_with_the_other_spelling_right() -> None:
    assert sg.verify("sin(\u03b8)", sg.parse_latex(r"\cos\theta")).status == "correct"
    assert sg.verify(r"sin(theta)", "cos(\u03b8)").status == "correct"
    assert sg.verify("sin(\u03b8)", sg.parse_latex(r"\sin\theta")).status == "wrong"


def test_a_letter_before_a_subscript_is_spelled_and_a_longer_name_is_not() -> None:
    assert sg.parse("\u03b8_1") is sg.parse("theta_1") is sg.parse_latex(r"\theta_1")
    assert sg.parse("\u03b12") is sg.parse("alpha2")
    assert sg.parse("\u0394x").name == "\u0394x"
    assert canonical_name("x") == "x" and canonical_name("\u03b8x") == "\u03b8x"


def test_pi_stays_the_constant() -> None:
    assert math.isclose(float(sg.parse("\u03c0")), math.pi)
    assert sg.parse("\u03c0") is sg.parse("pi") is sg.parse_latex(r"\pi")


def test_shapes_and_assignments_take_either_spelling() -> None:
    vector = sg.parse("\u03b8[0] * theta[1]", shapes={"\u03b8": (2,)})
    assert vector is sg.parse("theta[0] * theta[1]", shapes={"theta": (2,)})
    assert float(sg.parse("\u03b8 = 3; 2*theta")) == 6.0
    assert float(sg.parse("theta = 3; 2*\u03b8")) == 6.0


def test_a_greek_symbol_evaluates_and_compiles_by_its_spelled_name() -> None:
    e = sg.parse("\u03bb*x + cos(\u03b8)")
    assert float(e.eval(x=3.0, theta=0.0, **{"lambda": 2.0})) == 7.0


def test_wrt_may_name_a_greek_symbol_by_its_letter() -> None:
    e = sg.parse("\u03b8 sin \u03b8")
    assert sg.diff(e, "\u03b8") is sg.diff(e, "theta")
    assert sg.verify(e, "sin \u03b8 + \u03b8 cos \u03b8", wrt="\u03b8").status == "correct"
    assert sg.verify(e, "\u03b8 cos \u03b8", wrt="\u03b8").status == "wrong"


def test_python_symbols_sympy_symbols_and_values_name_theta_too() -> None:
    theta = sg.parse("sin(θ)")
    assert sg.sin(sg.symbols("θ")) is theta
    assert sg.from_sympy(sympy.sin(sympy.Symbol("θ"))) is theta
    assert theta.eval(θ=0.5) == theta.eval(theta=0.5) == np.sin(0.5)
    assert sg.compile(theta)(θ=np.array([0.5]))[0] == np.sin(0.5)


def test_check_and_verify_take_a_point_or_range_named_by_the_letter() -> None:
    report = sg.check("sin(\u03b8)", at={"\u03b8": 0.5})
    assert report.ok
    assert report.rows[0].values["closed form"] == pytest.approx(math.cos(0.5))
    assert sg.verify("sin(\u03b8)", "cos(\u03b8)", wrt="\u03b8", at={"\u03b8": 0.3}).status == "correct"
    assert sg.verify("sin(\u03b8)", "cos(\u03b8)", wrt="\u03b8", at={"\u03b8": (0.1, 0.5)}).status == "correct"


def test_a_dask_kernel_takes_a_value_named_by_the_letter() -> None:
    da = pytest.importorskip("dask.array")
    value, grads = sg.compile("sin(\u03b8)*x", grad=True)(θ=da.full(4, 0.5, chunks=2),
                                                    x=da.ones(4, chunks=2))
    np.testing.assert_allclose(value.compute(), np.full(4, np.sin(0.5)))
    np.testing.assert_allclose(grads["theta"].compute(), np.full(4, np.cos(0.5)))


def test_two_spellings_of_one_symbol_with_two_values_are_an_error() -> None:
    e = sg.parse("2*\u03b8")
    with pytest.raises(sg.ArgumentError, match="name one symbol"):
        e.eval(**{"\u03b8": 1.0, "theta": 2.0})
    with pytest.raises(sg.ArgumentError, match="name one symbol"):
        sg.compile(e)(**{"\u03b8": 1.0, "theta": 2.0})
    with pytest.raises(sg.ArgumentError, match="name one symbol"):
        sg.parse("sum(\u03b8)", shapes={"theta": (3,), "\u03b8": (2,)})
    with pytest.raises(sg.ArgumentError, match="name one symbol"):
        sg.check(e, at={"\u03b8": 1.0, "theta": 2.0})
