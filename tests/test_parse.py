"""The expression language: precedence, implicit multiplication, statements, and bad input.

Expected values are built with Python operators on symbols; hash-consing makes `is` the
structural comparison. Since the DAG canonicalises while building, some value-equal shapes
(`-(x*y)`, `(-x)*y`) coincide; random printed expressions checked by value cover the rest.
"""

from __future__ import annotations

import importlib
import math
import os
import random
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.ops import functions
from symgrad.core.expr import constant, symbol
from strategies import E_TEXT, close

parse_module = importlib.import_module("symgrad.language.parse")  # `sg.parse` is the function

x, y, z, u, a, b, c, d = sg.symbols("x y z u a b c d")
A = symbol("A", (2, 3))
B = symbol("B", (2, 3))
SHAPES = {"A": (2, 3), "B": (2, 3)}
# Seconds per large case: a guard against quadratic work (which would take many minutes at these
# sizes), not a speed measurement (benchmarks/bench_parse.py measures speed). The cases take 1-3 s
# on a quiet 2-core VM and up to ~25 s while other processes load it.
BUDGET = 60.0


def timed_parse(text: str, **kwargs: object) -> tuple[sg.Expr, float]:
    start = time.perf_counter()
    result = sg.parse(text, **kwargs)  # type: ignore[arg-type]
    return result, time.perf_counter() - start


# -- precedence and associativity -----------------------------------------------------------------
PRECEDENCE = [
    ("-x**2", lambda: -(x**2)),
    ("-x*y", lambda: (-x) * y),
    ("2*-x", lambda: 2 * (-x)),
    ("x**y**z", lambda: x ** (y**z)),
    ("x**-y", lambda: x ** (-y)),
    ("x^2", lambda: x**2),
    ("x^y^z", lambda: x ** (y**z)),
    ("a - b + c", lambda: a - b + c),
    ("a - b - c", lambda: (a - b) - c),
    ("a*b/c*d", lambda: a * b / c * d),
    ("a/b/c", lambda: a / b / c),
    ("a + b*c**2", lambda: a + b * c**2),
    ("(a + b)*c", lambda: (a + b) * c),
    ("3x^2", lambda: 3 * x**2),
    ("2(x+1)", lambda: 2 * (x + 1)),
    ("(x+1)(x-1)", lambda: (x + 1) * (x - 1)),
    ("2sin(x)", lambda: 2 * sg.sin(x)),
    ("2x cos(x^2)", lambda: 2 * x * sg.cos(x**2)),
    ("x y", lambda: x * y),
    ("x (y + 1)", lambda: x * (y + 1)),
    ("2x/3", lambda: (2 * x) / 3),
    ("1/2x", lambda: x / 2),  # exact (API 1b), where Python's 1/2 is the float 0.5
    ("-2x", lambda: -(2 * x)),
    ("-2x y", lambda: -(2 * x * y)),
    ("x -1", lambda: x - 1),
    ("x - -1", lambda: x + 1),
    ("2x^2y", lambda: 2 * x**2 * y),
    ("x^2 y", lambda: x**2 * y),
    ("2**-2x", lambda: x / 4),
    ("x*2y", lambda: x * 2 * y),
    ("sin(x)cos(x)", lambda: sg.sin(x) * sg.cos(x)),
    ("sin(x)^2", lambda: sg.sin(x) ** 2),
    ("+x", lambda: x),
    ("--x", lambda: x),
    ("x < y", lambda: x < y),
    ("x + 1 >= 2y", lambda: x + 1 >= 2 * y),
    ("where(x > 0, x, -x)", lambda: sg.where(x > 0, x, -x)),
    ("where(x != 0, 1/x, 0)", lambda: sg.where(functions.compare("!=", x, 0), 1 / x, 0)),
    ("atan2(y, x)", lambda: sg.atan2(y, x)),
    ("clamp(x, -1, 1,)", lambda: sg.clamp(x, -1, 1)),
    ("α θ", lambda: symbol("alpha") * symbol("theta")),  # a Greek letter is its spelled name
    ("2θ", lambda: 2 * symbol("theta")),
]


@pytest.mark.parametrize(("text", "expected"), PRECEDENCE, ids=[t for t, _ in PRECEDENCE])
def test_parse_matches_python_operators(text: str, expected: object) -> None:
    assert sg.parse(text) is expected()  # type: ignore[operator]


@pytest.mark.parametrize(("text", "value"), [
    ("2**3**2", 512.0), ("(2**3)**2", 64.0), ("2^3^2", 512.0), ("2**-1", 0.5),
    ("-2**2", -4.0), ("2e3", 2000.0), ("2E3", 2000.0), ("1e-3", 0.001), (".5", 0.5),
    ("2.5", 2.5), ("2.", 2.0), ("7 - 2 - 1", 4.0), ("12/3/2", 2.0), ("2(3)", 6.0),
])
def test_numbers_and_constant_arithmetic(text: str, value: float) -> None:
    result = sg.parse(text)
    assert result.is_constant and float(result.value) == value  # type: ignore[arg-type]


