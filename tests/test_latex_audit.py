"""The LaTeX audit corpus (tests/latex_audit_corpus.py: 440+ expressions, 1300+ LaTeX strings
with their derivatives), checked three ways: SymPy's LaTeX parser reads a sample back to the
same values; no string has a form that never renders (two scripts on a base, unbalanced braces,
`\\left` without `\\right`) or reads as another number (digit-space-digit); and KaTeX, the
renderer the web page vendors, renders every string with throwOnError under node.

`python tests/latex_audit.py` runs the whole audit (a few minutes) and prints the counts.
"""

from __future__ import annotations

from typing import Any

import pytest

import symgrad as sg

from needs import module, program

module("antlr4", "SymPy's LaTeX parser (pip install 'antlr4-python3-runtime==4.11') is the oracle")
module("sympy.parsing.latex", "SymPy's LaTeX parser is the oracle")

from latex_audit import audit, form_problems, render_problems  # noqa: E402
from latex_audit_corpus import audited, expressions  # noqa: E402

SAMPLE_STRIDE = 9  # every ninth expression (with its derivatives) is read back by SymPy


@pytest.fixture(scope="module")
def everything() -> list[tuple[str, sg.Expr, bool]]:
    return list(audited())


def test_the_audit_corpus_is_large_and_covers_the_operation_table() -> None:
    texts = [text for text, _ in expressions()]
    assert len(texts) >= 400 and len(set(texts)) == len(texts)
    used = {node.op for text, shapes in expressions()
            for node in _nodes(sg.parse(text, shapes=shapes))}
    for op in ("abs", "sign", "max", "min", "clamp", "sigmoid", "softplus", "erf", "log2", "log10",
               "asin", "acosh", "acsch", "sqrt", "cbrt", "where", "index", "matmul", "stack"):
        assert op in used, op


def _nodes(expr: sg.Expr) -> list[Any]:
    from symgrad.core.traverse import topological
    return list(topological([expr]))


def test_a_sample_of_the_audit_reads_back_to_the_same_values(
        everything: list[tuple[str, sg.Expr, bool]]) -> None:
    chosen = {text for text, _ in expressions()[::SAMPLE_STRIDE]}
    sample = [item for item in everything if item[0].split(" ", 1)[-1] in chosen
              or item[0] in chosen]
    found = audit(sample)
    assert len(sample) >= 120
    assert not found["wrong"], "\n".join(found["wrong"])
    assert not found["unreadable"], "\n".join(found["unreadable"])
    assert len(found["unchecked"]) <= len(sample) // 20, found["unchecked"]


def test_no_audit_string_has_a_form_that_never_renders_or_reads_as_another_number(
        everything: list[tuple[str, sg.Expr, bool]]) -> None:
    problems = [f"{label}: {form_problems(expr.latex())}" for label, expr, _ in everything
                if form_problems(expr.latex())]
    assert not problems, "\n".join(problems)


def test_katex_renders_every_audit_string(everything: list[tuple[str, sg.Expr, bool]]) -> None:
    program("node", "node runs KaTeX, the renderer the web page vendors (apt-get install nodejs)")
    texts = [expr.latex() for _, expr, _ in everything]
    errors = render_problems(texts)
    assert errors is not None and len(errors) == len(texts)
    failed = [f"{label}: {error}: {text}"
              for (label, _, _), text, error in zip(everything, texts, errors) if error is not None]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("text", [r"e^{x}^{2}", r"\left(x + 1\right)^{2}^{2}", r"x_{0}_{1}",
                                  r"\frac{1}{x", r"\left(x + 1"])
def test_the_checks_catch_the_forms_the_issue_names(text: str) -> None:
    """The audit can fail: each broken form of issue 12 is caught by the regexes, and KaTeX
    refuses it."""
    assert form_problems(text)
    program("node", "node runs KaTeX, the renderer the web page vendors (apt-get install nodejs)")
    errors = render_problems([text])
    assert errors is not None and errors[0] is not None


def test_the_oracle_catches_a_power_of_a_sum_without_its_parentheses() -> None:
    from latex_oracle import compare
    expr = sg.parse("1/(x^2 + 1)^2")
    problem, _ = compare(expr, r"\frac{1}{x^{2} + 1^{2}}", [{"x": 0.5}])
    assert problem is not None and problem.startswith("other values")
    assert compare(expr, expr.latex(), [{"x": 0.5}]) == (None, 1)
