"""to_sympy, from_sympy and simplify (API.md section 1)."""

from __future__ import annotations

import math
import subprocess
import sys
import threading

import numpy as np
import pytest
import sympy
from hypothesis import given, settings

import symgrad as sg
from symgrad.language import sympy_bridge
from symgrad.language.sympy_bridge import from_sympy, simplify, to_sympy
from strategies import E_TEXT, close, expressions, Generated, values_of

X, Y = sympy.symbols("x y")


def test_import_symgrad_does_not_import_sympy():
    code = "import sys, symgrad; e = symgrad.parse('sin(x)'); print('sympy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_seed_polynomial_maps_to_the_sympy_polynomial():
    e = sg.parse("3*x**2 + 4*x + 2*u*x")
    u = sympy.Symbol("u")
    assert sympy.expand(e.to_sympy() - (3 * X**2 + 4 * X + 2 * u * X)) == 0


def test_plain_symbols_match_sympify_names():
    # Plain symbols, so that sympy.diff(e.to_sympy(), "x") differentiates the same x.
    e = sg.parse("x**3")
    assert sympy.diff(e.to_sympy(), "x") == 3 * X**2


def test_vector_symbol_elements_are_named_by_index():
    w = sg.symbols("w", shape=(3,))
    assert (2 * w).to_sympy() == sympy.Array([2 * sympy.Symbol(f"w_{i}") for i in range(3)])
    a = sg.symbols("A", shape=(2, 2))
    assert a.to_sympy() == sympy.Array([[sympy.Symbol("A_0_0"), sympy.Symbol("A_0_1")],
                                        [sympy.Symbol("A_1_0"), sympy.Symbol("A_1_1")]])


def test_dot_example_expands_to_the_hand_polynomial():
    v = sg.parse("3*dot(x, [1, 7, 5]) + x @ x", shapes={"x": (3,)})
    x0, x1, x2 = sympy.symbols("x_0 x_1 x_2")
    expected = 3 * (x0 + 7 * x1 + 5 * x2) + x0**2 + x1**2 + x2**2
    assert sympy.expand(v.to_sympy() - expected) == 0


def test_matrix_vector_product_and_reductions():
    a = sg.symbols("A", shape=(2, 2))
    w = sg.symbols("w", shape=(2,))
    product = (a @ w).to_sympy()
    a00, a01, w0, w1 = sympy.symbols("A_0_0 A_0_1 w_0 w_1")
    assert sympy.expand(product[0] - (a00 * w0 + a01 * w1)) == 0
    assert sympy.simplify(sg.mean(w).to_sympy() - (w0 + w1) / 2) == 0


def test_constants_become_exact_where_they_are():
    # Exact numbers and pi/e are exact in SymPy; a decimal (a float) stays a Float (API 1b).
    x = sg.symbols("x")
    assert (x / 2).to_sympy() == X / 2
    assert (x / 3).to_sympy() == X / 3
    assert (sg.pi * x).to_sympy() == sympy.pi * X
    assert sg.exp(x + 1).to_sympy() == sympy.exp(X + 1)
    assert (sg.sqrt(sg.constant(2)) * x).to_sympy() == sympy.sqrt(2) * X
    assert (0.5 * x).to_sympy() == sympy.Float(0.5) * X
    assert (math.pi * x).to_sympy() == sympy.Float(math.pi) * X
    assert isinstance((1.2345 * x).to_sympy().args[0], sympy.Float)