def test_calls_take_their_arguments_in_order() -> None:
    assert float(sg.parse("log(x, 2)").eval(x=8.0)) == pytest.approx(3.0)
    assert float(sg.parse("atan2(1, 0)").eval()) == pytest.approx(math.pi / 2)
    assert float(sg.parse("clamp(5, 0, 1)").eval()) == 1.0


def test_adjacent_letters_are_one_name_and_exponent_is_part_of_a_number() -> None:
    assert sg.parse("xy") is symbol("xy")
    assert sg.parse("xy").symbols == ["xy"]
    assert sg.parse("2e3") is constant(2000.0)
    assert sg.parse("2e3x") is 2000.0 * x  # a decimal literal stays a decimal (API 1b)
    assert sg.parse("2e") is 2 * functions.E  # no exponent digits: 2 times Euler's number
    assert sg.parse("x2") is symbol("x2")


def test_transpose_binds_tighter_than_power_and_unary_minus() -> None:
    assert sg.parse("A.T", shapes=SHAPES).shape == (3, 2)
    assert sg.parse("A.T**2", shapes=SHAPES) is (A.T) ** 2
    assert sg.parse("-A.T", shapes=SHAPES) is -(A.T)
    assert sg.parse("A.T @ B", shapes=SHAPES) is A.T @ B
    assert sg.parse("A @ B.T", shapes=SHAPES) is A @ B.T
    assert sg.parse("A.T.T", shapes=SHAPES) is A


def test_matmul_closes_the_product_to_its_left() -> None:
    v = symbol("v", (3,))
    shapes = {**SHAPES, "v": (3,)}
    assert sg.parse("2 A @ v", shapes=shapes) is (2 * A) @ v
    assert sg.parse("A @ v * 2", shapes=shapes) is (A @ v) * 2
    assert sg.parse("3*dot(v, [1, 7, 5]) + v @ v", shapes={"v": (3,)}) is \
        3 * sg.dot(v, constant([1.0, 7.0, 5.0])) + v @ v


def test_array_literals_nest_row_by_row() -> None:
    assert np.array_equal(sg.parse("[1, 7, -2]").eval(), [1.0, 7.0, -2.0])
    matrix = sg.parse("[[1, 2], [3, 4]]")
    assert matrix.shape == (2, 2)
    assert np.array_equal(matrix.eval(), [[1.0, 2.0], [3.0, 4.0]])
    row = sg.parse("[x, 2x, x^2]")
    assert row.shape == (3,)
    assert np.allclose(row.eval(x=3.0), [3.0, 6.0, 9.0])
    assert sg.parse("[\n  [1, 2],\n  [3, 4],\n]").shape == (2, 2)


# Random expressions, printed with minimal parentheses, implicit products and spacing varied:
# the parsed value must equal the value of the tree the text was printed from.
SUM, PRODUCT, UNARY, POWER, ATOM = range(1, 6)
POINT = {"x": 0.7, "y": -1.3}


@st.composite
def printed_trees(draw: st.DrawFn) -> tuple[str, float]:
    """A random arithmetic tree as (text, value), or rejected when its value is unsafe."""
    leaves = st.one_of(st.sampled_from(["x", "y"]).map(lambda name: ("var", name)),
                       st.sampled_from([1.0, 2.0, 3.0, 0.5, 2.5]).map(lambda v: ("num", v)))
    exponents = st.sampled_from([0.0, 1.0, 2.0, 3.0]).map(lambda v: ("num", v))
    trees = st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(st.sampled_from(["add", "sub", "mul", "div"]), inner, inner),
        st.tuples(st.just("neg"), inner),
        st.tuples(st.just("pow"), inner, st.one_of(exponents, exponents.map(
            lambda k: ("neg", k))))), max_leaves=10)
    tree = draw(trees)
    value = tree_value(tree)
    assume(value is not None)
    return render(tree, draw)[0], value  # type: ignore[return-value]


def tree_value(tree: tuple) -> float | None:  # type: ignore[type-arg]
    """The value of `tree` at POINT, or None on a division by ~0 or a large intermediate."""
    kind = tree[0]
    if kind in ("num", "var"):
        return tree[1] if kind == "num" else POINT[tree[1]]
    values = [tree_value(arg) for arg in tree[1:]]
    if any(v is None for v in values):
        return None
    if (kind == "div" and abs(values[1]) < 1e-6) or (kind == "pow" and values[0] == 0.0):
        return None
    result = OPERATIONS[kind](*values)
    return result if abs(result) < 1e8 else None


