"""Rich notebook output: LaTeX blocks, HTML tables and the DAG as a picture.

Jupyter shows an object by the richest of its `_repr_*_` methods; the result objects of
symgrad (expressions, gradients, matrices of derivatives, check reports, verdicts, kernels,
tensors) build theirs from the helpers here, so they look alike.
"""

from __future__ import annotations

import html
import shutil
import subprocess
from typing import Sequence

from ..core.expr import Expr
from ..core.traverse import topological
from .printing import _latex_symbol, to_dot, to_latex

# A picture of a DAG larger than this is not drawn: Graphviz would take long and the picture
# would not be legible.
DAG_PICTURE_NODES = 400
# Nor one whose layout cost (below) is past this: `dot` routes an edge through every rank it
# spans, so a few nodes with long edges can take it minutes (a 20-level `sin(y)*y + y` tower, 61
# nodes: cost 4971, 11 s; cost 786 draws in 0.15 s, 1044 in 0.2 s; measured on a loaded machine).
DAG_PICTURE_COST = 1500
DOT_SECONDS = 5.0
# Pygments highlights about 2,000 lines a second here; longer kernel sources are shown plain.
HIGHLIGHT_LINES = 500


# Past this many DAG nodes a notebook shows a one-line summary of an expression instead of its
# text or LaTeX. Printing is linear, but at about 10-40 us a node (a 10^5-term sum, 300,003
# nodes, took 12-54 s on the shared machine) and a browser cannot typeset megabytes of LaTeX;
# `str(e)`, `repr(e)` and `e.latex()` still give the whole expression.
DISPLAY_NODES = 10_000


def _larger_than(expr: Expr, limit: int) -> bool:
    """Whether `expr` has more than `limit` distinct nodes; stops counting past `limit`."""
    seen: set[int] = {id(expr)}
    stack = [expr]
    while stack:
        for arg in stack.pop().args:
            if id(arg) not in seen:
                seen.add(id(arg))
                if len(seen) > limit:
                    return True
                stack.append(arg)
    return False


def display_summary(expr: Expr) -> str | None:
    """A one-line description of an expression too large for a notebook to show (more than
    DISPLAY_NODES nodes), or None for one it shows in full. It costs O(DISPLAY_NODES): counting
    all the nodes or listing the symbols of a huge DAG would take seconds."""
    if not _larger_than(expr, DISPLAY_NODES):
        return None
    shape = f" of shape {expr.shape}" if expr.shape else ""
    return (f"Expr{shape} of more than {DISPLAY_NODES:,} nodes: too large to display here; "
            f"str(e) and e.latex() give it in full")


def shown_latex(expr: Expr) -> str:
    """The LaTeX a notebook shows for `expr`: all of it, or for one too large to display, its
    summary as text."""
    summary = display_summary(expr)
    if summary is None:
        return to_latex(expr)
    return r"\text{" + summary.replace("_", r"\_") + "}"


def display_math(latex: str) -> str:
    r"""`latex` as a notebook shows math at full size: `$\displaystyle ...$`."""
    return rf"$\displaystyle {latex}$"


def latex_matrix(rows: Sequence[Sequence[Expr]]) -> str:
    """Rows of expressions as a `bmatrix`."""
    body = r" \\ ".join(" & ".join(shown_latex(item) for item in row) for row in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def latex_partials(function: str, partials: Sequence[tuple[str, Expr]]) -> str:
    r"""`\frac{\partial f}{\partial x} = ...` one per line, aligned at `=`."""
    lines = [rf"\frac{{\partial {function}}}{{\partial {_latex_symbol(name)}}} &= "
             + shown_latex(value) for name, value in partials]
    return r"\begin{aligned} " + r" \\ ".join(lines) + r" \end{aligned}"


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]],
               marked: Sequence[bool] = ()) -> str:
    """An HTML table of plain-text cells (escaped); a row whose `marked` is True is bold red."""
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    lines = []
    for position, row in enumerate(rows):
        style = ' style="color:#b00;font-weight:bold"' if position < len(marked) and marked[position] else ""
        cells = "".join(f"<td>{html.escape(cell)}</td>" for cell in row)
        lines.append(f"<tr{style}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def dot_program() -> str | None:
    """The Graphviz `dot` program, if installed (it draws the DAG pictures)."""
    return shutil.which("dot")


def layout_cost(expr: Expr) -> int:
    """The nodes `dot` lays out: each node, plus a virtual node on every rank an edge crosses
    (a node's rank is its height above the leaves)."""
    rank: dict[Expr, int] = {}
    total = 0
    for node in topological([expr]):
        height = 1 + max((rank[arg] for arg in node.args), default=-1)
        rank[node] = height
        total += 1 + sum(height - rank[arg] for arg in node.args)
    return total


def dag_svg(expr: Expr) -> str | None:
    """The DAG drawn by Graphviz `dot` as SVG text; None without `dot`, past
    DAG_PICTURE_NODES nodes or DAG_PICTURE_COST (the layout would take long), or when `dot`
    fails."""
    program = dot_program()
    if program is None or expr.size > DAG_PICTURE_NODES or layout_cost(expr) > DAG_PICTURE_COST:
        return None
    try:
        done = subprocess.run([program, "-Tsvg"], input=to_dot(expr), capture_output=True,
                              text=True, timeout=DOT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 and "<svg" in done.stdout else None


class DagPicture:
    """The DAG of an expression, for a notebook: `_repr_svg_` draws it with Graphviz `dot`
    (when installed); `str()` is its Graphviz text."""

    def __init__(self, expr: Expr) -> None:
        self.expr = expr

    def __str__(self) -> str:
        return to_dot(self.expr)

    def __repr__(self) -> str:
        return f"<symgrad DAG of {self.expr.size} nodes>"

    def _repr_svg_(self) -> str | None:
        return dag_svg(self.expr)


def code_html(source: str) -> str:
    """Python source as highlighted HTML (Pygments when installed, else plain; plain past
    HIGHLIGHT_LINES lines, where Pygments would take a second or more)."""
    if source.count("\n") > HIGHLIGHT_LINES:
        return f"<pre>{html.escape(source)}</pre>"
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return f"<pre>{html.escape(source)}</pre>"
    formatter = HtmlFormatter(noclasses=True, nowrap=False)
    return str(highlight(source, PythonLexer(), formatter))
