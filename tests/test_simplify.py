"""The rewrite-table simplifier (calculus/simplify.py): each rule fires, keeps values at random
points of its domain (numpy), and never grows the DAG; the logistic-loss gradient's form."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy

import symgrad as sg
from symgrad.calculus import simplify as simplifier
from symgrad.calculus.simplify import RULES, Rule, factor_terms, rewrite
from symgrad.core.expr import make_node

x, y, z, p = sg.symbols("x y z p")


def _reciprocal_of_product(*factors: sg.Expr) -> sg.Expr:
    """(a*b)**-1 held as one node: the builder takes it apart into a**-1*b**-1 (as SymPy
    does), but a rule must still be safe on a DAG built before or outside the builder."""
    return make_node("pow", (make_node("mul", factors, ()),), (), (("exponent", Fraction(-1)),))

RNG = np.random.default_rng(12)

# rule name -> (an expression it must fire on, the domain of its symbols)
EXAMPLES: dict[str, tuple[sg.Expr, tuple[float, float]]] = {
    "log_of_exp": (sg.log(sg.exp(x + y)), (-5.0, 5.0)),
    "exp_of_log": (sg.exp(sg.log(sg.sigmoid(x))) * y, (-5.0, 5.0)),
    "cancel_reciprocal": (x * y * _reciprocal_of_product(x, sg.sin(y)), (0.1, 3.0)),
    "distribute_cancel": (x * p * (1 - p) * ((1 - y) / (1 - p) - y / p), (0.05, 0.95)),
    "collect_terms": (x * p * (1 - y) - x * y * (1 - p), (-3.0, 3.0)),
    "common_denominator": (x / (y + 1) + z / (y + 1) + p / (y + 1) + 3, (0.1, 3.0)),
    "sigmoid_complement": (1 - sg.sigmoid(-sg.sin(x)) + y, (-5.0, 5.0)),
    "distribute_number": (4 * (2 * x + 1), (-3.0, 3.0)),
    "merge_power": (x * x ** (x - 1) * y, (0.1, 3.0)),
    "factor_power": (x ** x * sg.log(x) + x ** x * sg.sin(x), (0.1, 3.0)),
    "clear_nested_reciprocal": (x ** -1 * (y / x + z / x) ** -1, (0.1, 3.0)),
}


def _values(e: sg.Expr, low: float, high: float) -> dict[str, np.ndarray]:
    return {name: RNG.uniform(low, high, 200) for name in e.symbols}


def test_every_rule_has_an_example():
    assert sorted(EXAMPLES) == sorted(rule.name for rule in RULES)
    assert all(isinstance(rule, Rule) and rule.note and rule.apply.__doc__ for rule in RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_rule_fires_keeps_values_and_never_grows(rule: Rule):
    e, (low, high) = EXAMPLES[rule.name]
    assert any(node.op == rule.op and rule.apply(node) is not None
               for node in sg.core.traverse.topological([e])), "the rule does not fire"
    alone = rewrite(e, rules=(rule,))
    assert alone is not e and alone.size < e.size
    values = _values(e, low, high)
    np.testing.assert_allclose(alone.eval(values), e.eval(values), rtol=1e-12, atol=1e-12)
    everything = rewrite(e)
    assert everything.size <= alone.size
    np.testing.assert_allclose(everything.eval(values), e.eval(values), rtol=1e-12, atol=1e-12)


def test_logistic_loss_gradient_prints_as_the_textbook_form():
    s = sg.sigmoid(x * z)
    loss = -(y * sg.log(s) + (1 - y) * sg.log(1 - s))
    gradient = sg.grad(loss, ["x", "z"])
    # In SymPy's printed order (a function after a symbol), as str(sympy) writes z*(-y + f(x*z)).
    assert str(gradient["x"]) == "z*(-y + sigmoid(x*z))"
    assert str(gradient["z"]) == "x*(-y + sigmoid(x*z))"
    X, Y, Z = sympy.symbols("x y z")  # as to_sympy() names them
    S = 1 / (1 + sympy.exp(-X * Z))
    expected = sympy.diff(-(Y * sympy.log(S) + (1 - Y) * sympy.log(1 - S)), X)
    T = sympy.Symbol("t", positive=True)  # exp(-x*z): the difference is a rational function of it
    difference = (gradient["x"].to_sympy() - expected).subs(
        {sympy.exp(-X * Z): T, sympy.exp(X * Z): 1 / T})
    assert sympy.cancel(sympy.together(difference)) == 0


def test_the_issue_form_of_the_logistic_gradient_becomes_x_times_p_minus_y():
    e = x * p * (1 - p) * ((1 - y) / (1 - p) - y / p)
    assert rewrite(e) is x * (p - y)


def test_exp_of_log_is_not_applied_where_the_argument_may_be_negative():
    e = sg.exp(sg.log(x))
    assert rewrite(e) is e  # nan for x < 0, while x is not: a different function
    assert np.isnan(e.eval(x=-1.0))


def test_piecewise_factors_are_not_cancelled():
    # relu(y) vanishes on a half-line: relu(y)*x*(relu(y)*x)**-1 is nan there, never 1.
    e = sg.relu(y) * x * _reciprocal_of_product(sg.relu(y), sg.sin(x))
    rewritten = rewrite(e)
    values = {"x": np.array([0.5, 1.0]), "y": np.array([-1.0, -2.0])}
    assert np.all(np.isnan(rewritten.eval(values)))


def test_rewrite_never_rounds_a_coefficient():
    # 0.7 - 0.1 is not exactly 0.6 in floats: collecting the x*y terms would round.
    inexact = 0.1 * x * (1 - y) + 0.7 * x * y
    assert rewrite(inexact) is inexact
    exact = 0.1 * x * (1 - y) + 0.2 * x * y  # 0.2 - 0.1 is exactly 0.1
    assert rewrite(exact) is x * (0.1 * y + 0.1)


def test_a_5000_deep_chain_rewrites_without_recursion():
    e = x
    for _ in range(5000):
        e = sg.log(sg.exp(e * y * (y * sg.sin(e)) ** -1)) + 1
    rewritten = rewrite(e)
    assert rewritten.size < e.size
    values = {"x": np.array([0.3]), "y": np.array([1.7])}
    np.testing.assert_allclose(rewritten.eval(values), e.eval(values), rtol=1e-9)


def test_expr_simplify_runs_the_table_first():
    e = sg.log(sg.exp(x)) * sg.sin(x) * (x * y) ** -1
    assert rewrite(e) is sg.sin(x) / y
    assert e.simplify() is sg.sin(x) / y


def test_derivatives_are_simplified_only_below_the_size_limit(monkeypatch):
    e = sg.sigmoid(x * z)
    loss = -(y * sg.log(e) + (1 - y) * sg.log(1 - e))
    monkeypatch.setattr(simplifier, "DERIVATIVE_LIMIT", 3)
    raw = sg.diff(loss, "x")
    monkeypatch.undo()
    assert sg.diff(loss, "x").size < raw.size


def test_a_lone_minus_one_goes_into_its_sum_as_sympys_product_does():
    (rule,) = [rule for rule in RULES if rule.name == "distribute_number"]
    e = -(sg.cot(x) ** 2 + 1)
    assert e.op == "mul" and rule.apply(e) is not None
    rewritten = rewrite(e, rules=(rule,))
    assert str(rewritten) == "-cot(x)**2 - 1" == str(sympy.expand(e.to_sympy()))
    assert rewritten.size <= e.size
    values = _values(e, 0.1, 3.0)
    np.testing.assert_allclose(rewritten.eval(values), e.eval(values), rtol=1e-12)
    beside = -(x - y) / (x + y) ** 2  # three factors: SymPy keeps -(x - y)/(x + y)**2
    assert rewrite(beside, rules=(rule,)) is beside


# sums whose factor_terms SymPy prints; each must give SymPy's text
FACTORED = [
    x * sg.exp(x) + 2 * sg.exp(x),
    -2 * sg.sin(x) ** 2 + 2 * sg.cos(x) ** 2,
    -4 * x ** 2 / (x ** 2 + 1) ** 2 + 2 / (x ** 2 + 1),
    2 * x / (x + 1) ** 3 - 2 / (x + 1) ** 2,
    6 * x * sg.log(x) + 5 * x,
    sg.parse("x**2*exp(y)/2 + 3*x*exp(y)/4"),
    sg.parse("sqrt(x)*y + x**(3/2)"),
    # one level in, a common -1, and a denominator kept in the sum where a term stays whole
    sg.parse("(2*tan(x)**2 + 2)*tan(x)"),
    sg.parse("-x*exp(x) - 2*exp(x)"),
    sg.parse("-x/4 - y/2"),
    sg.parse("3*x/2 + 3*y"),
]


@pytest.mark.parametrize("e", FACTORED, ids=str)
def test_factor_terms_takes_out_what_every_term_shares_as_sympy_does(e: sg.Expr):
    factored = factor_terms(e)
    assert factored is not e
    assert str(factored) == str(sympy.factor_terms(e.to_sympy()))
    assert factored.size <= e.size
    values = _values(e, 0.1, 3.0)
    np.testing.assert_allclose(factored.eval(values), e.eval(values), rtol=1e-12)
    assert sg.parse(str(factored)) is factored


@pytest.mark.parametrize("e", [x * sg.sin(x) + sg.cos(x), x + 1, 0.5 * x + 0.25 * y,
                               sg.parse("x**2*y - 3*x*z + 1")], ids=str)
def test_factor_terms_leaves_a_sum_with_nothing_to_take_out(e: sg.Expr):
    assert factor_terms(e) is e


def test_factor_terms_keeps_the_nan_of_a_square_of_a_root():
    # sqrt(x)**2 is nan for x < 0 where x is not: taking x out of both terms would make the
    # sum a number there (d2/dx2 sqrt(x)**2*exp(x) was (x + 2)*exp(x), 0.37 at x = -1).
    e = sg.parse("sqrt(x)**2*y + x*z")
    assert np.isnan(factor_terms(e).eval(x=-1.0, y=2.0, z=3.0))
    second = sg.diff("sqrt(x)**2*exp(x)", "x", order=2)
    assert np.isnan(second.eval(x=-1.0))
    np.testing.assert_allclose(second.eval(x=1.5), 3.5 * np.exp(1.5), rtol=1e-12)
    assert str(factor_terms(sg.parse("sqrt(x)**3*y + x*z"))) == "x*(sqrt(x)*y + z)"


def test_factor_terms_never_grows_a_sum():
    # SymPy's (1 - x**2/(x**2 + 1))/sqrt(x**2 + 1) costs a node more than the sum: kept.
    e = sg.parse("1/sqrt(x**2 + 1) - x**2/(x**2 + 1)**(3/2)")
    assert factor_terms(e).size <= e.size


def test_collect_terms_multiplies_out_only_where_terms_cancel():
    (rule,) = [rule for rule in RULES if rule.name == "collect_terms"]
    u = x ** 2 + x
    quotient_rule = (2 * x - 1) / u - (2 * x + 1) * (x ** 2 - x) / u ** 2
    assert rewrite(quotient_rule, rules=(rule,)) is quotient_rule  # would be 5 terms over u
    cancelling = x * p * (1 - y) - x * y * (1 - p)
    assert rewrite(cancelling, rules=(rule,)) is x * (p - y)


def test_a_number_goes_into_a_sum_only_where_the_products_are_exact() -> None:
    # 1.4*0.7 rounds (0.9799999999999999): the product stays, so the derivative has exactly
    # the value of the chain rule's own product and kernels equal eval.
    derivative = sg.diff(sg.parse("(0.7*x + 2.0)**2.0"), "x")
    assert str(derivative) == "1.4*(0.7*x + 2.0)"
    assert str(sg.diff(sg.parse("(0.5*x + 2.0)**2.0"), "x")) == "0.5*x + 2.0"  # exact: goes in
    x = np.linspace(-3, 3, 101)
    np.testing.assert_array_equal(derivative.eval(x=x), 1.4 * (0.7 * x + 2.0))
