"""Compiled kernels (API.md section 3): values, fused gradients, Jacobians, safety, numerics."""

from __future__ import annotations

import importlib
import io
import keyword
import linecache
import math
import subprocess
import sys
import tokenize

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.numeric.evaluate import evaluate
from strategies import E_TEXT, POINTS, close, expressions

compile_module = importlib.import_module("symgrad.numeric.kernel")
RNG = np.random.default_rng(7)
BATCHES = [1, 7, 10_000]


def _reverse_or_skip():
    """`sg.reverse`, or a skip that says why (it is written by another engineer)."""
    reverse = getattr(sg, "reverse", None)
    if reverse is None:
        pytest.skip("symgrad.numeric.reverse is not available yet: reverse-mode comparison skipped")
    return reverse


def _corpus():
    """(expression, {name: shape}) pairs with scalar and vector symbols."""
    x, y = sg.symbols("x y")
    w = sg.symbols("w", shape=(3,))
    a = sg.symbols("A", shape=(2, 3))
    return [
        3 * x**2 + 4 * x + 2 * y * x,
        sg.sin(x * y) * sg.exp(-x * x) + sg.log(1 + y * y),
        sg.tanh(sg.sum(w * x) + y) ** 3 + x**-2,
        sg.norm(w) + sg.dot(w, w) * y + sg.sqrt(1 + x * x),
        sg.sum(a @ w) * x + sg.sigmoid(sg.mean(w)),
        sg.where(x > 0, sg.sqrt(sg.abs(x) + 1), y * y) + sg.max(x, y),
    ]


def _values(expr, batch, rng=RNG):
    values = {}
    for name, shape in expr.symbol_shapes.items():
        values[name] = rng.uniform(0.3, 1.7, size=(batch,) + shape)
        values[name] *= rng.choice([-1.0, 1.0], size=values[name].shape) if name == "x" else 1.0
    return values


# -- values and gradients against independent computations -------------------------------------
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("index", range(6))
def test_value_and_gradient_match_closed_form_eval(index, batch):
    expr = _corpus()[index]
    values = _values(expr, batch)
    value, gradient = sg.compile(expr, grad=True)(**values)
    np.testing.assert_allclose(value, expr.eval(**values), rtol=1e-12, atol=1e-12)
    assert sorted(gradient) == expr.symbols
    for name, partial in sg.grad(expr).items():
        expected = np.broadcast_to(partial.eval(**values), (batch,) + expr.symbol_shapes[name])
        np.testing.assert_allclose(gradient[name], expected, rtol=1e-11, atol=1e-11)
        assert gradient[name].shape == (batch,) + expr.symbol_shapes[name]


@pytest.mark.parametrize("index", range(6))
def test_value_and_gradient_match_reverse_mode(index):
    reverse = _reverse_or_skip()
    expr = _corpus()[index]
    values = _values(expr, 7)
    value, gradient = sg.compile(expr, grad=True)(**values)
    for point in range(7):
        at = {name: array[point] for name, array in values.items()}
        expected_value, expected_gradient = reverse(expr, at=at)
        np.testing.assert_allclose(value[point], expected_value, rtol=1e-12)
        for name in expected_gradient:
            np.testing.assert_allclose(gradient[name][point], expected_gradient[name],
                                       rtol=1e-10, atol=1e-12)


