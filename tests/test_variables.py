"""One meaning for a variable name, everywhere: a name in `wrt` gets its partial (0 when the
expression does not use it); a name given only in `at` is ignored, as `eval` ignores it."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as sg
from symgrad.calculus.differentiate import resolve_symbols
from symgrad.checking.check import CLOSED, FINITE, REVERSE, SYMPY, finite_difference_gradient
from symgrad.cli import main


def test_the_resolver_keeps_present_symbols_and_makes_absent_ones():
    w = sg.symbols("w", shape=(3,))
    expr = sg.parse("x**2 + sum(w)", shapes={"w": (3,)})
    assert resolve_symbols(expr, None) == [w, sg.symbols("x")]
    found = resolve_symbols(expr, ["w", "y", sg.symbols("v", shape=(2,))], shapes={"y": (4,)})
    assert [(s.name, s.shape) for s in found] == [("w", (3,)), ("y", (4,)), ("v", (2,))]
    assert resolve_symbols(expr, "z")[0].shape == ()


def test_grad_diff_jacobian_hessian_give_zero_for_an_absent_name():
    e = sg.parse("x**2")
    partials = sg.grad(e, ["x", "y"])
    assert partials["x"].eval(x=3.0) == 6.0 and partials["y"].eval(x=3.0) == 0.0
    assert float(sg.diff(e, "y").eval()) == 0.0
    assert float(sg.diff(e, "y", order=2).eval()) == 0.0
    (row,) = sg.jacobian([e], ["x", "y"])
    assert [float(entry.eval(x=3.0)) for entry in row] == [6.0, 0.0]
    assert [[float(h.eval(x=3.0)) for h in hrow] for hrow in sg.hessian(e, ["x", "y"])] == [[2.0, 0.0], [0.0, 0.0]]


def test_an_absent_vector_symbol_gets_a_zero_partial_of_its_shape():
    w = sg.symbols("w", shape=(3,))
    gradient = sg.grad(sg.parse("x**2"), ["x", w])["w"]
    assert gradient.shape == (3,)
    np.testing.assert_array_equal(gradient.eval(), np.zeros(3))
    _, numeric = sg.reverse(sg.parse("x**2"), at={"x": 2.0}, wrt=[w])
    np.testing.assert_array_equal(numeric["w"], np.zeros(3))


def test_reverse_gives_zero_for_an_absent_name_and_ignores_extra_at_names():
    value, gradient = sg.reverse(sg.parse("x**2"), at={"x": 3.0, "z": 7.0}, wrt=["x", "y"])
    assert value == 9.0 and gradient == {"x": 6.0, "y": 0.0}
    # Without wrt, the names the expression uses: z (only in at) gets no gradient.
    assert sg.reverse(sg.parse("x**2"), at={"x": 3.0, "z": 7.0})[1] == {"x": 6.0}


def test_check_gives_an_absent_name_a_zero_row_in_every_column():
    # Moved from test_check.py, where check used to raise "not a variable" for it.
    report = sg.check("x**2", wrt="y")
    assert report.ok, str(report)
    assert {row.variable for row in report.rows} == {"y"}
    for row in report.rows:
        assert row.values == {CLOSED: 0.0, REVERSE: 0.0, FINITE: 0.0, SYMPY: 0.0}
    assert all(set(point) == {"x"} for point in report.points)  # no made-up value for y


def test_check_at_a_point_ignores_extra_names_and_fills_absent_ones():
    report = sg.check("x**2", at={"x": 1.5, "z": 4.0}, wrt=["x", "y"])
    assert report.ok, str(report)
    assert {row.variable: row.values[FINITE] for row in report.rows} == pytest.approx({"x": 3.0, "y": 0.0})
    assert report.points == ({"x": 1.5},)
    given = sg.check("x**2", at={"x": 1.5, "y": 2.0}, wrt=["y"])
    assert given.ok and given.points == ({"x": 1.5, "y": 2.0},)
    assert given.rows[0].values[CLOSED] == 0.0


def test_finite_difference_gradient_of_an_absent_name_is_zero():
    gradient = finite_difference_gradient(sg.parse("x**2"), {"x": 1.5}, wrt=["x", "y"])
    assert gradient["x"] == pytest.approx(3.0, abs=1e-9) and gradient["y"] == 0.0


def test_steps_and_verify_give_zero_for_an_absent_name():
    derivation = sg.steps("x^2", "y")
    assert float(derivation.result.value) == 0.0
    assert sg.verify("x^2", "0", wrt="y").ok
    assert not sg.verify("x^2", "2x", wrt="y").ok


def test_the_cli_gives_zero_for_an_absent_name(capsys):
    assert main(["check", "x^2", "--wrt", "y"]) == 0
    out = capsys.readouterr().out
    assert "d/dy" in out and "all methods agree" in out
    assert main(["diff", "x^2", "--wrt", "y", "--at", "x=2"]) == 0
    assert "at x=2: 0" in capsys.readouterr().out
    assert main(["steps", "x^2", "--wrt", "y"]) == 0
    assert "result: d/dy x**2 = 0" in capsys.readouterr().out
    assert main(["check", "x^2", "--wrt", "y", "--shapes", "y=2", "--at", "x=1"]) == 0
    out = capsys.readouterr().out
    assert "d/dy[0]" in out and "d/dy[1]" in out


def test_the_cli_ignores_extra_at_names(capsys):
    assert main(["grad", "x^2", "--at", "x=1,y=2"]) == 0
    assert capsys.readouterr().out.strip() == "d/dx = 2*x = 2"
    assert main(["eval", "x^2", "--at", "x=3,y=2"]) == 0
    assert capsys.readouterr().out.strip() == "9"


def test_a_missing_choice_of_variable_is_still_an_error(capsys):
    assert main(["diff", "x^2 y"]) == 2
    assert "--wrt" in capsys.readouterr().err
    with pytest.raises(sg.ArgumentError, match="wrt="):
        sg.verify("x y", "y")


def test_a_kernel_gives_a_zero_partial_for_a_wrt_name_it_does_not_use_and_needs_no_value():
    kernel = sg.compile(sg.parse("x^2*u"), grad=True, wrt=["x", "z"])
    value, gradient = kernel(x=np.array([1.0, 2.0]), u=3.0)
    np.testing.assert_array_equal(value, [3.0, 12.0])
    np.testing.assert_array_equal(gradient["x"], [6.0, 12.0])
    np.testing.assert_array_equal(gradient["z"], [0.0, 0.0])