OPERATIONS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
              "div": lambda a, b: a / b, "neg": lambda a: -a, "pow": lambda a, k: a**k}


def render(tree: tuple, draw: st.DrawFn) -> tuple[str, int]:  # type: ignore[type-arg]
    """Text for `tree` and its precedence level, with parentheses only where needed."""
    kind = tree[0]
    if kind == "num":
        return format(tree[1], "g"), ATOM
    if kind == "var":
        return tree[1], ATOM
    if kind == "neg":
        return "-" + wrapped(tree[1], UNARY, draw), UNARY
    if kind == "pow":
        operator = draw(st.sampled_from(["**", "^"]))
        return wrapped(tree[1], ATOM, draw) + operator + wrapped(tree[2], UNARY, draw), POWER
    if kind in ("add", "sub"):
        operator = draw(st.sampled_from([" + ", "+"] if kind == "add" else [" - ", "-"]))
        return wrapped(tree[1], SUM, draw) + operator + wrapped(tree[2], PRODUCT, draw), SUM
    left = wrapped(tree[1], PRODUCT, draw)
    if kind == "mul" and draw(st.booleans()):
        right = wrapped(tree[2], POWER, draw)
        if right[0].isalpha() or right[0] == "(":  # a follower: name, call or parenthesis
            tight = (left[-1].isdigit() or left[-1] == ")") and draw(st.booleans())
            return left + ("" if tight else " ") + right, PRODUCT
    operator = "*" if kind == "mul" else "/"
    return left + operator + wrapped(tree[2], UNARY, draw), PRODUCT


def wrapped(tree: tuple, level: int, draw: st.DrawFn) -> str:  # type: ignore[type-arg]
    text, own = render(tree, draw)
    return text if own >= level else f"({text})"


@settings(max_examples=400, deadline=None)
@given(printed_trees())
def test_random_printed_expressions_parse_to_their_value(case: tuple[str, float]) -> None:
    text, value = case
    with np.errstate(all="ignore"):
        parsed = float(sg.parse(text).eval(**POINT))
    assert parsed == pytest.approx(value, rel=1e-9, abs=1e-9), text


# -- statements ----------------------------------------------------------------------------------
def test_statements_bind_names_for_later_ones() -> None:
    w = sg.symbols("w")
    text = "z = w*x + b; p = sigmoid(z); -(y*log(p) + (1-y)*log(1-p))"
    p = sg.sigmoid(w * x + b)
    assert sg.parse(text) is -(y * sg.log(p) + (1 - y) * sg.log(1 - p))


def test_newlines_blank_lines_comments_and_trailing_separators() -> None:
    text = "\n# a model\nz = w*x + b   # affine\n\n\np = sigmoid(z);\n p * 2 ;\n"
    w = sg.symbols("w")
    assert sg.parse(text) is sg.sigmoid(w * x + b) * 2
    assert sg.parse("f = (x +\n  y)\nf") is x + y
    assert sg.parse("a = 1\r\nb = 2\r\na + b") is constant(3)


def test_a_binding_shadows_a_symbol_and_a_declared_shape() -> None:
    assert sg.parse("x = 2; x*y") is 2 * y
    assert sg.parse("x = y + 1\nx", shapes={"x": (3,)}) is y + 1
    assert sg.parse("x = x + 1; x = 2x; x") is 2 * (x + 1)
    assert sg.parse("pi = 3; 2pi") is constant(6)


def test_the_last_statement_must_be_an_expression() -> None:
    with pytest.raises(sg.ParseError, match="last statement only binds 'p'") as caught:
        sg.parse("z = x + 1\np = z**2")
    assert (caught.value.line, caught.value.column) == (2, 1)


# -- names: constants, functions, declared symbols ----------------------------------------------
def test_pi_and_e_are_constants_unless_declared_in_shapes() -> None:
    assert sg.parse("pi") is functions.PI
    assert float(sg.parse("e").value) == math.e  # type: ignore[arg-type]
    assert sg.parse("e^x") is functions.E**x
    assert sg.parse("e", shapes={"e": ()}) is symbol("e")
    assert sg.parse("2pi r", shapes={"pi": ()}) is 2 * symbol("pi") * symbol("r")


def test_a_function_name_without_an_argument_is_an_error() -> None:
    # Section 1a: `sin (x)` and `sin x` are calls now (they were errors before 0.2).
    assert sg.parse("sin (x)") is sg.sin(x)
    assert sg.parse("sin x") is sg.sin(x)
    for text in ("sum", "sin"):
        with pytest.raises(sg.NameLookupError, match="'(sin|sum)' is a function") as caught:
            sg.parse(text)
        assert (caught.value.line, caught.value.column) == (1, 1)
    assert sg.parse("sum", shapes={"sum": ()}) is symbol("sum")


