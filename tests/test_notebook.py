"""Rich output in a real notebook: a notebook is executed by an IPython kernel (nbclient) and
the MIME bundles of its results are checked: LaTeX for expressions, derivatives, derivations
and tensors; HTML for check reports, verdicts and kernels; SVG for the DAG where `dot` is."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from needs import module, program

# Importing ipykernel imports IPython, which raises the recursion limit to 3000; later tests
# expect SymPy to meet the usual limit, so it is put back.
_LIMIT = sys.getrecursionlimit()
nbformat: Any = module("nbformat", "the notebook test writes a notebook")
nbclient: Any = module("nbclient", "the notebook test runs a notebook in a real kernel")
module("ipykernel", "the notebook test runs a notebook in a real kernel")
sys.setrecursionlimit(_LIMIT)

ROOT = Path(__file__).resolve().parent.parent

CELLS = {
    "expr": 'e = sg.parse("1/(1 + exp(-x))"); sg.diff(e, "x")',
    "gradient": 'sg.grad("x^2*y + sin(y)")',
    "hessian": 'sg.hessian("x^2*y", ["x", "y"])',
    "jacobian": 'sg.jacobian(["x*y", "x + y"], ["x", "y"])',
    "derivation": 'sg.steps("sin(x^2)", wrt="x")',
    "tensor": 'sg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)',
    "check": 'sg.check("sin(x)*y", at={"x": 1, "y": 2})',
    "verdict": 'sg.verify("sin(x^2)", "x cos(x^2)", wrt="x")',
    "kernel": 'sg.compile(sg.parse("sin(x)*y"))',
    "dag": 'sg.parse("sin(x)*x + x").dag()',
    "grade": ('sg.grade([{"id": "a", "function": "x^2", "variable": "x", "answer": "2x"}, '
              '{"id": "b", "function": "sin(x)", "variable": "x", "answer": "-cos(x)"}], workers=1)'),
    "tower": 'y = sg.symbols("y")\nfor _ in range(60):\n    y = sg.sin(y)*y + y\ny',
    "tower dag": "y.dag()",
    "huge": 'h = sg.symbols("h")\nfor _ in range(4000):\n    h = sg.sin(h)*h + h\nh',
}


@pytest.fixture(scope="module")
def bundles() -> dict[str, dict[str, Any]]:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
                                                "import symgrad as sg")]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in CELLS.values()]
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    sys.setrecursionlimit(_LIMIT)  # the client may import IPython only now
    found = {}
    for name, cell in zip(CELLS, notebook.cells[1:]):
        results = [output for output in cell.outputs if output.output_type == "execute_result"]
        errors = [output for output in cell.outputs if output.output_type == "error"]
        assert not errors, f"{name}: {errors}"
        found[name] = dict(results[0]["data"])
    return found


@pytest.mark.parametrize("name", ["expr", "gradient", "hessian", "jacobian", "derivation", "tensor"])
def test_results_show_as_latex_in_a_notebook(bundles: dict[str, dict[str, Any]], name: str) -> None:
    latex = bundles[name]["text/latex"]
    assert latex.startswith("$") and ("\\displaystyle" in latex or latex.startswith("$$"))
    assert "text/plain" in bundles[name]


def test_the_expression_bundle_is_the_correct_latex(bundles: dict[str, dict[str, Any]]) -> None:
    assert r"\left(1 + e^{-x}\right)^{2}" in bundles["expr"]["text/latex"]
    assert r"\begin{bmatrix}" in bundles["hessian"]["text/latex"]
    assert r"\frac{\partial f}{\partial x}" in bundles["gradient"]["text/latex"]
    # a gradient still shows as the dict it is in plain text
    assert bundles["gradient"]["text/plain"].startswith("{'x': Expr(")


@pytest.mark.parametrize(("name", "words"), [("check", "all methods agree"), ("verdict", "wrong"),
                                             ("kernel", "return"), ("grade", "1 correct, 1 wrong")])
def test_reports_verdicts_and_kernels_show_as_html(bundles: dict[str, dict[str, Any]], name: str,
                                                   words: str) -> None:
    page = bundles[name]["text/html"]
    assert page.startswith("<p>" if name == "grade" else "<div>") and words in re.sub(r"<[^>]+>", "", page)
    if name == "kernel":
        assert "<span style=" in page  # highlighted


def test_the_dag_shows_as_svg_where_graphviz_is_installed(bundles: dict[str, dict[str, Any]]) -> None:
    program("dot", "Graphviz draws the DAG picture (apt-get install graphviz)")
    assert "<svg" in bundles["dag"]["image/svg+xml"]


def test_a_deep_shared_tower_shows_with_named_parts_and_its_dag_as_text(
        bundles: dict[str, dict[str, Any]]) -> None:
    """60 levels of `y = sin(y)*y + y`: bounded LaTeX with named parts; the DAG, too long for
    `dot` to lay out, falls back to its plain-text description instead of hanging the kernel."""
    latex = bundles["tower"]["text/latex"]
    assert latex.startswith(r"$\displaystyle") and r"\text{where } t_{0} = " in latex
    assert len(latex) < 100_000
    assert "image/svg+xml" not in bundles["tower dag"]
    assert bundles["tower dag"]["text/plain"].startswith("<symgrad DAG of ")


def test_an_expression_too_large_to_display_shows_as_a_summary(
        bundles: dict[str, dict[str, Any]]) -> None:
    """12,001 nodes: past the display bound, both bundles are one line, not megabytes."""
    assert bundles["huge"]["text/plain"].startswith("<Expr of more than 10,000 nodes")
    assert "too large to display" in bundles["huge"]["text/latex"]
    assert len(bundles["huge"]["text/latex"]) < 300
