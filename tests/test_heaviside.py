"""heaviside(x, h0) and the derivatives of max, min, clamp and relu written with it (issue 12).

Oracles: numpy's heaviside for values, SymPy (`diff` of Max/Min, `Heaviside`, its evaluation
at ties), PyTorch's gradients at ties and kinks, and values worked out by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy

import symgrad as sg
from needs import module
from strategies import sympy_modules

x, y = sg.symbols("x y")
X, Y = sympy.symbols("x y")
SPECIAL = np.array([-2.0, -0.0, 0.0, 0.5, np.inf, -np.inf, np.nan])


# -- the operation ------------------------------------------------------------------------------
@pytest.mark.parametrize("h0", [0.0, 0.5, 1.0, 0.25])
def test_heaviside_of_numbers_is_numpys(h0: float) -> None:
    with np.errstate(invalid="ignore"):
        expected = np.heaviside(SPECIAL, h0)
    np.testing.assert_array_equal(sg.heaviside(SPECIAL, h0), expected)
    np.testing.assert_array_equal(sg.heaviside(x, h0).eval(x=SPECIAL), expected)


def test_h0_defaults_to_one_half_as_sympys_heaviside() -> None:
    assert sg.heaviside(0.0) == 0.5 and sg.heaviside(-3.0) == 0.0 and sg.heaviside(2.0) == 1.0
    assert sg.heaviside(x) is sg.heaviside(x, sg.constant(1) / 2)
    assert str(sg.heaviside(x)) == "heaviside(x, 1/2)"
    assert sympy.Heaviside(X).args == (X, sympy.S.Half)  # SymPy's own default, the oracle


def test_exact_arguments_fold_to_exact_values() -> None:
    assert sg.parse("heaviside(0, 1/3)") is sg.constant(1) / 3
    assert sg.parse("heaviside(-2, 1/3)") is sg.constant(0)
    assert sg.parse("Heaviside(5)") is sg.constant(1)


def test_text_forms_read_back_and_sympys_spelling_parses() -> None:
    assert sg.parse("Heaviside(x)") is sg.parse("heaviside(x)") is sg.parse("heaviside(x, 1/2)")
    assert sg.parse("Heaviside(x - y, 0)") is sg.heaviside(x - y, 0)
    with pytest.raises(sg.ArityError, match="1 to 2 arguments"):
        sg.parse("heaviside(x, 1, 2)")
    with pytest.raises(sg.ArityError):
        sg.parse("heaviside()")


def test_latex_input_reads_the_operator_names() -> None:
    assert sg.parse_latex(r"\operatorname{heaviside}\left(x, 0\right)") is sg.heaviside(x, 0)
    assert sg.parse_latex(r"\operatorname{Heaviside}(x - y)") is sg.heaviside(x - y)


def test_derivative_is_zero_in_both_arguments_as_sympy_away_from_zero() -> None:
    h0 = sg.symbols("h")
    expr = sg.heaviside(x, h0)
    assert sg.diff(expr, "x") is sg.constant(0) and sg.diff(expr, "h") is sg.constant(0)
    # SymPy: DiracDelta(x), 0 away from x = 0; and 0 in h0 through the bridge's class.
    assert sympy.diff(expr.to_sympy(), X) == sympy.DiracDelta(X)
    assert sympy.diff(expr.to_sympy(), sympy.Symbol("h")) == 0
    _, gradient = sg.reverse(x * expr, at={"x": 2.0, "h": 0.3})
    assert gradient == {"x": 1.0, "h": 0.0}


def test_taylor_coefficients_are_constant_on_each_side() -> None:
    np.testing.assert_array_equal(sg.taylor(sg.heaviside(x - 1), "x", at=2.0, order=3), [1, 0, 0, 0])
    np.testing.assert_array_equal(sg.taylor(sg.heaviside(x - 1), "x", at=0.0, order=3), [0, 0, 0, 0])
    assert sg.series(x * sg.heaviside(x - 1, 0), "x", at=3, order=2) is sg.parse("x")


def test_latex_is_a_case_analysis_that_folds_h0_zero_and_one_into_a_row() -> None:
    assert sg.heaviside(x - y).latex() == (
        r"\begin{cases} 1 & x > y \\ \frac{1}{2} & x = y \\ 0 & \text{otherwise} \end{cases}")
    assert sg.heaviside(x, 0).latex() == r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}"
    assert sg.heaviside(1 - x, 1).latex() == r"\begin{cases} 1 & x \le 1 \\ 0 & \text{otherwise} \end{cases}"
    assert sg.heaviside(-x, 0).latex() == r"\begin{cases} 1 & x < 0 \\ 0 & \text{otherwise} \end{cases}"
    assert sg.heaviside(x, y).latex() == (
        r"\begin{cases} 1 & x > 0 \\ y & x = 0 \\ 0 & \text{otherwise} \end{cases}")


# -- the derivatives of max, min, clamp and relu ---------------------------------------------------
DERIVATIVES = [  # expression, variable, printed derivative (as str(sympy.diff(...)) orders it)
    ("max(x, y)", "x", "heaviside(x - y, 1/2)"),
    ("max(x, y)", "y", "heaviside(-x + y, 1/2)"),
    ("min(x, y)", "x", "heaviside(-x + y, 1/2)"),
    ("min(x, y)", "y", "heaviside(x - y, 1/2)"),
    ("relu(x)", "x", "heaviside(x, 0)"),
    ("clamp(x, 0, 1)", "x", "heaviside(x, 1)*heaviside(1 - x, 1)"),
    ("clamp(2*x - 1, 0, 1)", "x", "2*heaviside(2 - 2*x, 1)*heaviside(2*x - 1, 1)"),
    ("min(x, 1 - y)", "y", "-heaviside(x + y - 1, 1/2)"),
    ("max(x**2, y)", "x", "2*x*heaviside(x**2 - y, 1/2)"),
]


@pytest.mark.parametrize(("text", "name", "printed"), DERIVATIVES)
def test_derivatives_print_with_heaviside_and_read_back(text: str, name: str, printed: str) -> None:
    derivative = sg.diff(text, name)
    assert str(derivative) == printed
    assert sg.parse(printed) is derivative


@pytest.mark.parametrize(("sympy_expr", "text", "name"), [
    (sympy.Max(X, Y), "max(x, y)", "x"), (sympy.Max(X, Y), "max(x, y)", "y"),
    (sympy.Min(X, Y), "min(x, y)", "x"), (sympy.Max(X, 0), "relu(x)", "x"),
    (sympy.Max(X ** 2, Y), "max(x**2, y)", "x"),
])
def test_to_sympy_of_the_derivative_is_sympys_derivative(sympy_expr: Any, text: str, name: str) -> None:
    ours = sg.diff(text, name).to_sympy()
    theirs = sympy.diff(sympy_expr, sympy.Symbol(name))
    if text == "relu(x)":  # SymPy's Max(x, 0)' is Heaviside(x) (1/2 at 0); PyTorch's relu'(0) is 0
        theirs = theirs.subs(sympy.Heaviside(X), sympy.Heaviside(X, 0))
    assert ours == theirs


POINTS = [(0.3, 0.7), (1.5, -2.0), (1.0, 1.0), (0.0, 0.0), (-1.0, -1.0), (1.0, 0.0), (0.0, 1.0)]
KINKS = ["max(x, y)", "min(x, y)", "relu(x)", "relu(x - y)", "clamp(x, 0, 1)", "clamp(x, y, 1)",
         "clamp(x, 0, y)", "max(x, y)*x", "min(x**2, y)", "max(x, 0)"]


@pytest.mark.parametrize("text", KINKS)
def test_sympy_evaluates_our_derivatives_to_our_numbers_at_ties_and_elsewhere(text: str) -> None:
    expr = sg.parse(text)
    for name in expr.symbols:
        derivative = sg.diff(expr, name)
        function = sympy.lambdify([X, Y], derivative.to_sympy(), modules=sympy_modules())
        for a, b in POINTS:
            at = {"x": a, "y": b}
            ours = float(derivative.eval(**{n: at[n] for n in derivative.symbols}))
            assert float(function(a, b)) == ours, (text, name, a, b)
            exact = derivative.to_sympy().subs({X: sympy.nsimplify(a), Y: sympy.nsimplify(b)})
            assert float(exact) == ours, (text, name, a, b, exact)


def _torch_gradients(torch: Any, text: str, a: float, b: float) -> dict[str, float]:
    tx = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    functions = {"max(x, y)": lambda: torch.maximum(tx, ty), "min(x, y)": lambda: torch.minimum(tx, ty),
                 "relu(x)": lambda: torch.relu(tx), "relu(x - y)": lambda: torch.relu(tx - ty),
                 "clamp(x, 0, 1)": lambda: torch.clamp(tx, 0.0, 1.0),
                 "clamp(x, y, 1)": lambda: torch.clamp(tx, ty, torch.tensor(1.0, dtype=torch.float64)),
                 "clamp(x, 0, y)": lambda: torch.clamp(tx, torch.tensor(0.0, dtype=torch.float64), ty),
                 "max(x, y)*x": lambda: torch.maximum(tx, ty) * tx,
                 "min(x**2, y)": lambda: torch.minimum(tx ** 2, ty),
                 "max(x, 0)": lambda: torch.maximum(tx, torch.tensor(0.0, dtype=torch.float64))}
    gx, gy = torch.autograd.grad(functions[text](), [tx, ty], allow_unused=True)
    return {"x": 0.0 if gx is None else float(gx), "y": 0.0 if gy is None else float(gy)}


# Where symgrad keeps its own (earlier) choice: x < low == high, the value is low (and high);
# PyTorch gives every argument 0 there, symgrad gives the gradient to low (the partials sum to 1).
OWN_CHOICE = {("clamp(x, y, 1)", 0.0, 1.0): {"x": 0.0, "y": 1.0}}


@pytest.mark.parametrize("text", KINKS)
def test_every_path_gives_pytorchs_gradient_at_ties_and_kinks(text: str) -> None:
    torch = module("torch", "PyTorch's gradients at ties are the oracle")
    expr = sg.parse(text)
    symbolic = sg.grad(expr, ["x", "y"])
    kernel = sg.compile(expr, ["x", "y"], grad=True)
    for a, b in POINTS:
        want = OWN_CHOICE.get((text, a, b)) or _torch_gradients(torch, text, a, b)
        got_symbolic = {n: float(d.eval(x=a, y=b)) if d.symbols else float(d.eval())
                        for n, d in symbolic.items()}
        _, got_reverse = sg.reverse(expr, at={"x": a, "y": b}, wrt=["x", "y"])
        _, got_kernel = kernel(x=a, y=b)
        tx, ty = sg.tensor(a, requires_grad=True), sg.tensor(b, requires_grad=True)
        eager = _eager(text, tx, ty)
        gx, gy = sg.autograd.grad(eager, [tx, ty], allow_unused=True)
        got_eager = {"x": 0.0 if gx is None else gx.item(), "y": 0.0 if gy is None else gy.item()}
        for got in (got_symbolic, {n: float(v) for n, v in got_reverse.items()},
                    {n: float(v) for n, v in got_kernel.items()}, got_eager):
            assert got == want, (text, a, b, got, want)


def _eager(text: str, tx: Any, ty: Any) -> Any:
    one, zero = sg.tensor(1.0), sg.tensor(0.0)
    return {"max(x, y)": lambda: sg.max(tx, ty), "min(x, y)": lambda: sg.min(tx, ty),
            "relu(x)": lambda: sg.relu(tx), "relu(x - y)": lambda: sg.relu(tx - ty),
            "clamp(x, 0, 1)": lambda: sg.clamp(tx, 0.0, 1.0), "clamp(x, y, 1)": lambda: sg.clamp(tx, ty, one),
            "clamp(x, 0, y)": lambda: sg.clamp(tx, zero, ty), "max(x, y)*x": lambda: sg.max(tx, ty) * tx,
            "min(x**2, y)": lambda: sg.min(tx ** 2, ty), "max(x, 0)": lambda: sg.max(tx, zero)}[text]()


def test_clamp_with_crossed_bounds_gives_everything_to_high_as_pytorch() -> None:
    # low > high: the value is high everywhere, so is the gradient (hand-derived, PyTorch's).
    for at in (-1.0, 1.5, 3.0):
        _, gradient = sg.reverse(sg.parse("clamp(x, y, z)"), at={"x": at, "y": 2.0, "z": 1.0})
        assert gradient == {"x": 0.0, "y": 0.0, "z": 1.0}


def test_second_derivatives_of_piecewise_functions_are_zero() -> None:
    for text in ("max(x, y)", "relu(x)", "clamp(x, 0, 1)", "min(x, y)"):
        assert sg.diff(text, "x", order=2) is sg.constant(0)


@pytest.mark.parametrize("text", KINKS)
def test_sympy_differentiating_our_derivatives_agrees_with_ours_off_the_kinks(text: str) -> None:
    expr = sg.parse(text)
    for name in expr.symbols:
        first = sg.diff(expr, name)
        for other in ("x", "y"):
            theirs = sympy.diff(first.to_sympy(), sympy.Symbol(other))  # DiracDelta terms
            function = sympy.lambdify([X, Y], theirs, modules=sympy_modules())
            ours = sg.diff(first, other)
            for a, b in [(0.3, 0.7), (1.5, -2.0), (-0.4, 0.6), (2.5, 1.25)]:
                value = float(ours.eval(**{n: {"x": a, "y": b}[n] for n in ours.symbols}))
                assert float(function(a, b)) == value, (text, name, other, a, b)


# -- PyTorch has heaviside but does not differentiate it -----------------------------------------
def test_heaviside_values_are_torchs_and_torch_has_no_derivative_for_it() -> None:
    torch = module("torch", "torch.heaviside is the oracle")
    values = torch.tensor([-1.5, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    theirs = torch.heaviside(values, torch.tensor(0.25, dtype=torch.float64))
    ours = sg.tensor([-1.5, 0.0, 2.0], requires_grad=True).heaviside(sg.tensor(0.25))
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    assert theirs.grad_fn.name().endswith("NotImplemented")  # why the backward-name test skips it
    with pytest.raises(RuntimeError, match="not implemented"):
        theirs.sum().backward()
    leaf = sg.tensor([-1.5, 0.0, 2.0], requires_grad=True)
    assert ours.grad_fn.name() == "HeavisideBackward0"
    # Derivative 0 a.e.: zeros, as PyTorch's sign (whose derivative is 0 alike) gives.
    (gradient,) = sg.autograd.grad(sg.heaviside(leaf).sum(), [leaf])
    np.testing.assert_array_equal(gradient.numpy(), np.zeros(3))


# -- compiled kernels ------------------------------------------------------------------------------
def test_numpy_and_numba_kernels_compute_numpys_heaviside() -> None:
    expr = sg.heaviside(x, y) * 3 + sg.relu(x)
    points = {"x": np.tile(SPECIAL, 2), "y": np.repeat([0.25, 1.0], len(SPECIAL))}
    with np.errstate(invalid="ignore"):
        expected = expr.eval(**points)
        np.testing.assert_array_equal(sg.compile(expr)(**points), expected)
        module("numba", "the numba backend's template is checked against numpy")
        fused = sg.compile(expr, backend="numba")
        assert fused.fallback is None
        np.testing.assert_array_equal(fused(**points), expected)


def test_the_cuda_template_computes_numpys_heaviside(tmp_path: Path) -> None:
    from test_backends import run_cuda_source_as_c
    expr = sg.heaviside(x, y) * 3 + sg.relu(x)
    kernel = sg.compile(expr, backend="cupy")
    assert kernel.fallback is None and "double t0 = " in kernel.source
    points = {"x": np.tile(SPECIAL, 2), "y": np.repeat([0.25, 1.0], len(SPECIAL))}
    output = np.empty(len(points["x"]))
    run_cuda_source_as_c(kernel, len(output), [points[n] for n in kernel.args], [], [output], tmp_path)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(output, expr.eval(**points))