def test_shapes_declare_symbols() -> None:
    v = sg.parse("x @ x", shapes={"x": (3,)})
    assert v.shape == ()
    assert sg.parse("x", shapes={"x": (3,)}) is symbol("x", (3,))


def test_bad_arguments_raise_argument_error() -> None:
    with pytest.raises(sg.ArgumentError):
        sg.parse(b"x + 1")  # type: ignore[arg-type]
    with pytest.raises(sg.ArgumentError):
        sg.parse("x", shapes={"x": (-1,)})
    with pytest.raises(sg.ArgumentError):
        sg.parse("x", shapes=[("x", (3,))])  # type: ignore[arg-type]


# -- bad input ------------------------------------------------------------------------------------
BAD_INPUT = [
    # text, error class, line, column, part of the message
    ("", sg.ParseError, 1, 1, "empty input"),
    ("  \n\t \n", sg.ParseError, 1, 1, "empty input"),
    ("# just a comment", sg.ParseError, 1, 1, "empty input"),
    ("(x + 1", sg.ParseError, 1, 1, "unbalanced '('"),
    ("((x + 1)", sg.ParseError, 1, 1, "unbalanced '('"),
    ("x + 1)", sg.ParseError, 1, 6, "unbalanced ')'"),
    ("[1, 2", sg.ParseError, 1, 1, "unbalanced '['"),
    ("[1, 2)", sg.ParseError, 1, 6, "')' does not close the '['"),
    ("x +", sg.ParseError, 1, 4, "unexpected end of input after '+'"),
    ("* x", sg.ParseError, 1, 1, "unexpected '*'"),
    ("x * / y", sg.ParseError, 1, 5, "unexpected '/'"),
    ("x +\ny", sg.ParseError, 1, 4, "unexpected end of line"),
    ("sin()", sg.ArityError, 1, 1, "sin() takes 1 argument (0 given)"),
    ("clamp(x, 1)", sg.ArityError, 1, 1, "clamp() takes 3 arguments (2 given)"),
    ("log(x, 2, 3)", sg.ArityError, 1, 1, "log() takes 1 to 2 arguments (3 given)"),
    ("3*x**2 + atn2(y, x)", sg.NameLookupError, 1, 10, "did you mean 'atan2'?"),
    ("foo(x)", sg.NameLookupError, 1, 1, "unknown function 'foo'"),
    ("2xy(x + 1)", sg.NameLookupError, 1, 2, "unknown function 'xy'"),  # 1a: 2x(x + 1) multiplies
    ("__import__('os').system('echo hi')", sg.ParseError, 1, 12, "unexpected character"),
    ("x.y", sg.ParseError, 1, 2, "unknown attribute '.y'"),
    ("x.5", sg.ParseError, 1, 3, "only attribute is '.T'"),
    ("x\x00", sg.ParseError, 1, 2, "unexpected character '\\x00'"),
    ("\x00\x00\x00", sg.ParseError, 1, 1, "unexpected character"),
    ("a < b < c", sg.ParseError, 1, 7, "cannot be chained"),
    ("x + y = 3", sg.ParseError, 1, 7, "only a plain name can be assigned"),
    ("x[0]", sg.ShapeError, 1, 2, "'x' is a scalar (shape ()): it has no entries to subscript"),
    ("sin[0]", sg.ParseError, 1, 4, "a subscript follows a name, a call or a parenthesis"),
    ("x 2", sg.ParseError, 1, 3, "explicit '*'"),
    ("[1 2]", sg.ParseError, 1, 4, "explicit '*'"),
    ("3xʸ", sg.ParseError, 1, 3, "unexpected character"),  # 1a: 3x² is 3*x**2
    ("x $ y", sg.ParseError, 1, 3, "unexpected character '$'"),
    ("(x; y)", sg.ParseError, 1, 3, "unexpected ';'"),
]


@pytest.mark.parametrize(("text", "kind", "line", "column", "message"), BAD_INPUT,
                         ids=[repr(row[0]) for row in BAD_INPUT])
def test_bad_input_raises_at_the_spot(text: str, kind: type, line: int, column: int,
                                      message: str) -> None:
    with pytest.raises(kind) as caught:
        sg.parse(text)
    error = caught.value
    assert type(error) is kind
    assert (error.line, error.column) == (line, column)
    assert message in error.message


def test_error_text_shows_the_line_with_a_caret() -> None:
    with pytest.raises(sg.NameLookupError) as caught:
        sg.parse("3*x**2 + atn2(y, x)")
    assert str(caught.value) == ("unknown function 'atn2' (did you mean 'atan2'? to multiply, "
                                 "write atn2*(...)) at line 1, column 10\n"
                                 "  3*x**2 + atn2(y, x)\n           ^")


