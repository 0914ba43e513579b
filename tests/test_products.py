"""Gradients of products of many factors: shared prefix and suffix products (issue 16, item 4).

Sizes are counted in the benchmarks' DAG-ops metric (a node with m > 1 arguments is m - 1
binary operations, any other operation node one); values are checked against SymPy and
central finite differences.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import symgrad as sg
from symgrad.core.traverse import topological
from symgrad.ops.arithmetic import is_group
from symgrad.ops.functions import multiply


def dag_ops(*exprs: sg.Expr) -> int:
    return sum(max(1, len(node.args) - 1) for node in topological(list(exprs)) if node.args)


def product_of_squares(n: int) -> tuple[list[sg.Expr], sg.Expr]:
    variables = [sg.symbols(f"x{i}") for i in range(n)]
    return variables, multiply([v**2 + 1 for v in variables])


@pytest.mark.parametrize("n", [10, 100, 300])
def test_product_gradient_within_four_times_the_function_in_dag_ops(n):
    _, f = product_of_squares(n)
    gradient = sg.grad(f)
    assert len(gradient) == n
    assert dag_ops(*gradient.values()) <= 4 * dag_ops(f)
    assert sg.size(*gradient.values()) <= 4 * f.size


def test_product_gradient_matches_sympy():
    variables, f = product_of_squares(12)
    gradient = sg.grad(f)
    names = [str(v) for v in variables]
    point = {name: 0.3 + 0.1 * i for i, name in enumerate(names)}
    reference = f.to_sympy()
    for name in names:
        want = float(sympy.diff(reference, sympy.Symbol(name)).subs(
            {sympy.Symbol(k): v for k, v in point.items()}))
        assert float(gradient[name].eval(**point)) == pytest.approx(want, rel=1e-12)


def test_product_gradient_matches_finite_differences_with_zero_factor():
    # Prefix and suffix products divide by nothing: a factor that is 0 at the point is fine.
    variables = [sg.symbols(f"y{i}") for i in range(20)]
    f = multiply([sg.sin(v) for v in variables])
    point = {f"y{i}": 0.1 * (i + 1) for i in range(20)}
    point["y3"] = 0.0
    gradient = sg.grad(f)
    step = 1e-6
    for name in point:
        up, down = dict(point), dict(point)
        up[name] += step
        down[name] -= step
        want = (float(f.eval(**up)) - float(f.eval(**down))) / (2 * step)
        assert float(gradient[name].eval(**point)) == pytest.approx(want, rel=1e-6, abs=1e-12)


def test_small_product_partials_stay_flat_products():
    x, y, z, w = sg.symbols("x y z w")
    gradient = sg.grad(x * y * z * w)
    assert gradient["x"] is y * z * w
    assert str(gradient["w"]) == "x*y*z"


def test_groups_stay_whole_when_multiplied_and_user_products_flatten():
    variables, f = product_of_squares(10)
    partial = sg.grad(f)["x0"]
    shared = [node for node in topological([partial]) if is_group(node)]
    assert shared, "the partial uses shared prefix and suffix products"
    group = shared[0]
    scaled = group * 3 * variables[0]
    assert group in scaled.args and len(scaled.args) == 3
    a, b, c = sg.symbols("a b c")
    assert (a * b) * c is a * b * c and not is_group(a * b * c)


def test_product_hessian_values_against_sympy():
    variables, f = product_of_squares(9)
    names = [str(v) for v in variables]
    hessian = sg.hessian(f, names[:3])
    point = {name: 0.5 - 0.05 * i for i, name in enumerate(names)}
    reference = f.to_sympy()
    symbols = {name: sympy.Symbol(name) for name in names}
    values = {symbols[k]: v for k, v in point.items()}
    for i in range(3):
        for j in range(3):
            want = float(sympy.diff(reference, symbols[names[i]], symbols[names[j]]).subs(values))
            assert float(hessian[i][j].eval(**point)) == pytest.approx(want, rel=1e-12)


def test_vector_prod_gradient_is_small_and_right():
    w = sg.symbols("w", shape=(50,))
    f = sg.prod(w * w + 1)
    gradient = sg.grad(f)["w"]
    assert dag_ops(gradient) <= 4 * dag_ops(f)
    values = np.linspace(-1.0, 1.0, 50)
    squares = values**2 + 1
    want = np.array([2 * values[i] * np.prod(np.delete(squares, i)) for i in range(50)])
    np.testing.assert_allclose(gradient.eval(w=values), want, rtol=1e-12)


@pytest.mark.parametrize("factors", [9, 12, 30])
def test_partials_of_many_factors_print_as_sympy_prints_them(factors: int) -> None:
    # The shared groups are written out flat: the text is SymPy's, not nested parentheses.
    product = sg.parse("*".join(f"(x{i}**2 + 1)" for i in range(factors)))
    for name in ("x0", f"x{factors // 2}", f"x{factors - 1}"):
        partial = sg.diff(product, name)
        assert str(partial) == str(sympy.diff(product.to_sympy(), name))
        assert "((" not in partial.latex()


def test_a_partial_times_one_of_its_factors_prints_and_reads_as_the_flat_product() -> None:
    ys = sg.symbols(" ".join(f"y{i}" for i in range(1, 9)))
    product = multiply(list(ys))
    partial = sg.diff(product, "y1")
    flat = sg.parse("*".join(f"y{i}" for i in range(2, 9)))
    assert sg.parse(str(partial)) is flat  # the text is the flat product's
    times = partial * ys[1]
    assert str(times) == str(times.to_sympy()) == "y2**2*y3*y4*y5*y6*y7*y8"
    assert times.latex().startswith("y_{2}^{2}")
