"""sg.check: closed form, reverse mode, finite differences and SymPy side by side."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings

import symgrad as sg
from symgrad.checking import check as check_module
from symgrad.checking.check import (CLOSED, FINITE, INDEPENDENT, REVERSE, SHARED, SYMPY,
                                    finite_difference_gradient)
from symgrad.checking.finite_differences import richardson
from symgrad.core.opspec import OPS
from strategies import E_TEXT, expressions

SEED_CASES = [
    # (text, shapes, point, hand-derived gradient from the notebooks)
    ("3*x**2 + 4*x + 2*u*x", {}, {"x": 3.0, "u": 2.0}, {"x": 26.0, "u": 6.0}),
    ("3*x**2 + x", {}, {"x": 3.0}, {"x": 19.0}),
    ("3*x**2 + 4*x + 2*u*x", {}, {"x": 7.0, "u": 2.0}, {"x": 50.0, "u": 14.0}),
    ("3*dot(x, [1, 7, 5]) + x @ x", {"x": (3,)}, {"x": [1.0, 7.0, -2.0]}, {"x": [5.0, 35.0, 11.0]}),
    ("sin(x**2)", {}, {"x": 4.0}, {"x": 8 * math.cos(16.0)}),
    ("x**2 + y**2", {}, {"x": 1.0, "y": 2.0}, {"x": 2.0, "y": 4.0}),
    ("mean(x**2)", {"x": (3,)}, {"x": [1.0, 2.0, 3.0]}, {"x": [2 / 3, 4 / 3, 2.0]}),
    ("2 * x @ x", {"x": (4,)}, {"x": [0.0, 1.0, 2.0, 3.0]}, {"x": [0.0, 4.0, 8.0, 12.0]}),
    ("mean(3*(x + 2)**2)", {"x": (2, 2)}, {"x": np.ones((2, 2))}, {"x": np.full((2, 2), 4.5)}),
    ("z = w*x + b; p = sigmoid(z); -(y*log(p) + (1-y)*log(1-p))", {},
     {"w": 1.0, "b": 0.0, "x": 6.7, "y": 0.0},
     {"w": 6.7 / (1 + math.exp(-6.7)), "b": 1 / (1 + math.exp(-6.7))}),
]


@pytest.mark.parametrize("text, shapes, point, expected", SEED_CASES, ids=[c[0] for c in SEED_CASES])
def test_seed_examples_agree_and_match_hand_values(text, shapes, point, expected):
    report = sg.check(sg.parse(text, shapes=shapes), at=point)
    assert report.ok, str(report)
    assert set(report.methods) == {CLOSED, REVERSE, FINITE, SYMPY}
    assert report.max_error < 1e-8
    for name, value in expected.items():
        rows = [row for row in report.rows if row.variable.split("[")[0] == name]
        got = np.array([row.values[CLOSED] for row in rows])
        np.testing.assert_allclose(got, np.ravel(value), rtol=1e-12, atol=1e-12)


def test_table_has_one_row_per_variable_and_one_column_per_method():
    report = sg.check("3*x**2 + 4*x + 2*u*x", at={"x": 3, "u": 2})
    lines = str(report).splitlines()
    header = next(line for line in lines if "closed form" in line)
    for method in (CLOSED, REVERSE, FINITE, SYMPY):
        assert method in header
    assert [row.variable for row in report.rows] == ["u", "x"]
    assert any(line.strip().startswith("d/dx") and "26" in line for line in lines)
    assert "at u=2, x=3" in str(report)


def test_the_table_groups_symgrads_rules_apart_from_the_independent_oracles():
    report = sg.check("3*x**2 + 4*x + 2*u*x", at={"x": 3, "u": 2})
    assert report.shared == SHARED == (CLOSED, REVERSE)
    assert report.independent == INDEPENDENT == (FINITE, SYMPY)
    lines = str(report).splitlines()
    position = next(i for i, line in enumerate(lines) if "closed form" in line)
    groups, header = lines[position - 1], lines[position]
    assert groups.index("symgrad's rules") == header.index(CLOSED)
    assert groups.index("independent oracles") == header.index(FINITE)


def test_ok_needs_an_independent_column(monkeypatch):
    def broken(*args, **kwargs):
        raise sg.DomainError("no finite differences today")
    monkeypatch.setattr(check_module, "finite_differences", broken)
    alone = sg.check("sin(x) * y", at={"x": 0.5, "y": 2.0}, use_sympy=False)
    # closed form and reverse agree, but they share symgrad's rules: that is not a check.
    assert all(row.values[CLOSED] == pytest.approx(row.values[REVERSE]) for row in alone.rows)
    assert alone.independent == () and alone.ok is False
    assert "NOT CHECKED" in str(alone)
    assert any("no independent column ran" in note for note in alone.notes)
    assert any("finite differences skipped" in note for note in alone.notes)
    with_sympy = sg.check("sin(x) * y", at={"x": 0.5, "y": 2.0})
    assert with_sympy.independent == (SYMPY,) and with_sympy.ok is True


def test_random_points_lie_in_the_domain_and_are_several():
    report = sg.check("log(x) + sqrt(y - 1) + 1/(x - 2)")
    assert report.ok, str(report)
    assert len(report.points) == 3
    for point in report.points:
        assert point["x"] > 0 and point["y"] > 1 and point["x"] != 2


def test_vector_symbols_get_random_vectors_and_a_row_per_element():
    report = sg.check(sg.parse("sum(w * x) + norm(w)", shapes={"w": (3,)}))
    assert report.ok, str(report)
    assert all(np.shape(point["w"]) == (3,) for point in report.points)
    assert {row.variable for row in report.rows} == {"w[0]", "w[1]", "w[2]", "x"}


def test_vector_output_is_checked_through_its_jacobian():
    report = sg.check(sg.parse("w * x", shapes={"w": (3,)}), at={"w": [1.0, 2.0, 3.0], "x": 2.0})
    assert report.ok
    assert len(report.rows) == 3 * 4
    entry = {(row.output, row.variable): row.values[REVERSE] for row in report.rows}
    assert entry[("f[1]", "w[1]")] == pytest.approx(2.0)
    assert entry[("f[1]", "w[0]")] == 0.0
    assert entry[("f[2]", "x")] == pytest.approx(3.0)


def test_many_entries_are_checked_by_random_projection():
    report = sg.check(sg.parse("sum(x*x) + prod(x)", shapes={"x": (100,)}), samples=1)
    assert report.ok
    assert [row.variable for row in report.rows] == ["(u.x)"]
    assert SYMPY not in report.methods and any("projection" in note for note in report.notes)


def test_a_broken_derivative_rule_is_caught(monkeypatch):
    spec = OPS["sin"]
    monkeypatch.setitem(OPS, "sin", dataclasses.replace(
        spec, grad=lambda F, g, out, x: (g * F.cos(x) * 1.001,)))
    report = sg.check("sin(x) * y + 0.123456")
    assert not report.ok
    bad = [row for row in report.rows if not row.ok]
    assert bad and all(row.variable == "x" for row in bad)
    row = bad[0]
    # The independent columns agree with each other and not with the broken rule.
    assert row.values[FINITE] == pytest.approx(row.values[SYMPY], rel=1e-9)
    assert row.values[REVERSE] == pytest.approx(row.values[FINITE] * 1.001, rel=1e-9)
    assert "differs" in str(report)
    # symgrad's own columns share the broken rule: they agree with each other, every row.
    assert report.shared == (CLOSED, REVERSE) and report.independent == (FINITE, SYMPY)
    for row in report.rows:
        assert row.values[CLOSED] == pytest.approx(row.values[REVERSE], rel=1e-12)
    # Only the independent oracles flag it, and the report says what that suggests.
    for row in bad:
        for method in INDEPENDENT:
            assert row.values[method] != pytest.approx(row.values[CLOSED], rel=1e-6)
    assert any("rule is likely wrong" in note for note in report.notes)


def test_broken_rule_is_restored_after_the_test():
    # A different expression: compiled kernels are cached by DAG, and the one compiled while
    # the rule was broken would still be found for the same expression.
    assert sg.check("sin(x) * y + 0.654321").ok


def test_only_finite_differences_differ_at_a_kink():
    # Issue 12: where SymPy's independent column agrees with symgrad, finite differences
    # alone do not make the methods "disagree"; the report says why they differ.
    report = sg.check("where(x > 0, sqrt(x), 0)", at={"x": 0.0})
    assert report.ok
    (row,) = report.rows
    assert row.values[CLOSED] == 0.0 == row.values[REVERSE] == row.values[SYMPY]
    assert row.values[FINITE] != pytest.approx(0.0)
    assert any("kink" in note and "SymPy's column decides" in note for note in report.notes)


def test_finite_differences_alone_fail_the_check_without_sympy():
    report = sg.check("where(x > 0, sqrt(x), 0)", at={"x": 0.0}, use_sympy=False)
    assert not report.ok
    assert any("not be differentiable" in note for note in report.notes)


@pytest.mark.parametrize("seed", range(5))
def test_a_fast_oscillation_is_resolved_by_finite_differences(seed):
    # The first steps are multiples of the period of sin(1000*x) at some points: their
    # differences agree with each other and are all wrong; smaller steps must win.
    report = sg.check("sin(1000*x)", seed=seed)
    assert report.ok, str(report)
    for row in report.rows:
        x = report.points[row.point]["x"]
        assert row.values[FINITE] == pytest.approx(1000 * np.cos(1000 * x), rel=1e-8, abs=1e-8)
    assert not report.notes


@pytest.mark.parametrize("x", [1e-4, 1e-6, 3e-3])
def test_finite_differences_near_the_edge_of_the_domain(x):
    report = sg.check("sqrt(x)*log(x)", at={"x": x})
    assert report.ok, str(report)
    (row,) = report.rows
    expected = (np.log(x) + 2) / (2 * np.sqrt(x))   # by hand
    assert row.values[FINITE] == pytest.approx(expected, rel=1e-8)
    assert row.values[CLOSED] == pytest.approx(expected, rel=1e-12)


def test_one_sided_differences_where_no_central_step_fits():
    from symgrad.checking.finite_differences import Probe, finite_differences
    x = sg.symbols("x")
    probe = Probe("", None, "x", "x", np.array(1.0))
    # sqrt(x)**2 + sin(x) is undefined for x < 0: at 0 every central step leaves the domain;
    # from the right its slope is 1 + cos(0) = 2.
    column, errors = finite_differences(sg.sqrt(x) ** 2 + sg.sin(x), [probe], {"x": np.array([0.0])})
    assert column[(0, 0)] == pytest.approx(2.0, rel=1e-8)
    assert errors[(0, 0)] < 1e-6


def test_eager_tensor_is_checked_at_its_leaf_values():
    x = sg.tensor(3.0, requires_grad=True)
    u = sg.tensor(2.0, requires_grad=True)
    report = sg.check(3 * x**2 + 4 * x + 2 * u * x)
    assert report.ok
    assert sorted(report.points[0].values()) == [2.0, 3.0]
    assert sorted(row.values[CLOSED] for row in report.rows) == pytest.approx([6.0, 26.0])


def test_sympy_is_skipped_with_a_note_for_a_large_expression():
    x = sg.symbols("x")
    expr = x
    for k in range(200):
        expr = sg.sin(expr) * 0.5 + x * (k + 1) ** -1
    report = sg.check(expr, at={"x": 0.3})
    assert report.ok
    assert SYMPY not in report.methods
    assert any("SymPy skipped" in note for note in report.notes)


def test_bad_input_raises_symgrad_errors():
    # (A `wrt` name the expression does not use is no longer an error: see
    # tests/test_variables.py, where it gets a zero partial in every column.)
    with pytest.raises(sg.ArgumentError, match="no value given"):
        sg.check("x*y", at={"x": 1.0})
    with pytest.raises(sg.ShapeError, match="one point"):
        sg.check("x**2", at={"x": [1.0, 2.0]})
    with pytest.raises(sg.DomainError):
        sg.check("sqrt(-1 - x**2)")


def test_finite_differences_reach_about_1e_10():
    value = finite_difference_gradient(sg.parse("exp(x) * sin(3*x)"), {"x": 0.7})["x"]
    exact = math.exp(0.7) * (math.sin(2.1) + 3 * math.cos(2.1))
    assert abs(value - exact) < 1e-10


def test_richardson_removes_the_leading_error_terms():
    h = 0.1 / 2.0 ** np.arange(6)
    central = (np.sin(1 + h) - np.sin(1 - h)) / (2 * h)
    best, error = richardson(central)
    assert abs(best - math.cos(1.0)) < 1e-12
    assert error < 1e-9


@settings(max_examples=20, deadline=None)
@given(expressions(max_steps=6))
def test_generated_expressions_agree_at_their_points(generated):
    point = {name: float(values[0]) for name, values in generated.points.items()
             if name in generated.expr.symbols}
    report = sg.check(generated.expr, at=point, use_sympy=False)
    assert report.ok, str(report)


def test_cbrt_checks_out_for_negative_arguments():
    assert sg.check("cbrt(x)", at={"x": -2.0}).ok


class TestCheckVerifySteps:
    def test_check_at_point(self):
        r = sg.check(sg.parse(E_TEXT), at={"x": 3, "u": 2})
        assert r.ok
        assert isinstance(r.max_error, float) and 0 <= r.max_error < 1e-6
        text = str(r)
        assert "x" in text and "u" in text and "26" in text and "6" in text

    def test_check_without_point(self):
        r = sg.check(sg.parse("sin(x)*exp(y) + log(1 + x*x)"))
        assert r.ok and r.max_error < 1e-6
        assert str(r)

    def test_check_domain_restricted_without_point(self):
        r = sg.check(sg.parse("log(x) + sqrt(y) + acos(z)"))
        assert r.ok and math.isfinite(r.max_error)