def test_multiline_errors_report_line_and_column() -> None:
    with pytest.raises(sg.ParseError) as caught:
        sg.parse("z = w*x + b\np = sigmoid(z))\n-log(p)")
    assert (caught.value.line, caught.value.column) == (2, 15)
    assert str(caught.value).endswith("  p = sigmoid(z))\n                ^")
    with pytest.raises(sg.ParseError) as caught:
        sg.parse("a = 1\n\nb = (a +\n   2 *\n   )")
    assert (caught.value.line, caught.value.column) == (5, 4)


def test_shape_errors_point_at_the_operator_or_factor() -> None:
    shapes = {"p": (3,), "q": (2,)}
    cases = [("p + q", 1, 3), ("(1 + p\n  - q)", 2, 3), ("p * q", 1, 3), ("p q", 1, 3),
             ("2 p (q + 1)", 1, 5), ("p / q", 1, 3), ("p > q", 1, 3), ("[p, q]", 1, 1),
             ("x + p @ q", 1, 7), ("-p q", 1, 4)]
    for text, line, column in cases:
        with pytest.raises(sg.ShapeError) as caught:
            sg.parse(text, shapes=shapes)
        assert (caught.value.line, caught.value.column) == (line, column), text


def test_bad_arguments_to_a_call_point_at_the_call() -> None:
    for call in ("index(0, 1e300)", "broadcast_to(2, -1)", "sum_to(x, -1)", "index(x, 0.5)"):
        with pytest.raises(sg.ParseError) as caught:
            sg.parse("1 + " + call)
        assert (caught.value.line, caught.value.column) == (1, 5), call


def test_a_users_string_is_never_executed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(os, "system", lambda *args: calls.append(args))
    for text in ("__import__('os').system('echo hi')", "eval('1')", "exec(x)",
                 "x.__class__", "().__class__.__bases__", "open(x)"):
        with pytest.raises(sg.SymgradError):
            sg.parse(text)
    assert calls == []


def test_garbage_of_one_megabyte_fails_fast() -> None:
    rng = random.Random(7)
    garbage = "".join(rng.choice("()[]+-*/^@.,;=<>!xy 19e\n\t\x00'\"$") for _ in range(10**6))
    noise = bytes(rng.getrandbits(8) for _ in range(10**6)).decode("latin-1")
    start = time.perf_counter()
    with pytest.raises(sg.ParseError):
        sg.parse(garbage)
    with pytest.raises(sg.ParseError):
        sg.parse(noise)
    assert time.perf_counter() - start < BUDGET


def test_deep_nesting_needs_no_recursion() -> None:
    depth = 100_000
    result, seconds = timed_parse("(" * depth + "x" + ")" * depth)
    assert result is x
    assert seconds < BUDGET, f"{depth} parentheses took {seconds:.1f} s"
    with pytest.raises(sg.ParseError, match="unbalanced"):
        sg.parse("(" * depth + "x" + ")" * (depth - 1))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(150)  # far below the depths parsed here
    try:
        assert sg.parse("-(" * 20_000 + "x" + ")" * 20_000) is x
        assert sg.parse("sqrt(" * 5_000 + "x" + ")" * 5_000).op == "sqrt"
        with pytest.raises(sg.ShapeError, match="nested more than"):
            sg.parse("[" * 5_000 + "x" + "]" * 5_000)  # numpy holds at most 64 dimensions
    finally:
        sys.setrecursionlimit(limit)


@pytest.mark.parametrize(("builder", "operator"), [("add", " + "), ("multiply", "*"),
                                                   ("multiply", " ")])
def test_a_long_chain_is_built_by_one_call(monkeypatch: pytest.MonkeyPatch, builder: str,
                                           operator: str) -> None:
    calls: list[int] = []
    original = getattr(functions, builder)

    def counting(items: list[sg.Expr]) -> sg.Expr:
        calls.append(len(items))
        return original(items)

    monkeypatch.setattr(functions, builder, counting)
    terms = 100_000
    result, seconds = timed_parse(operator.join(f"x{i}" for i in range(terms)))
    assert calls == [terms]
    assert len(result.args) == terms
    assert seconds < BUDGET, f"{terms} terms took {seconds:.1f} s"


def test_subtraction_and_division_join_the_chain() -> None:
    assert len(sg.parse(" - ".join(f"x{i}" for i in range(1000))).args) == 1000
    product = sg.parse("/".join(f"x{i}" for i in range(1000)))
    assert product.op == "mul" and len(product.args) == 1000


