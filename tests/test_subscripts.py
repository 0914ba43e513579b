"""Subscripts in the expression language (`x[0]`, `A[1, 0]`, `x[1:]`, `A[:, 0]`) and their text.

Oracles: numpy's own indexing of the values (`parse(...).eval(...)` against `value[...]`), the
node Python's `w[...]` builds on a symbol, and hand-written expected text.
"""

from __future__ import annotations

import itertools
import importlib

import numpy as np
import pytest

import symgrad as sg
from symgrad.core.expr import symbol
from symgrad.language import fastlane

parse_module = importlib.import_module("symgrad.language.parse")  # `sg.parse` is the function
SHAPES = {"x": (4,), "A": (2, 3)}
X = np.array([1.5, -2.0, 7.0, 0.25])
A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
x, M = symbol("x", (4,)), symbol("A", (2, 3))

# (text, the numpy expression it means on X and A)
SUBSCRIPTS = [
    ("x[0]", lambda: X[0]),
    ("x[-1]", lambda: X[-1]),
    ("x[1:]", lambda: X[1:]),
    ("x[:2]", lambda: X[:2]),
    ("x[::2]", lambda: X[::2]),
    ("x[1:3]", lambda: X[1:3]),
    ("x[::-1]", lambda: X[::-1]),
    ("x[-2:0:-1]", lambda: X[-2:0:-1]),
    ("A[1, 0]", lambda: A[1, 0]),
    ("A[0][1]", lambda: A[0][1]),
    ("A[:, 0]", lambda: A[:, 0]),
    ("A[1]", lambda: A[1]),
    ("A[-1, 1:]", lambda: A[-1, 1:]),
    ("A.T[2]", lambda: A.T[2]),
    ("(x + 1)[2]", lambda: (X + 1)[2]),
    ("exp(x)[1:3]", lambda: np.exp(X)[1:3]),
    ("x[0]**2 - 3x[1]", lambda: X[0] ** 2 - 3 * X[1]),
    ("sin x[2]", lambda: np.sin(X[2])),
    ("n = 3; x[n - 1]", lambda: X[2]),
    ("[[1, 2], [3, 4]][1, 0]", lambda: np.array([[1, 2], [3, 4]])[1, 0]),
]


@pytest.mark.parametrize(("text", "expected"), SUBSCRIPTS, ids=[row[0] for row in SUBSCRIPTS])
def test_a_subscript_means_numpys_indexing(text: str, expected: object) -> None:
    value = sg.parse(text, shapes=SHAPES).eval(x=X, A=A)
    np.testing.assert_array_equal(value, expected())  # type: ignore[operator]


@pytest.mark.parametrize(("text", "built"), [
    ("x[0]", lambda: x[0]), ("x[-1]", lambda: x[3]), ("x[1:]", lambda: x[1:]),
    ("A[1, 0]", lambda: M[1, 0]), ("A[:, 0]", lambda: M[:, 0]), ("A[0][1]", lambda: M[0][1]),
    ("x[::2]", lambda: x[::2]),
])
def test_a_subscript_builds_the_node_python_indexing_builds(text: str, built: object) -> None:
    assert sg.parse(text, shapes=SHAPES) is built()  # type: ignore[operator]


@pytest.mark.parametrize(("expr", "text"), [
    (lambda: x[0], "x[0]"), (lambda: x[1:], "x[1:]"), (lambda: M[1, 0], "A[1, 0]"),
    (lambda: M[:, 0], "A[:, 0]"), (lambda: x[::-1], "x[::-1]"), (lambda: x[2:0:-1], "x[2:0:-1]"),
    (lambda: x[:2], "x[:2]"), (lambda: (x + 1)[2], "(x + 1)[2]"),
    (lambda: 2 * x[0] ** 2, "2*x[0]**2"), (lambda: M[0][1], "A[0][1]"),
])
def test_an_index_node_prints_as_a_subscript(expr: object, text: str) -> None:
    assert str(expr()) == text  # type: ignore[operator]


def test_every_slice_of_a_vector_reads_back_from_its_text() -> None:
    """Contract 1c, `sg.parse(str(e), shapes=...) is e`, over all small slices (backward ones
    end before 0 at -1, which numpy would read as the last entry)."""
    bounds = [None, *range(-6, 7)]
    checked = 0
    for start, stop, step in itertools.product(bounds, bounds, [None, 1, 2, 3, -1, -2, -3]):
        e = x[start:stop:step]
        assert sg.parse(str(e), shapes=SHAPES) is e, (start, stop, step, str(e))
        expected = X[start:stop:step]
        assert e.shape == expected.shape
        if expected.size:  # evaluating an empty slice is not supported (numpy's broadcast_to)
            np.testing.assert_array_equal(e.eval(x=X), expected)
        checked += 1
    assert checked == 14 * 14 * 7


def test_the_gradient_of_an_entry_reads_back_from_its_text() -> None:
    e = sg.parse("A[1, 0]*x[0]**2 + sum(x[1:])", shapes=SHAPES)
    for name in ("x", "A"):
        derivative = sg.diff(e, name)
        assert sg.parse(str(derivative), shapes=SHAPES) is derivative


def test_the_latex_of_an_index_keeps_the_subscript_form() -> None:
    assert sg.parse("A[1, 0]*x[0]", shapes=SHAPES).latex() in (r"A_{1,0} \cdot x_{0}",
                                                                r"x_{0} \cdot A_{1,0}")


def test_the_fast_lane_declines_subscripts() -> None:
    names = {"x": x}
    for text in ("x[0]", "x[1:]", "x[0] + 1"):
        assert fastlane.parse_plain(text, names) is None
        assert sg.parse(text, shapes=SHAPES) is parse_module.parse_with_lark(text, names)


@pytest.mark.parametrize(("text", "kind", "column", "message"), [
    ("x[4]", sg.ShapeError, 2, "index 4 is out of range for an axis of size 4"),
    ("x[-5]", sg.ShapeError, 2, "index -5 is out of range for an axis of size 4"),
    ("A[0, 0, 0]", sg.ShapeError, 2, "too many indices (3) for shape (2, 3)"),
    ("x[0][0]", sg.ShapeError, 5, "'x[0]' is a scalar (shape ()): it has no entries to subscript"),
    ("y[0]", sg.ShapeError, 2, "'y' is a scalar (shape ()): it has no entries to subscript"),
    ("x[0.5]", sg.ParseError, 2, "an index must be an integer, not 0.5"),
    ("x[1.0]", sg.ParseError, 2, "an index must be an integer, not 1.0"),
    ("x[y]", sg.ParseError, 2, "an index must be an integer, not y"),
    ("x[1:y]", sg.ParseError, 4, "an index must be an integer, not y"),
    ("x[::0]", sg.ParseError, 3, "a slice step cannot be zero"),
    ("x[]", sg.ParseError, 3, "unexpected ']'"),
    ("sin[0]", sg.ParseError, 4, "a subscript follows a name, a call or a parenthesis"),
])
def test_a_bad_subscript_is_an_error_at_its_spot(text: str, kind: type, column: int,
                                                 message: str) -> None:
    with pytest.raises(kind) as caught:
        sg.parse(text, shapes=SHAPES)
    assert type(caught.value) is kind
    assert (caught.value.line, caught.value.column) == (1, column)
    assert message in caught.value.message


def test_index_calls_still_read() -> None:
    assert sg.parse("index(A, 1, 0)", shapes=SHAPES) is M[1, 0]