@settings(max_examples=100, deadline=None)
@given(expressions())
def test_from_sympy_of_to_sympy_computes_the_same_values(generated: Generated):
    back = from_sympy(to_sympy(generated.expr))
    with np.errstate(all="ignore"):
        ours = values_of(generated.expr, generated.points)
        theirs = values_of(back, {**generated.points})
    np.testing.assert_allclose(theirs, ours, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("sympy_expr, text", [
    (3 * X**2 + 4 * X, "3*x**2 + 4*x"),
    (X / Y, "x/y"),
    (sympy.sqrt(X) + 1 / sympy.sqrt(Y), "sqrt(x) + 1/sqrt(y)"),
    (sympy.Rational(1, 3) * X, "x/3"),
    (sympy.Float(0.25) * X, "0.25*x"),
    (sympy.pi * X + sympy.E, "pi*x + e"),
    (sympy.exp(X) * sympy.log(Y), "exp(x)*log(y)"),
    (sympy.log(X, 2), "log(x)/log(2)"),
    (sympy.Abs(X) + sympy.sign(Y), "abs(x) + sign(y)"),
    (sympy.Min(X, Y), "min(x, y)"),
    (sympy.Max(X, Y, 1), "max(max(1, x), y)"),
    (sympy.atan2(Y, X), "atan2(y, x)"),
    (sympy.asin(X) + sympy.acos(X) + sympy.atan(X), "asin(x) + acos(x) + atan(x)"),
    (sympy.sinh(X) * sympy.cosh(X) * sympy.tanh(X), "sinh(x)*cosh(x)*tanh(x)"),
    (sympy.erf(X), "erf(x)"),
    (sympy.Piecewise((X, X > 0), (0, True)), "where(x > 0, x, 0)"),
    (sympy.Piecewise((X, X < 0), (X**2, X <= 1), (1, True)),
     "where(x < 0, x, where(x <= 1, x**2, 1))"),
    (X**Y, "x**y"),
    (sympy.cot(X), "cot(x)"),  # cot is an op of its own since 0.2
])
def test_from_sympy_maps_each_construct(sympy_expr: sympy.Expr, text: str):
    assert from_sympy(sympy_expr) is sg.parse(text)


def test_from_sympy_heaviside_uses_sympys_value_at_zero():
    h = from_sympy(sympy.Heaviside(X))
    np.testing.assert_array_equal(h.eval(x=np.array([-1.0, 0.0, 2.0])), [0.0, 0.5, 1.0])


def test_from_sympy_arrays_and_matrices_become_array_literals():
    assert from_sympy(sympy.Matrix([[X, 1], [2, X**2]])) is sg.parse("[[x, 1], [2, x**2]]")
    assert from_sympy(sympy.Array([X, Y])) is sg.parse("[x, y]")


def test_from_sympy_walks_deep_expressions_without_recursion():
    deep = X
    for _ in range(5000):
        deep = sympy.sin(deep, evaluate=False)  # SymPy itself recurses when evaluating
    converted = from_sympy(deep)
    assert converted.size == 5001


def test_from_sympy_rejects_unknown_functions_with_a_clear_error():
    with pytest.raises(sg.SymgradError, match="besselj"):
        from_sympy(sympy.besselj(0, X))
    with pytest.raises(sg.SymgradError, match="real"):
        from_sympy(sympy.I * X)
    with pytest.raises(sg.SymgradError):
        from_sympy(sympy.Integral(X, X))


def test_from_sympy_is_exported():
    assert sg.from_sympy is from_sympy


# -- simplify -------------------------------------------------------------------------------------
def test_simplify_uses_sympy_identities():
    x = sg.symbols("x")
    assert (sg.sin(x) ** 2 + sg.cos(x) ** 2).simplify() is sg.constant(1)
    assert sg.parse("(x**2 - 1)/(x - 1)").simplify() is sg.parse("x + 1")
    assert sg.parse("exp(log(x))").simplify().size <= 3


def test_simplify_never_returns_something_larger():
    e = sg.parse("x*y + x*z")
    assert simplify(e).size <= e.size


def test_simplify_refuses_non_scalar_expressions():
    w = sg.symbols("w", shape=(3,))
    with pytest.raises(sg.ShapeError, match="scalar"):
        simplify(w * 2)


def test_simplify_falls_back_to_the_original_when_time_is_up(monkeypatch):
    e = sg.parse("sin(x)**2 + cos(x)**2 + y")

    def slow(expr):
        import time
        time.sleep(2)
        return expr

    monkeypatch.setattr(sympy, "simplify", slow)
    assert simplify(e, seconds=0.2) is e


def test_simplify_time_limit_works_outside_the_main_thread(monkeypatch):
    e = sg.parse("sin(x)**2 + cos(x)**2 + y")
    monkeypatch.setattr(sympy, "simplify", lambda expr: (_ for _ in ()).throw(ValueError("x")))
    found: list[sg.Expr] = []
    worker = threading.Thread(target=lambda: found.append(simplify(e, seconds=1.0)))
    worker.start()
    worker.join()
    assert found == [e]


def test_simplify_falls_back_when_sympy_fails(monkeypatch):
    e = sg.parse("x + 1")

    def broken(expr):
        raise NotImplementedError("no")

    monkeypatch.setattr(sympy, "simplify", broken)
    assert simplify(e) is e
    assert sympy_bridge.SIMPLIFY_SECONDS > 0


def test_pow_exponents_go_to_sympy_as_exact_numbers_or_floats():
    import sympy
    x = sympy.Symbol("x")
    assert sg.parse("x^pi").to_sympy() == x ** sympy.pi
    assert sg.parse("x^(1/10)").to_sympy() == x ** sympy.Rational(1, 10)
    assert sg.parse("x^0.1").to_sympy() == x ** sympy.Float(0.1)
    assert sg.parse("x^1e300").to_sympy() == x ** sympy.Float(1e300)
    assert sg.parse("x^0.123456789").to_sympy() == x ** sympy.Float(0.123456789)


def test_to_sympy_failures_are_symgrad_errors():
    from symgrad.language.sympy_bridge import SympyError
    # At Python's default limit: IPython (imported by the notebook tests) raises it to 3000.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        with pytest.raises(SympyError, match="nests too deeply"):
            sg.parse("sin(" * 500 + "x" + ")" * 500).to_sympy()
    finally:
        sys.setrecursionlimit(limit)


def test_within_sends_back_results_and_errors_from_its_worker():
    # Off the main thread the work runs in a forked child and comes back pickled.
    import threading
    import sympy
    from symgrad.language.sympy_bridge import within
    x = sympy.Symbol("x")
    outcome: list[object] = []

    def run() -> None:
        outcome.append(within(10.0, sympy.diff, sympy.sin(x) ** 2, x))
        outcome.append(within(10.0, sg.parse, "sin(x)^2"))
        try:
            within(10.0, sg.parse, "sin(")
        except sg.ParseError as error:
            outcome.append(error)
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert outcome[0] == 2 * sympy.sin(x) * sympy.cos(x)
    assert outcome[1] is sg.parse("sin(x)^2")  # an Expr comes back re-interned
    assert isinstance(outcome[2], sg.ParseError)


class TestExprAttributes:
    def test_to_sympy(self):
        e = sg.parse(E_TEXT)
        x, u = sympy.symbols("x u")
        assert sympy.expand(e.to_sympy() - (3*x**2 + 4*x + 2*u*x)) == 0

    def test_from_sympy(self):
        x, y = sympy.symbols("x y")
        back = sg.from_sympy(sympy.sin(x) * y + x**3)
        assert isinstance(back, sg.Expr)
        assert back is sg.parse("sin(x)*y + x**3")

    @pytest.mark.parametrize("text", [
        "atan2(x, y) + erf(x)", "where(x > y, x**2, y)", "max(x, y) * min(x, y)",
        "log2(x) + log10(y) + cbrt(x)", "sigmoid(x) + softplus(y) + relu(x - y)", "abs(x)*sign(y)",
    ])
    def test_sympy_round_trip_is_numerically_equal(self, text):
        e = sg.parse(text)
        back = sg.from_sympy(e.to_sympy())
        for x, y in [(0.7, 0.3), (0.2, 1.9), (2.5, 2.5)]:
            assert close(back.eval(x=x, y=y), e.eval(x=x, y=y))


# -- no code from data (issue 10, item 3) ------------------------------------------------------------
def test_from_sympy_rejects_text_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch() or x"
    with pytest.raises(sg.SymgradError, match="sg.parse"):
        from_sympy(payload)
    assert not marker.exists()


def test_from_sympy_never_sympifies_objects_whose_text_is_code(tmp_path):
    marker = tmp_path / "ran"

    class Sneaky:  # sympify falls back to str() of objects it does not know
        def __str__(self) -> str:
            return f"__import__('pathlib').Path({str(marker)!r}).touch() or x"

    with pytest.raises(sg.SymgradError):
        from_sympy(Sneaky())
    assert not marker.exists()


def test_from_sympy_still_takes_python_and_numpy_numbers():
    assert from_sympy(2) is sg.parse("2")
    assert from_sympy(np.float64(0.5)) is sg.parse("0.5")


def test_package_source_has_no_text_evaluation():
    import pathlib
    import re
    root = pathlib.Path(sg.__file__).parent
    found = []
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"\bsympify\(", r"\bparse_expr\(", r"(?<![.\w])(?<!def )eval\(", r"\bpickle\.loads?\("):
            found += [f"{path.name}: {pattern}" for _ in re.finditer(pattern, text)]
    # The SymPy worker's result comes back pickled from our own forked child over a private
    # pipe (sympy_bridge._in_child): not user data, and the one place allowed.
    assert found == [r"sympy_bridge.py: \bpickle\.loads?\("]


def test_an_error_that_does_not_pickle_comes_back_as_its_class_and_message():
    import os
    import threading
    from symgrad.language.sympy_bridge import within

    def fails() -> None:
        error = sg.ParseError("unexpected end of input")
        error.source = os  # a module: pickle refuses it
        raise error
    caught: list[BaseException] = []

    def run() -> None:  # off the main thread, so `within` forks a child
        try:
            within(10.0, fails)
        except sg.SymgradError as error:
            caught.append(error)
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert type(caught[0]) is sg.ParseError and "unexpected end of input" in str(caught[0])
    assert not hasattr(caught[0], "source")