def test_gradient_matches_directional_finite_differences():
    w = sg.symbols("w", shape=(4,))
    expr = sg.log(1 + sg.sum(sg.exp(w * 0.5))) + sg.prod(sg.cos(w))
    kernel = sg.compile(expr)
    ws = RNG.standard_normal((50, 4))
    _, gradient = sg.compile(expr, grad=True)(w=ws)
    direction = RNG.standard_normal(ws.shape)
    h = 1e-6
    fd = (kernel(w=ws + h * direction) - kernel(w=ws - h * direction)) / (2 * h)
    np.testing.assert_allclose(fd, np.sum(gradient["w"] * direction, axis=1), rtol=1e-6, atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(expressions(vector="w", max_steps=6))
def test_kernel_matches_closed_form_on_generated_expressions(generated):
    expr, points = generated.expr, generated.points
    used = {name: points[name] for name in expr.symbols}
    value, gradient = sg.compile(expr, grad=True)(**used)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(value, np.broadcast_to(expr.eval(**used), (POINTS,)),
                                   rtol=1e-9, atol=1e-12)
        for name, partial in sg.grad(expr).items():
            expected = np.broadcast_to(partial.eval(**used), gradient[name].shape)
            np.testing.assert_allclose(gradient[name], expected, rtol=1e-8, atol=1e-10)


# A small strategy of its own: each step builds the same operation in symgrad and in SymPy,
# so lambdify of SymPy's own derivative is an oracle independent of symgrad's printing.
_UNARY = [(sg.sin, sympy.sin), (sg.cos, sympy.cos), (sg.tanh, sympy.tanh), (sg.atan, sympy.atan),
          (lambda t: sg.exp(t * 0.3), lambda t: sympy.exp(t * sympy.Rational(3, 10))),
          (lambda t: sg.sqrt(1 + t * t), lambda t: sympy.sqrt(1 + t * t)),
          (lambda t: t**3, lambda t: t**3), (lambda t: 1 / (2 + t * t), lambda t: 1 / (2 + t * t))]
_BINARY = [(lambda a, b: a + b, lambda a, b: a + b), (lambda a, b: a * b, lambda a, b: a * b),
           (lambda a, b: a - 2 * b, lambda a, b: a - 2 * b),
           (lambda a, b: a / (1.5 + b * b), lambda a, b: a / (sympy.Rational(3, 2) + b * b))]


@st.composite
def paired_expressions(draw):
    """The same random DAG (sharing its own subexpressions) in symgrad and in SymPy."""
    pool = [(sg.symbols(name), sympy.Symbol(name, real=True)) for name in ("x", "y", "z")]
    for _ in range(draw(st.integers(1, 7))):
        if draw(st.booleans()):
            ours, theirs = draw(st.sampled_from(_UNARY))
            arg = draw(st.sampled_from(pool))
            pool.append((ours(arg[0]), theirs(arg[1])))
        else:
            ours, theirs = draw(st.sampled_from(_BINARY))
            left, right = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
            pool.append((ours(left[0], right[0]), theirs(left[1], right[1])))
    return pool[-1]


@settings(max_examples=30, deadline=None)
@given(paired_expressions(), st.sampled_from(BATCHES))
def test_kernel_matches_sympy_lambdify(pair, batch):
    ours, theirs = pair
    names = ["x", "y", "z"]
    symbols = [sympy.Symbol(name, real=True) for name in names]
    values = {name: RNG.uniform(-1.5, 1.5, batch) for name in names}
    oracle = sympy.lambdify(symbols, [theirs] + [sympy.diff(theirs, s) for s in symbols], "numpy")
    expected = [np.broadcast_to(item, (batch,)) for item in oracle(*values.values())]
    value, gradient = sg.compile(ours, wrt=names, grad=True)(**values)
    np.testing.assert_allclose(value, expected[0], rtol=1e-10, atol=1e-12)
    for name, column in zip(names, expected[1:]):
        np.testing.assert_allclose(gradient[name], column, rtol=1e-9, atol=1e-11)


# -- outputs: structures, jacobians, batch shapes -------------------------------------------------------
def test_jacobian_compiles_to_nested_lists_matching_finite_differences():
    x, y = sg.symbols("x y")
    functions = [x * y + sg.sin(x), sg.exp(y) * x**2, x - y]
    kernel = sg.compile(sg.jacobian(functions, ["x", "y"]))
    xs, ys = RNG.uniform(-1, 1, 9), RNG.uniform(-1, 1, 9)
    rows = kernel(x=xs, y=ys)
    f = sg.compile(functions)
    h = 1e-6
    for column, (dx, dy) in enumerate([(h, 0.0), (0.0, h)]):
        plus, minus = f(x=xs + dx, y=ys + dy), f(x=xs - dx, y=ys - dy)
        for row in range(3):
            np.testing.assert_allclose(rows[row][column], (plus[row] - minus[row]) / (2 * h),
                                       rtol=1e-6, atol=1e-8)
    assert rows[2][0].shape == (9,) and np.all(rows[2][1] == -1.0)


def test_dict_and_list_outputs_keep_their_structure_and_gradients_follow():
    x, u = sg.symbols("x u")
    kernel = sg.compile({"f": x * u, "g": [x + 1, u**2]}, grad=True)
    values, gradients = kernel(x=2.0, u=3.0)
    assert values == {"f": 6.0, "g": [3.0, 9.0]}
    assert gradients == {"f": {"u": 2.0, "x": 3.0}, "g": [{"u": 0.0, "x": 1.0}, {"u": 6.0, "x": 0.0}]}


def test_every_result_has_the_batch_shape_constants_included():
    x, u = sg.symbols("x u")
    kernel = sg.compile([x * u, sg.constant([1.0, 2.0]) + 0 * x, u], grad=False)
    product, constant_part, just_u = kernel(x=np.ones((2, 1)), u=np.arange(3.0))
    assert product.shape == (2, 3) and constant_part.shape == (2, 3, 2) and just_u.shape == (2, 3)
    value, gradient = sg.compile(3 * x + u, grad=True)(x=np.zeros(4), u=1.0)
    np.testing.assert_array_equal(gradient["x"], np.full(4, 3.0))
    np.testing.assert_array_equal(gradient["u"], np.ones(4))


def test_scalar_inputs_give_numpy_scalars_like_eval():
    x, u = sg.symbols("x u")
    expr = 3 * x**2 + 4 * x + 2 * u * x
    value, gradient = sg.compile(expr, grad=True)(x=3, u=2)
    assert value == expr.eval(x=3, u=2) == 51.0 and np.ndim(value) == 0
    assert gradient == {"u": 6.0, "x": 26.0}


def test_results_never_alias_inputs_and_inputs_are_not_written():
    x, y = sg.symbols("x y")
    xs, ys = np.linspace(0, 1, 5), np.linspace(1, 2, 5)
    saved = xs.copy(), ys.copy()
    value, gradient = sg.compile(x * y, grad=True)(x=xs, y=ys)
    gradient["y"][:] = -1.0
    gradient["x"][:] = -1.0
    np.testing.assert_array_equal(xs, saved[0])
    np.testing.assert_array_equal(ys, saved[1])
    first, second = sg.compile([sg.sin(x), sg.sin(x)])(x=xs)
    assert first is not second


@pytest.mark.parametrize("batch", [(10_000,), (300, 40), (5000, 1)])
def test_chunked_evaluation_equals_unchunked(batch):
    x, w = sg.symbols("x w")
    v = sg.symbols("v", shape=(2,))
    expr = sg.sum(sg.tanh(v * x + w)) * sg.sigmoid(x * w) + w**3
    values = {"x": RNG.standard_normal(batch), "w": 0.7, "v": RNG.standard_normal((1, 2))}
    whole = sg.compile(expr, grad=True, chunk=None)(**values)
    parts = sg.compile(expr, grad=True, chunk=1000)(**values)
    np.testing.assert_allclose(parts[0], whole[0], rtol=1e-14)
    for name in ("v", "w", "x"):
        np.testing.assert_allclose(parts[1][name], whole[1][name], rtol=1e-14)
        assert parts[1][name].shape == batch + ((2,) if name == "v" else ())


def test_scalar_weights_and_full_batches_give_the_same_numbers():
    # Scalar arguments select a different buffer-reuse variant of the kernel.
    x, y, w = sg.symbols("x y w")
    expr = sg.log(1 + sg.exp(w * x)) - y * w * x
    kernel = sg.compile(expr, grad=True, wrt=["w"])
    xs, ys = RNG.standard_normal(6), RNG.standard_normal(6)
    scalar = kernel(x=xs, y=ys, w=0.4)
    full = kernel(x=xs, y=ys, w=np.full(6, 0.4))
    np.testing.assert_allclose(scalar[0], full[0], rtol=1e-15)
    np.testing.assert_allclose(scalar[1]["w"], full[1]["w"], rtol=1e-15)


# -- calling ------------------------------------------------------------------------------------
def test_keyword_and_positional_calls_agree_in_the_order_of_args():
    x, u, a = sg.symbols("x u a")
    kernel = sg.compile(x - 2 * u + 10 * a)
    assert kernel.args == ["a", "u", "x"]
    assert kernel(1.0, 2.0, 3.0) == kernel(a=1.0, u=2.0, x=3.0) == kernel(1.0, x=3.0, u=2.0) == 9.0
    assert kernel(a=1.0, u=2.0, x=3.0, unused=5.0) == 9.0
    with pytest.raises(sg.ArgumentError, match="3 positional"):
        kernel(1.0, 2.0, 3.0, 4.0)
    with pytest.raises(sg.ArgumentError, match="two values for 'a'"):
        kernel(1.0, a=2.0, u=1.0, x=1.0)
    with pytest.raises(sg.ArgumentError, match="no value given for the variable 'x'"):
        kernel(a=1.0, u=1.0)


def test_shape_errors_name_the_argument():
    w = sg.symbols("w", shape=(3,))
    x = sg.symbols("x")
    kernel = sg.compile(sg.sum(w) * x)
    with pytest.raises(sg.ShapeError, match=r"w has shape \(3,\)"):
        kernel(w=np.ones((5, 2)), x=1.0)
    with pytest.raises(sg.ShapeError, match="do not broadcast"):
        kernel(w=np.ones((5, 3)), x=np.ones(4))
    with pytest.raises(sg.ArgumentError, match="'x'"):
        kernel(w=np.ones(3), x="abc")


def test_bad_compile_options_are_argument_errors():
    x = sg.symbols("x")
    with pytest.raises(sg.ArgumentError):
        sg.compile(x, errors="warn")
    with pytest.raises(sg.ArgumentError):
        sg.compile(x, wrt=["x"])
    with pytest.raises(sg.ArgumentError):
        sg.compile(object())  # text is read as an expression (the contract, section 1c)
    with pytest.raises(sg.ArgumentError, match="jacobian"):
        sg.compile(sg.symbols("w", shape=(2,)) * x, grad=True)


def test_kernels_are_cached_by_dag_identity_and_options():
    x = sg.symbols("x")
    first = sg.compile(sg.sin(x) * x)
    assert sg.compile(sg.sin(x) * x) is first
    assert sg.compile(sg.sin(x) * x, grad=True) is not first
    assert sg.compile([sg.sin(x) * x]) is not first


# -- the generated source ---------------------------------------------------------------------------
HOSTILE = ["__import__", "os", "e", "lambda", "sum", "np", "nb", "kernel", "out", "self"]


def test_source_holds_no_user_text_and_odd_names_work():
    names = [sg.symbols(name) for name in HOSTILE]
    expr = sg.sin(names[0]) * names[1] + sg.exp(names[2]) + names[3] ** 2
    expr = expr + sg.sum(sg.constant([1.0, 2.0]) * names[4]) + names[5] * names[6] - names[7]
    expr = expr * names[8] + names[9]
    kernel = sg.compile(expr, grad=True)
    values = {name: float(position + 1) / 7 for position, name in enumerate(HOSTILE)}
    value, gradient = kernel(**values)
    # Expr.eval(**values) cannot take a variable named `self`; evaluate() takes a mapping.
    np.testing.assert_allclose(value, evaluate(expr, values), rtol=1e-13)
    assert sorted(gradient) == sorted(HOSTILE)
    generated = {"kernel", "nb", "np", "op", "out", "lift", "check", "def", "return", "None"}
    for token in tokenize.generate_tokens(io.StringIO(kernel.source).readline):
        if token.type == tokenize.NAME and token.string not in generated:
            # Every other name is ours: a0 / t3 / c1, or an attribute of np / op.
            assert token.string[0] in "atc" and token.string[1:].isdigit() or \
                token.line[token.start[1] - 1] == ".", token
    assert "__import__" not in kernel.source and "lambda" not in kernel.source
    assert not any(keyword.iskeyword(name) for name in ("a0", "t0"))


def test_source_is_one_statement_per_shared_node_with_cheap_powers():
    x = sg.symbols("x")
    shared = sg.sin(x)
    kernel = sg.compile(shared * shared**3 + x**-1 + sg.sqrt(x) + x**0.5 * 0 + x**2.5)
    assert kernel.source.count("np.sin(") == 1
    assert "np.power(" in kernel.source and kernel.source.count("np.power(") == 1  # only x**2.5
    assert "np.sqrt(" in kernel.source


def test_source_is_deterministic_across_processes():
    program = ("import symgrad as sg\n"
               "x, y = sg.symbols('x y'); w = sg.symbols('w', shape=(3,))\n"
               "e = sg.sum(sg.tanh(w * x + y)) * sg.exp(-x * y) + sg.norm(w) + x**3\n"
               "print(sg.compile(e, grad=True).source, end='')\n")
    namespace: dict = {}
    exec(program.replace("print(", "namespace['source'] = (").replace(", end='')", ")"),
         {"namespace": namespace})
    runs = [subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout
            for seed in ("1", "2")]
    assert runs[0] == runs[1] == namespace["source"]


def test_tracebacks_show_the_generated_line():
    x = sg.symbols("x")
    kernel = sg.compile(sg.log(x) * 2 + sg.sin(x))
    registered = [lines for name, (_, _, lines, _) in list(linecache.cache.items())
                  if str(name).startswith("<symgrad-kernel-")]
    assert kernel.source.splitlines(keepends=True) in registered


def test_errors_raise_names_the_operation_that_reaches_the_output():
    x = sg.symbols("x")
    kernel = sg.compile(sg.log(x) * 2, errors="raise")
    with pytest.raises(sg.DomainError, match=r"log is not finite at x=-1"):
        kernel(x=np.array([1.0, -1.0]))
    masked = sg.compile(sg.where(x > 0, sg.sqrt(x), 0), grad=True, errors="raise")
    value, gradient = masked(x=np.array([0.0, 4.0]))
    np.testing.assert_array_equal(gradient["x"], [0.0, 0.25])


def test_kernel_runs_with_no_builtin_but_an_import_of_array_libraries():
    # Issue 15: compiled array libraries (CuPy) import through the calling frame's builtins,
    # so the one builtin is an __import__ limited to array library modules.
    x = sg.symbols("x")
    kernel = sg.compile(sg.sin(x))
    function = kernel._variants[(1, "d", "numpy")][0]
    builtins_of_kernel = function.__globals__["__builtins__"]
    assert list(builtins_of_kernel) == ["__import__"]
    guarded = builtins_of_kernel["__import__"]
    assert guarded("numpy.linalg", fromlist=["norm"]).__name__ == "numpy.linalg"
    with pytest.raises(ImportError, match="only its array library"):
        guarded("os")
    assert function.__code__.co_filename.startswith("<symgrad-kernel-")


# -- numerics --------------------------------------------------------------------------------------
def test_domain_errors_give_nan_silently_or_raise_naming_the_operation():
    x, y = sg.symbols("x y")
    quiet = sg.compile(sg.log(x) + y / x)
    with np.errstate(all="raise"):  # the kernel itself must not let numpy complain
        result = quiet(x=np.array([-1.0, 0.0, 2.0]), y=np.array([1.0, 0.0, 1.0]))
    assert math.isnan(result[0]) and math.isnan(result[1]) and np.isfinite(result[2])
    with pytest.raises(sg.DomainError, match=r"log is not finite at x=-1\.0"):
        sg.compile(sg.log(x) + y, errors="raise")(x=np.array([2.0, -1.0]), y=1.0)
    with pytest.raises(sg.DomainError, match="not finite"):
        sg.compile(y / x, errors="raise")(x=0.0, y=0.0)
    assert sg.compile(sg.log(x), errors="raise")(x=2.0) == math.log(2.0)


def test_where_gradient_at_the_kink_is_zero_not_nan():
    x = sg.symbols("x")
    value, gradient = sg.compile(sg.where(x > 0, sg.sqrt(x), 0), grad=True)(x=np.array([0.0, 4.0, -1.0]))
    np.testing.assert_array_equal(value, [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(gradient["x"], [0.0, 0.25, 0.0])


def test_integer_powers_are_exact_at_negative_bases():
    x = sg.symbols("x")
    xs = np.array([-2.0, -3.0, 0.5, -1.5])
    np.testing.assert_array_equal(sg.compile(x**3)(x=xs), xs * xs * xs)
    np.testing.assert_array_equal(sg.compile(x**-2)(x=xs), 1.0 / (xs * xs))
    np.testing.assert_array_equal(sg.compile(x**7)(x=np.array([-2.0])), [-128.0])
    assert sg.compile(x**-1)(x=-4.0) == -0.25
    assert sg.compile(x**-0.5)(x=4.0) == 0.5


def test_constant_subexpressions_are_folded_at_compile_time():
    x = sg.symbols("x")
    c = sg.constant(2.0)
    kernel = sg.compile(x * sg.exp(c) + sg.sin(c))
    assert "exp" not in kernel.source and "sin" not in kernel.source
    assert kernel(x=1.0) == pytest.approx(math.exp(2.0) + math.sin(2.0), rel=1e-15)


class TestCompile:
    def test_kernel_million_points(self):
        k = sg.compile(sg.parse(E_TEXT))
        assert isinstance(k, sg.Kernel)
        xs = np.linspace(0, 1, 10**6)
        out = k(x=xs, u=2.0)
        assert np.shape(out) == (10**6,)
        assert close(out, 3*xs**2 + 4*xs + 4*xs)

    def test_kernel_grad(self):
        kg = sg.compile(sg.parse(E_TEXT), grad=True)
        xs = np.linspace(-2, 2, 1001)
        us = np.cos(xs)
        val, g = kg(x=xs, u=us)
        assert sorted(g) == ["u", "x"]
        assert close(val, 3*xs**2 + 4*xs + 2*us*xs)
        assert close(g["x"], 6*xs + 4 + 2*us)
        assert close(g["u"], 2*xs)

    def test_kernel_grad_million_points(self):
        kg = sg.compile(sg.parse(E_TEXT), grad=True)
        xs = np.linspace(0, 1, 10**6)
        val, g = kg(x=xs, u=2.0)
        assert np.shape(val) == (10**6,)
        assert np.shape(g["x"]) == (10**6,) and np.shape(g["u"]) == (10**6,)
        assert close(g["u"], 2 * xs)

    def test_kernel_source_is_readable_python(self):
        kg = sg.compile(sg.parse("x*sin(x)"), grad=True)
        src = kg.source
        assert isinstance(src, str)
        assert "def " in src and "np." in src and "return" in src
        compile(src, "<kernel>", "exec")   # the builtin: it is valid Python

    def test_kernel_scalar_call(self):
        k = sg.compile(sg.parse(E_TEXT))
        assert close(k(x=3, u=2), 51.0)


class TestBatchSemantics:
    def test_per_point_gradient_like_vmap_grad(self):
        f = sg.parse("sum(w*w)*s", shapes={"w": (3,)})
        W, S = np.arange(12.0).reshape(4, 3), np.arange(4.0) + 1
        val, g = sg.compile(f, grad=True)(w=W, s=S)
        assert np.shape(val) == (4,)
        assert np.shape(g["w"]) == (4, 3) and np.shape(g["s"]) == (4,)
        assert close(g["w"], 2 * W * S[:, None])
        assert close(g["s"], (W * W).sum(axis=1))
        val_r, g_r = sg.reverse(f, at={"w": W, "s": S})
        assert close(val_r, val) and close(g_r["w"], g["w"]) and close(g_r["s"], g["s"])

    def test_constant_gradients_have_batch_shape_kernel(self):
        val, g = sg.compile(sg.parse("x + 2*u"), grad=True)(x=np.arange(5.0), u=1.0)
        assert np.shape(val) == (5,)
        assert np.shape(g["x"]) == (5,) and np.shape(g["u"]) == (5,)
        assert close(g["x"], np.ones(5)) and close(g["u"], 2 * np.ones(5))

    def test_constant_vector_gradient_batch_shape(self):
        f = sg.parse("dot(w, [1, 2, 3])", shapes={"w": (3,)})
        _, g = sg.compile(f, grad=True)(w=np.zeros((6, 3)))
        assert np.shape(g["w"]) == (6, 3)
        assert close(g["w"], np.tile([1.0, 2.0, 3.0], (6, 1)))

    def test_torch_vmap_grad_oracle(self):
        torch = pytest.importorskip("torch")
        f = sg.parse("sum(sin(w) * w) + norm(w)", shapes={"w": (3,)})
        W = np.random.default_rng(2).normal(size=(7, 3))
        _, g = sg.compile(f, grad=True)(w=W)
        tw = torch.tensor(W, requires_grad=True)
        (torch.sin(tw) * tw).sum(dim=1).add(tw.norm(dim=1)).sum().backward()
        assert close(g["w"], tw.grad.numpy())


class TestErrors:
    def test_kernel_errors_raise_at_compile(self):
        k = sg.compile(sg.parse("log(x)"), errors="raise")
        assert close(k(x=1.0), 0.0)
        with pytest.raises(sg.DomainError) as info:
            k(x=np.array([1.0, -1.0]))
        assert "log" in str(info.value) and "-1" in str(info.value)

    def test_kernel_grad_errors_raise(self):
        k = sg.compile(sg.parse("sqrt(x)"), grad=True, errors="raise")
        with pytest.raises(sg.DomainError):
            k(x=-1.0)

    def test_kernel_errors_raise_at_call(self):
        k = sg.compile(sg.parse("log(x)"))
        with pytest.raises(sg.SymgradError):
            k(x=-1.0, errors="raise")


class TestGuardedDomains:
    def test_kernel_grad_errors_raise_where_sqrt(self):
        e = sg.parse("where(x > 0, sqrt(x), 0)")
        val, g = sg.compile(e, grad=True, errors="raise")(x=0.0)
        assert close(val, 0.0) and close(g["x"], 0.0)


# -- one evaluation semantics: kernels give eval's numbers, bit for bit (issue 10, item 4) ------------
_SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -4.0, -0.5, 0.3, 2.5, 1e-300, 1e300, 10.0])


def _same_bits(kernel_value: object, eval_value: object) -> bool:
    a, b = np.asarray(kernel_value, dtype=np.float64), np.asarray(eval_value, dtype=np.float64)
    same = (a == b) & (np.signbit(a) == np.signbit(b))  # -0.0 and 0.0 differ
    return bool(np.all(same | (np.isnan(a) & np.isnan(b))))


def _special_grid() -> dict[str, np.ndarray]:
    return {"x": _SPECIAL[:, None], "y": _SPECIAL[None, :]}


def _assert_kernel_is_eval(expr: sg.Expr, grid: dict[str, np.ndarray]) -> None:
    """Values as `eval` computes them; gradients as `eval` computes them together with the
    value (products that several outputs share are regrouped the same way in both)."""
    from symgrad.numeric.evaluate import forward_values
    assert _same_bits(sg.compile(expr)(**grid), expr.eval(**grid)), str(expr)
    value, gradient = sg.compile(expr, grad=True)(**grid)
    partials = sg.grad(expr)
    # A gradient kernel multiplies a product its outputs share once (x*y in -3*x*y and in its
    # partials), so its numbers are those of evaluating all its outputs together; each one
    # alone may round differently in the last bit (a known gap, in the README).
    together, _ = forward_values([expr, *partials.values()], grid)
    assert _same_bits(value, together[expr]), str(expr)
    for name, partial in partials.items():
        assert _same_bits(gradient[name], together[partial]), (str(expr), name)


@pytest.mark.parametrize("text", [
    "max(x, 3/y)", "x^-0.5", "x^0.5", "x^3*y^-2", "x/y/y - y*x", "-x/y", "x**1.5 - y**-3",
    "x*y*sin(x) + x*y*cos(y) + y*exp(x)*sin(x)", "min(x/3, y/10)",
])
def test_kernel_values_and_gradients_are_evals_bit_for_bit(text: str) -> None:
    with np.errstate(all="ignore"):
        _assert_kernel_is_eval(sg.parse(text), _special_grid())


def test_max_at_a_tie_picks_the_same_branch_in_kernel_and_eval() -> None:
    # 3/10 rounds to 0.3 exactly; 3*(1/10) does not: both must divide.
    expr = sg.parse("max(x, 3/u)")
    value, gradient = sg.compile(expr, grad=True)(x=0.3, u=10.0)
    assert value == expr.eval(x=0.3, u=10.0) == 0.3
    assert gradient == {name: partial.eval(x=0.3, u=10.0) for name, partial in sg.grad(expr).items()}


def test_powers_at_signed_zero_and_minus_infinity_agree() -> None:
    expr = sg.parse("x^-0.5")
    at = np.array([-0.0, -np.inf, 0.0, np.inf, 4.0])
    with np.errstate(all="ignore"):
        assert _same_bits(sg.compile(expr)(x=at), expr.eval(x=at))


@settings(max_examples=40, deadline=None)
@given(expressions())
def test_kernels_and_eval_agree_at_special_points(generated) -> None:
    with np.errstate(all="ignore"):
        _assert_kernel_is_eval(generated.expr, _special_grid())