# -- round trip and the parser object -------------------------------------------------------------
def test_printed_expressions_parse_back_to_the_same_node() -> None:
    v = symbol("v", (3,))
    shapes = {"v": (3,), **SHAPES}
    for expr in (3 * x**2 + 4 * x + 2 * u * x, -(x**2), x / y / z, x**-0.5, sg.exp(-x**2 / 2),
                 sg.where(x > 0, sg.sqrt(x), 0 * x), A.T @ B,
                 sg.sum(v * v), -(x + y), x * 1e-20, sg.clamp(x, -1, 1), sg.log(x, 2)):
        assert sg.parse(str(expr), shapes=shapes) is expr, str(expr)


def test_parses_in_threads_keep_their_own_names() -> None:
    def work(index: int) -> bool:
        return sg.parse(f"k = {index}; k*x + k") is index * x + index

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(work, range(400)))


def test_the_shipped_parser_tables_are_those_of_the_grammar() -> None:
    # The tables' numbering changes with the hash seed, so compare what they were made from.
    from lark import __version__ as lark_version
    from symgrad.language import parser_tables
    assert (parser_tables.GRAMMAR_SHA256, parser_tables.LARK_VERSION) == (
        parse_module._grammar_digest(), lark_version), \
        "run: python -c 'import symgrad.language.parse as p; p.write_parser_tables()'"


def test_the_parser_is_loaded_from_the_shipped_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded, built = parse_module._shipped_parser(), parse_module.build_parser()
    assert loaded is not None
    texts = ("2x^2 + y", "a = sin(x); [a, 3a]", "where(x < 1, -x, x) y", "abs(x)/2")
    results = []
    for parser in (loaded, built):
        monkeypatch.setattr(parse_module._parser, "_instance", parser)
        results.append([sg.parse(text) for text in texts])
    assert results[0] == results[1]


def test_a_planted_cache_file_is_never_loaded(tmp_path: object) -> None:
    # lark's cache is a pickle: a file planted in the cache directory ran code on load.
    import os
    import pickle
    import subprocess
    import sys
    from pathlib import Path
    base = Path(str(tmp_path))
    marker = base / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, ...]:
            return (Path.touch, (marker,))

    directory = base / "symgrad"
    directory.mkdir()
    for name in ("grammar.cache", "grammar-lark1.3.1-py311.cache", "tables.cache"):
        (directory / name).write_bytes(b"\x00" * 32 + pickle.dumps(Payload()))
    code = "import symgrad as sg; print(sg.parse('x+1'))"
    environment = {**os.environ, "XDG_CACHE_HOME": str(base), "HOME": str(base)}
    result = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True,
                            text=True, timeout=120, check=True)
    assert result.stdout.strip() == "x + 1"
    assert not marker.exists()
    assert sorted(path.name for path in directory.iterdir()) == sorted(
        ("grammar.cache", "grammar-lark1.3.1-py311.cache", "tables.cache"))


def test_the_grammar_has_no_lalr_conflicts() -> None:
    from lark import Lark
    from lark.exceptions import LexError
    # strict=True raises on any shift/reduce conflict while building the tables; it then checks
    # terminal collisions too, which needs the optional `interegular` package.
    try:
        Lark(parse_module._grammar_text(), parser="lalr", strict=True)
    except LexError as error:
        assert "interegular must be installed" in str(error)


