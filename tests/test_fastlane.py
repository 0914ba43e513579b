"""The fast lane of `sg.parse` (symgrad/language/fastlane.py) against the lark grammar.

The oracle is `parse.parse_with_lark`, the grammar path itself. For every input the fast lane
either declines (None, and `sg.parse` falls back to lark) or returns the very node lark builds
(`is`: hash-consing makes it the structural comparison); where lark raises, it declines.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.core.expr import Expr, symbol
from symgrad.language import fastlane, notation
from symgrad.ops import functions
from strategies import expressions

parse_module = importlib.import_module("symgrad.language.parse")  # `sg.parse` is the function
ROOT = Path(__file__).resolve().parent.parent
SHAPES = {"A": (2, 3), "B": (2, 3), "v": (3,)}


def declared(shapes: Mapping[str, tuple[int, ...]] | None = None) -> dict[str, Expr]:
    return {name: symbol(name, shape) for name, shape in (shapes or {}).items()}


def by_lark(text: str, names: dict[str, Expr]) -> Expr | None:
    """Lark's node for `text`, or None where lark raises (a SymgradError, as sg.parse does)."""
    try:
        return parse_module.parse_with_lark(text, names)
    except sg.SymgradError:
        return None


def agrees(text: str, shapes: Mapping[str, tuple[int, ...]] | None = None) -> Expr | None:
    """The fast lane's node for `text` after checking it against lark's (None: declined)."""
    names = declared(shapes)
    fast = fastlane.parse_plain(text, names)
    if fast is None:
        return None
    slow = by_lark(text, names)
    assert slow is not None, f"the fast lane read {text!r}, which lark refuses"
    assert fast is slow, f"{text!r}: fast lane {fast} but lark {slow}"
    return fast


# -- generated text in the subset -----------------------------------------------------------------
NAMES = ("x", "y", "z", "x_1", "t0", "theta", "alpha_2", "rate", "_h", "pi", "e", "E", "X1")
NUMBERS = st.sampled_from(["0", "1", "2", "3", "10", "007", "2.5", ".5", "2.", "1e-3", "2E+3",
                           "4.5e2", "123456789012345678901234567890"])
SPACE = st.sampled_from(["", "", " ", "  ", "\t"])
# Table functions by their own names and `ln`, with argument counts they take.
CALLABLE = [(name, count) for name, entry in functions.CALLS.items()
            if entry.max_args < 4 and name not in ("transpose", "outer", "dot", "matmul", "index",
                                                 "scatter", "sum_to", "broadcast_to")
            for count in range(entry.min_args, entry.max_args + 1)] + [("ln", 1)]


def _joined(draw: Callable[..., Any], parts: list[str]) -> str:
    return draw(SPACE).join(parts) if len(parts) > 1 else parts[0]


@st.composite
def _binary(draw: Callable[..., Any], inner: st.SearchStrategy[str]) -> str:
    operator = draw(st.sampled_from(["+", "-", "*", "/", "**", "^", "+", "*"]))
    return _joined(draw, [draw(inner), operator, draw(inner)])


@st.composite
def _unary(draw: Callable[..., Any], inner: st.SearchStrategy[str]) -> str:
    return _joined(draw, [draw(st.sampled_from(["-", "+", "-"])), draw(inner)])


@st.composite
def _call(draw: Callable[..., Any], inner: st.SearchStrategy[str]) -> str:
    name, count = draw(st.sampled_from(CALLABLE))
    arguments = [draw(inner) for _ in range(count)]
    if name == "where":
        arguments[0] = _joined(draw, [arguments[0], draw(st.sampled_from(
            ["<", "<=", ">", ">=", "==", "!="])), draw(inner)])
    return name + draw(SPACE) + "(" + ("," + draw(SPACE)).join(arguments) + ")"