class TestExpressions:
    def test_parse_returns_expr_hash_consed_with_python_built(self):
        e = sg.parse(E_TEXT)
        x, u = sg.symbols("x u")
        assert isinstance(e, sg.Expr)
        assert (3*x**2 + 4*x + 2*u*x) is e

    def test_shapes_parse_example(self):
        v = sg.parse("3*dot(x, [1, 7, 5]) + x @ x", shapes={"x": (3,)})
        assert v.shape == ()
        xv = np.array([1.0, 7.0, -2.0])
        expected = 3 * (1 + 49 - 10) + (1 + 49 + 4)
        assert close(v.eval(x=xv), expected)

    @pytest.mark.parametrize("text, value", [
        ("3", 3.0), ("2.5", 2.5), (".5", 0.5), ("1e-3", 1e-3), ("2e3", 2000.0),
        ("pi", math.pi), ("e", math.e),
    ])
    def test_numbers_and_constants(self, text, value):
        p = sg.parse(text)
        assert list(p.symbols) == []
        assert close(p.eval(), value)

    def test_variable_called_e_declared_through_shapes(self):
        # parse.py documents: `pi` and `e` are constants unless they are keys of `shapes`.
        p = sg.parse("e*x", shapes={"e": ()})
        assert list(p.symbols) == ["e", "x"]
        assert close(p.eval(e=2.0, x=3.0), 6.0)

    @pytest.mark.parametrize(("name", "symbol_name"), [
        ("x", "x"), ("_a1", "_a1"), ("Ab_c9", "Ab_c9"), ("α", "alpha"), ("θ2", "theta2"),
        ("Δx", "Δx")])
    def test_names(self, name, symbol_name):
        p = sg.parse(f"{name} + 1")
        assert list(p.symbols) == [symbol_name]
        assert close(p.eval(**{symbol_name: 2.0}), 3.0)

    @pytest.mark.parametrize("text, expected", [
        ("7 + 2", 9.0), ("7 - 2", 5.0), ("7 * 2", 14.0), ("7 / 2", 3.5), ("7 ** 2", 49.0),
        ("7 ^ 2", 49.0), ("-7", -7.0), ("+7", 7.0), ("-2**2", -4.0), ("2**3**2", 512.0),
        ("2^3^2", 512.0), ("(2**3)**2", 64.0), ("1 + 2*3", 7.0), ("(1 + 2)*3", 9.0),
        ("8 / 2 / 2", 2.0), ("8 - 2 - 2", 4.0), ("2**-1", 0.5), ("-2**-2", -0.25),
    ])
    def test_operators_and_python_precedence_on_numbers(self, text, expected):
        assert close(sg.parse(text).eval(), expected)

    def test_neg_pow_is_neg_of_pow(self):
        x = sg.symbols("x")
        assert sg.parse("-x**2") is -(x**2)
        assert close(sg.parse("-x**2").eval(x=3.0), -9.0)

    def test_pow_right_associative_symbolic(self):
        x, y, z = sg.symbols("x y z")
        assert sg.parse("x**y**z") is x**(y**z)
        assert sg.parse("x^y^z") is x**(y**z)

    def test_matmul_operator(self):
        p = sg.parse("A @ b", shapes={"A": (2, 3), "b": (3,)})
        assert p.shape == (2,)
        A = np.arange(6.0).reshape(2, 3)
        b = np.array([1.0, -1.0, 2.0])
        assert close(p.eval(A=A, b=b), A @ b)

    @pytest.mark.parametrize("implicit, explicit", [
        ("3x^2", "3*x**2"), ("2(x+1)", "2*(x+1)"), ("2sin(x)", "2*sin(x)"),
        ("(x+1)(x-1)", "(x+1)*(x-1)"), ("2x cos(x^2)", "2*x*cos(x**2)"), ("x y", "x*y"),
    ])
    def test_implicit_multiplication(self, implicit, explicit):
        assert sg.parse(implicit) is sg.parse(explicit)

    def test_xy_stays_one_name(self):
        assert list(sg.parse("xy").symbols) == ["xy"]

    def test_2e3_stays_a_number(self):
        p = sg.parse("2e3")
        assert list(p.symbols) == [] and close(p.eval(), 2000.0)

    def test_symbols_sorted(self):
        assert list(sg.parse("z + a*m").symbols) == ["a", "m", "z"]


class TestCalls:
    def test_array_literals(self):
        v = sg.parse("[1, 7, -2]")
        assert v.shape == (3,) and close(v.eval(), [1, 7, -2])
        m = sg.parse("[[1, 2], [3, 4]]")
        assert m.shape == (2, 2) and close(m.eval(), [[1, 2], [3, 4]])

    def test_multi_statement_with_semicolons(self):
        p = sg.parse("z = w*x + b; p = sigmoid(z); -(y*log(p) + (1-y)*log(1-p))")
        assert list(p.symbols) == ["b", "w", "x", "y"]
        w, x, b, y = 0.5, 2.0, -0.3, 1.0
        s = 1 / (1 + math.exp(-(w * x + b)))
        assert close(p.eval(w=w, x=x, b=b, y=y), -(y * math.log(s) + (1 - y) * math.log(1 - s)))

    def test_multi_statement_with_newlines(self):
        p = sg.parse("a = x + 1\nb = a*a\nb + 1")
        assert list(p.symbols) == ["x"]
        assert close(p.eval(x=2.0), 10.0) and close(p.eval(x=-1.0), 1.0)