def _group(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return inner.map(lambda text: f"({text})")


PLAIN = st.recursive(
    st.one_of(st.sampled_from(NAMES), NUMBERS),
    lambda inner: st.one_of(_binary(inner), _unary(inner), _call(inner), _group(inner)),
    max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(PLAIN)
def test_generated_plain_text_is_read_by_the_fast_lane_to_lark_s_node(text: str) -> None:
    names = declared()
    slow = by_lark(text, names)
    fast = fastlane.parse_plain(text, names)
    if slow is None:
        assert fast is None, f"{text!r}: lark refuses it but the fast lane read {fast}"
    else:
        # Everything generated here is in the subset: the lane must take it, not decline.
        assert fast is slow, f"{text!r}: fast lane {fast} but lark {slow}"


@settings(max_examples=150, deadline=None)
@given(expressions(max_steps=6))
def test_printed_random_expressions_take_the_fast_lane_to_lark_s_node(generated: Any) -> None:
    text = str(generated.expr)
    assert agrees(text) is not None, f"the fast lane declined printed text {text!r}"
    assert sg.parse(text) is generated.expr


# -- every string of the parser's tests ----------------------------------------------------------
CORPUS_FILES = ("test_parse.py", "test_notation.py", "test_exact.py", "test_errors.py",
                "test_printing.py", "test_verify.py", "test_corpus.py", "test_verify_courses.py",
                "test_simplify.py", "test_differentiate.py", "test_check.py", "test_cli.py")


def corpus() -> list[str]:
    """Every string literal of the parser's test files (up to 10,000 characters)."""
    found: set[str] = set()
    for name in CORPUS_FILES:
        path = ROOT / "tests" / name
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and 0 < len(node.value) <= 10_000:
                found.add(node.value)
    return sorted(found)


def test_every_string_of_the_parser_tests_declines_or_agrees_with_lark() -> None:
    texts = corpus()
    taken = [text for text in texts if agrees(text) is not None]
    shaped = [text for text in texts if agrees(text, SHAPES) is not None]
    assert len(texts) > 1000 and len(taken) > 200 and len(shaped) > 200, \
        (len(texts), len(taken), len(shaped))


# -- look-alikes: never a different reading ------------------------------------------------------
LOOK_ALIKES = [
    *functions.CALLS, *notation.SYNONYMS, "log_2", "log_10", "log_e", "log_x", "log_",
    "sinx", "lnx", "cosx", "tanx", "sin2x", "sinh", "x(x+1)", "t(1 - t)", "theta(x)",
    "x_1(y)", "pi(x)", "e(x)", "2x", "2(x+1)", "(x+1)(x-1)", "x y", "2 3", "3w^17 4^w",
    "sec^2(x)", "sin^2(x)", "sin^-1(x)", "sin^(-1)(x)", "sin x", "ln x + 1", "sin(x)^2",
    "e", "pi", "E", "e^x", "e^2", "pi^-1", "2e", "2e3", "2e3x", "x^2x", "x^2.5", "x**2e5",
    "π", "π*x", "√x", "x²", "x·y", "x−y", "θ + 1", "é", "x\u00a0+ 1", "|x|", "||x| - 1|",
    "d/dx", "dy/dx", "d/dx x^2", "dy / dx", "x**d/dx", "(d)/dx", "d/x", "dy/2", "2*d/dt",
    "ln(x)", "log_2(x)", "log_{10}(x)", "log(x, 2)", "log2(x)", "foo(x)", "atn2(y, x)",
    "sin()", "sin(x,)", "clamp(x, 1)", "sin(x, y)", "sin" + " " * 63 + "(x)",
    "sin" + " " * 64 + "(x)", "x" + " " * 70 + "(y)", "sin\t(x)", "x.T", "x.5", "x..T",
    "A.T", "x[0]", "[1, 2]", "x = 1; x", "x\ny", "x;y", "x # note", "a < b < c", "a < b",
    "x == y", "x = y", "x != y", "x ! y", "x <> y", "x @ y", "A @ B", "3 4", "", "   ", "\x00",
    "x +", "* x", "(x", "x)", "()", "(,)", "f(,)", "sin(,x)", "-", "--x", "+-+x", "x**-+-y",
    "x_{1}", "x_", "_", "__", "_1", "lambda", "import", "None", "x.y", "'x'", "$", "x$",
]


@pytest.mark.parametrize("shapes", [None, SHAPES, {"e": (), "sin": (), "x": (3,), "d": ()}],
                         ids=["plain", "matrices", "declared"])
def test_look_alikes_decline_or_agree_with_lark(shapes: dict[str, tuple[int, ...]] | None
                                                ) -> None:
    for text in LOOK_ALIKES:
        agrees(text, shapes)


@pytest.mark.parametrize("text", ["sin x", "sec^2(x)", "2x", "x(x+1)", "ln x", "sinx", "sin",
                                  "π", "log_2(x)", "d/dx", "x y", "|x|", "x²", "x\ny"])
def test_textbook_notation_is_left_to_lark(text: str) -> None:
    assert fastlane.parse_plain(text, {}) is None


def test_pi_and_e_are_read_as_lark_reads_them() -> None:
    # The constants come from parse.name_value, so a declared `e` is the symbol, as in lark.
    assert agrees("e*pi") is functions.E * functions.PI
    assert agrees("e*t", {"e": ()}) is symbol("e") * symbol("t")


def test_errors_still_come_from_lark_with_line_and_column() -> None:
    cases = [("x +", 1, 4), ("foo(x)", 1, 1), ("sin()", 1, 1), ("clamp(x, 1)", 1, 1),
             ("x * / y", 1, 5), ("(x + 1", 1, 1), ("x + 1)", 1, 6), ("a < b < c", 1, 7),
             ("sin", 1, 1), ("3*x**2 + atn2(y, x)", 1, 10), ("d/dx", 1, 1)]
    for text, line, column in cases:
        assert fastlane.parse_plain(text, {}) is None, text
        with pytest.raises(sg.ParseError) as caught:
            sg.parse(text)
        assert (caught.value.line, caught.value.column) == (line, column), text


def test_a_builder_error_declines_and_lark_reports_it() -> None:
    text = "A + v"  # shapes (2, 3) and (3,) broadcast; (2, 3) @ (2, 3) does not
    assert agrees(text, SHAPES) is not None
    assert fastlane.parse_plain("A @ B", declared(SHAPES)) is None
    with pytest.raises(sg.ShapeError) as caught:
        sg.parse("A @ B", shapes=SHAPES)
    assert caught.value.column == 3


# -- depth and size ------------------------------------------------------------------------------
def test_deep_nesting_takes_the_fast_lane_without_recursion() -> None:
    x = sg.symbols("x")
    depth = 100_000
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # far below the depths read here
    try:
        assert fastlane.parse_plain("(" * depth + "x" + ")" * depth, {}) is x
        negated = fastlane.parse_plain("-" * depth + "x", {})
        assert negated is x  # an even number of negations
        assert fastlane.parse_plain("-(" * 20_000 + "x" + ")" * 20_000, {}) is x
        assert fastlane.parse_plain("(" * depth + "x" + ")" * (depth - 1), {}) is None
        tower = fastlane.parse_plain("x" + "**x" * 5_000, {})
        assert tower is not None and tower.op == "power"
        nested = fastlane.parse_plain("sin(" * 5_000 + "x" + ")" * 5_000, {})
        assert nested is not None and nested.op == "sin"
    finally:
        sys.setrecursionlimit(limit)
    assert fastlane.parse_plain("-" * 9 + "x", {}) is -x


def test_a_long_sum_is_one_add_call(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = functions.add

    def counting(items: list[Expr]) -> Expr:
        calls.append(len(items))
        return original(items)

    monkeypatch.setattr(functions, "add", counting)
    text = " - ".join(f"x{i}" for i in range(10_000))
    assert agrees(text) is not None and calls == [10_000, 10_000]  # the lane's, then lark's


def bench_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_parse",
                                                  ROOT / "benchmarks" / "bench_parse.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_input_takes_the_fast_lane() -> None:
    bench = bench_module()
    text = bench.expression(1_000)
    assert agrees(text) is not None
    assert fastlane.parse_plain(text, {}) is bench.built(1_000)


# Token soup: random sequences of the subset's tokens and a few look-alikes, mostly not valid.
VOCABULARY = ["x", "y", "d", "dx", "e", "pi", "sin", "ln", "x_1", "2", ".5", "1e3", "+", "-", "*",
              "/", "**", "^", "@", "(", ")", ",", "<", "==", "sin(", "max(", "where(", "log(",
              " ", "\t", "=", "|", "2x", "x^2", "sec^2"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=14))
def test_token_soup_declines_or_agrees_with_lark(pieces: list[str]) -> None:
    agrees("".join(pieces))
    agrees(" ".join(pieces))


def test_matrix_products_close_the_product_to_their_left_as_lark_does() -> None:
    shapes = {"M": (2, 2), "N": (2, 2), "w": (2,)}
    for text in ("M @ w", "2*M @ w", "M @ N @ w * 3", "M*N @ w / 2", "-M @ w", "w @ w + 1",
                 "sum(M @ w)", "M @ (N @ w)", "M @ -w"):
        assert agrees(text, shapes) is not None, text