class TestErrors:
    def test_parse_error_line_column_caret(self):
        with pytest.raises(sg.ParseError) as info:
            sg.parse("a = 1\nb = x +* 2")
        err = info.value
        assert (err.line, err.column) == (2, 8)
        lines = str(err).splitlines()
        src = next(i for i, line in enumerate(lines) if "b = x +* 2" in line)
        caret = lines[src + 1]
        assert caret.strip() == "^"
        assert lines[src][caret.index("^")] == "*"

    def test_parse_error_is_value_error(self):
        with pytest.raises(ValueError):
            sg.parse("x + * 2")

    def test_unknown_function(self):
        with pytest.raises(sg.SymgradError) as info:
            sg.parse("1 + foo(x)")
        err = info.value
        assert isinstance(err, ValueError)
        assert "foo" in str(err) and err.line == 1 and err.column == 5
        assert "^" in str(err)

    @pytest.mark.parametrize("text, column", [("sin(x, y)", 1), ("2 + atan2(x)", 5),
                                               ("clamp(x, 1)", 1)])
    def test_wrong_argument_count(self, text, column):
        with pytest.raises(sg.SymgradError) as info:
            sg.parse(text)
        err = info.value
        assert isinstance(err, TypeError)
        assert err.line == 1 and err.column == column
        assert "argument" in str(err) and "^" in str(err)

    def test_shape_mismatch_with_position(self):
        with pytest.raises(sg.SymgradError) as info:
            sg.parse("1 + (\n  x @ y)", shapes={"x": (3,), "y": (2,)})
        err = info.value
        assert isinstance(err, ValueError)
        assert (err.line, err.column) == (2, 5)
        assert "(3,)" in str(err) and "(2,)" in str(err) and "^" in str(err)

    def test_shape_mismatch_broadcast(self):
        with pytest.raises(sg.SymgradError) as info:
            sg.parse("x + [1, 2]", shapes={"x": (3,)})
        assert info.value.column == 3

    def test_parse_non_string(self):
        with pytest.raises(sg.SymgradError) as info:
            sg.parse(123)
        assert isinstance(info.value, TypeError)

    def test_no_eval_of_user_text(self):
        marker = f"/tmp/pwned_symgrad_{uuid.uuid4().hex}"
        for text in (f"__import__('os').system('touch {marker}')",
                     "__import__('os').system('touch /tmp/pwned_symgrad')"):
            with pytest.raises(sg.SymgradError):
                sg.parse(text)
        assert not os.path.exists(marker)
        assert not os.path.exists("/tmp/pwned_symgrad")

    @pytest.mark.parametrize("text", ["x.__class__", "x.__dict__", "().__class__", "exec(x)",
                                      "eval(x)", "__builtins__"])
    def test_dunder_and_builtins_are_not_reachable(self, text):
        try:
            e = sg.parse(text)
        except sg.SymgradError:
            return
        # if it parses at all, it is just a symbol name
        assert isinstance(e, sg.Expr) and all(s.isidentifier() for s in e.symbols)

    @pytest.mark.parametrize("text", [
        "(" * 20000 + "x" + ")" * 20000,
        "-" * 20000 + "x",
        "+".join(["x"] * 20000),
        "x" + "**x" * 5000,
        "sin(" * 5000 + "x" + ")" * 5000,
    ], ids=["parens", "negations", "long-sum", "power-tower", "sin-chain"])
    def test_deep_input_no_recursion_error(self, text):
        start = time.perf_counter()
        e = sg.parse(text)
        assert isinstance(e, sg.Expr)
        str(e)
        e.latex()
        sg.grad(e)
        assert time.perf_counter() - start < 20

    def test_deeply_nested_list_literal_is_symgrad_error_or_parses(self):
        text = "[" * 65 + "1" + "]" * 65
        try:
            sg.parse(text)
        except sg.SymgradError:
            pass

    @pytest.mark.parametrize("text", ["", "   ", "x = 1", ";", "1 +", "[1, [2]]", "[", ")",
                                      "x..T", "3 4", "\x00", "x = ; 1"])
    def test_garbage_raises_symgrad_error(self, text):
        try:
            sg.parse(text)
        except sg.SymgradError:
            return
        except Exception as exc:       # pragma: no cover - the failure we are looking for
            pytest.fail(f"{text!r} raised {type(exc).__name__}: {exc}")


class TestNonFiniteConstants:
    def test_times_overflowing_literal(self):
        e = sg.parse("x*1e999")
        assert close(e.eval(x=2.0), math.inf)

    def test_overflowing_literal_alone_is_inf(self):
        assert sg.parse("1e999").eval() == math.inf
        assert sg.parse("-1e999").eval() == -math.inf


def test_the_shared_parser_is_safe_across_threads_switching_often() -> None:
    # Lark's LALR parser keeps each parse's state in its own objects and our builders keep
    # theirs per thread, so one parser serves every thread; switch as often as possible.
    import sys
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)

    def work(index: int) -> bool:
        if index % 5 == 0:
            with pytest.raises(sg.ParseError) as caught:
                sg.parse(f"k{index} = (x +\n  2*)")
            return (caught.value.line, caught.value.column) == (2, 5)
        text = f"k = {index}\nm = (k*x +\n  y)\nm*m - k"
        m = index * x + y
        return sg.parse(text) is m * m - index

    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            assert all(pool.map(work, range(300)))
    finally:
        sys.setswitchinterval(interval)


@pytest.mark.parametrize("text", ["9" * 5000, "x + " + "9" * 5000])
def test_a_number_longer_than_python_converts_is_a_parse_error_at_its_spot(text: str) -> None:
    with pytest.raises(sg.ParseError, match="5000 digits is too long") as caught:
        sg.parse(text)
    assert caught.value.column == text.index("9") + 1
