"""Text, LaTeX and Graphviz renderings of expressions; all iterative over the DAG.

`to_text` prints Python syntax (`**`, explicit `*`) that `sg.parse` reads back to the same
node: canonical order makes the text deterministic, and `a/b/c` rather than `a/(b*c)` keeps
the product structure the parser rebuilds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Union

import numpy as np

from .expr import Expr
from .traverse import topological

# Python precedences: higher binds tighter.
COMPARE, SUM, PRODUCT, UNARY, POWER, ATOM = 5, 10, 20, 30, 40, 50

Rendered = tuple[str, int]


def format_number(value: float) -> str:
    """A float as the shortest text that reads back to the same float."""
    if value == math.pi:
        return "pi"
    if value == math.e:
        return "e"
    if float(value).is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value))


def _format_array(value: np.ndarray) -> str:
    if value.ndim == 0:
        return format_number(float(value))
    return "[" + ", ".join(_format_array(item) for item in value) + "]"


def _wrap(rendered: Rendered, minimum: int) -> str:
    text, precedence = rendered
    return text if precedence >= minimum else f"({text})"


# -- text ---------------------------------------------------------------------------------------
# Each node becomes a Template: literal strings and references to its arguments' templates.
# The text is written out once at the end by an explicit stack, so a deep chain costs time
# and memory linear in the length of its text (no string is copied level by level).
@dataclass(slots=True)
class Ref:
    """An argument's text inside a parent's, in parentheses if it binds looser than `minimum`;
    `strip` drops its leading minus (the parent printed a `-` in its place)."""

    node: Expr
    minimum: int = 0
    strip: bool = False


Piece = Union[str, Ref]


@dataclass(slots=True)
class Template:
    pieces: list[Piece]
    precedence: int
    negative: bool = False  # the text starts with "-"


class _Texts:
    """The templates of the nodes rendered so far."""

    def __init__(self) -> None:
        self.templates: dict[Expr, Template] = {}

    def precedence(self, node: Expr) -> int:
        return self.templates[node].precedence

    def negative(self, node: Expr) -> bool:
        return self.templates[node].negative

    def make(self, pieces: list[Piece], precedence: int) -> Template:
        first = pieces[0] if pieces else ""
        if isinstance(first, str):
            negative = first.startswith("-")
        else:
            negative = (not first.strip and self.negative(first.node)
                        and self.precedence(first.node) >= first.minimum)
        return Template(pieces, precedence, negative)


def _joined(items: list[list[Piece]], separator: str) -> list[Piece]:
    pieces: list[Piece] = []
    for position, item in enumerate(items):
        if position:
            pieces.append(separator)
        pieces.extend(item)
    return pieces


def _constant_text(node: Expr) -> tuple[str, int]:
    value = node.value
    assert value is not None
    if value.ndim:
        return _format_array(value), ATOM
    text = format_number(float(value))
    return text, (UNARY if text.startswith("-") else ATOM)


def _is_reciprocal(factor: Expr) -> bool:
    return factor.op == "pow" and factor.params[0][1] < 0 and float(factor.params[0][1]).is_integer()


def _fraction(magnitude: float) -> tuple[float, int]:
    """`magnitude` as p/q when that reads better and parses back to the same float:
    0.5 is x/2, 2/3 is 2*x/3 (not 0.6666666666666666*x), but 1.5 stays 1.5*x."""
    inverse = 1.0 / magnitude
    if inverse.is_integer() and 1.0 / inverse == magnitude and inverse < 1e15:
        return 1.0, int(inverse)
    if len(format_number(magnitude)) > 6:
        fraction = Fraction(magnitude).limit_denominator(1000)
        p, q = fraction.numerator, fraction.denominator
        # The parser builds p*x/q as p * (1/q): print it only if that is the same float.
        if q > 1 and p * (1.0 / q) == magnitude:
            return float(p), q
    return magnitude, 1


def _pow_pieces(base: Expr, exponent: float) -> list[Piece]:
    return [Ref(base, ATOM), "**" + format_number(exponent)]


def _divisor(factor: Expr) -> list[Piece]:
    exponent = -factor.params[0][1]
    if exponent == 1.0:
        return [Ref(factor.args[0], ATOM)]
    return _pow_pieces(factor.args[0], exponent)


def _mul(node: Expr, texts: _Texts) -> Template:
    factors = list(node.args)
    coefficient = 1.0
    if factors[0].op == "const" and factors[0].shape == ():
        coefficient = float(factors.pop(0).value)  # type: ignore[arg-type]
    parts: list[list[Piece]] = [[Ref(f, PRODUCT + (f.op in ("mul", "matmul")))]
                                for f in factors if not _is_reciprocal(f)]
    divisors = [_divisor(f) for f in factors if _is_reciprocal(f)]
    magnitude = abs(coefficient)
    if magnitude != 1.0:
        numerator, denominator = _fraction(magnitude) if parts else (magnitude, 1)
        if denominator != 1:
            divisors.insert(0, [str(denominator)])
        if numerator != 1:
            parts.insert(0, [format_number(numerator)])
    pieces = _joined(parts, "*") or ["1"]
    if divisors:
        pieces += ["/"] + _joined(divisors, "/")
    if coefficient < 0:
        return texts.make(["-"] + pieces, UNARY)
    return texts.make(pieces, PRODUCT)


def _add(node: Expr, texts: _Texts) -> Template:
    terms = sorted(node.args, key=lambda term: term.op == "const")
    # Lead with a positive term where there is one: `1 - x**2`, not `-x**2 + 1`.
    positive = next((term for term in terms if not texts.negative(term)), None)
    if positive is not None and positive is not terms[0]:
        terms.remove(positive)
        terms.insert(0, positive)
    pieces: list[Piece] = []
    for position, term in enumerate(terms):
        if position and texts.negative(term) and texts.precedence(term) >= UNARY:
            pieces += [" - ", Ref(term, 0, strip=True)]
            continue
        # A nested sum exists only when it was too long to flatten: keep its parentheses.
        nested = position or term.op == "add"
        if position:
            pieces.append(" + ")
        pieces.append(Ref(term, SUM + 1 if nested else SUM))
    return texts.make(pieces, SUM)


def _call(name: str, arguments: list[Piece], texts: _Texts) -> Template:
    return texts.make([name + "("] + _joined([[a] for a in arguments], ", ") + [")"], ATOM)


def _index_item(item: object) -> str:
    return str(item) if isinstance(item, int) else "[" + ", ".join(map(str, item)) + "]"  # type: ignore[call-overload]


_RELATION_TEXT = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


def _render(node: Expr, texts: _Texts) -> Template:
    op, args, params = node.op, node.args, node.kwargs
    if op == "symbol":
        return Template([node.name or ""], ATOM)
    if op == "const":
        text, precedence = _constant_text(node)
        return texts.make([text], precedence)
    if op == "add":
        return _add(node, texts)
    if op == "mul":
        return _mul(node, texts)
    if op == "pow":
        exponent = params["exponent"]
        if exponent < 0 and float(exponent).is_integer():
            return texts.make(["1/"] + _divisor(node), PRODUCT)
        return texts.make(_pow_pieces(args[0], exponent), POWER)
    if op == "power":
        return texts.make([Ref(args[0], ATOM), "**", Ref(args[1], UNARY)], POWER)
    if op == "matmul":
        return texts.make([Ref(args[0], PRODUCT), " @ ", Ref(args[1], PRODUCT + 1)], PRODUCT)
    if op in _RELATION_TEXT:
        return texts.make([Ref(args[0], SUM), f" {_RELATION_TEXT[op]} ", Ref(args[1], SUM)],
                          COMPARE)
    return _render_call(node, texts)


def _render_call(node: Expr, texts: _Texts) -> Template:
    op, args, params = node.op, node.args, node.kwargs
    if op == "transpose":
        inner = args[0]
        bracketed = inner.op == "stack" or (inner.op == "const" and inner.ndim > 0)
        if texts.precedence(inner) >= ATOM and not bracketed:
            return texts.make([Ref(inner), ".T"], ATOM)
    if op == "stack":
        return texts.make(["["] + _joined([[Ref(a)] for a in args], ", ") + ["]"], ATOM)
    arguments: list[Piece] = [Ref(arg) for arg in args]
    if op in ("sum_to", "broadcast_to"):
        arguments += [str(extent) for extent in params["shape"]]
    elif op == "index":
        arguments += [_index_item(item) for item in params["index"]]
    elif op == "scatter":
        arguments += ["[" + ", ".join(map(str, params["shape"])) + "]"]
        arguments += [_index_item(item) for item in params["index"]]
    return _call(op, arguments, texts)


def _write(root: Expr, texts: _Texts) -> str:
    """The text of `root`, written piece by piece from an explicit stack."""
    out: list[str] = []
    stack: list[Piece] = [Ref(root)]
    while stack:
        piece = stack.pop()
        if isinstance(piece, str):
            out.append(piece)
            continue
        template = texts.templates[piece.node]
        pieces = list(template.pieces)
        if piece.strip and pieces:
            first = pieces[0]
            pieces[0] = first[1:] if isinstance(first, str) else Ref(first.node, first.minimum, True)
        if template.precedence < piece.minimum:
            pieces = ["("] + pieces + [")"]
        stack.extend(reversed(pieces))
    return "".join(out)


def to_text(expr: Expr) -> str:
    """Python-syntax text of `expr`; `sg.parse(to_text(e)) is e`."""
    texts = _Texts()
    for node in topological([expr]):
        texts.templates[node] = _render(node, texts)
    return _write(expr, texts)


# -- LaTeX --------------------------------------------------------------------------------------
def _latex_number(value: float) -> str:
    text = format_number(value)
    return {"pi": r"\pi", "e": "e"}.get(text, text.replace("e+", r"\cdot 10^{").replace("e-", r"\cdot 10^{-") + ("}" if "e" in text and text not in ("e",) and any(c.isdigit() for c in text) and "10^{" in text.replace("e+", "10^{").replace("e-", "10^{") else ""))


def _latex_render(node: Expr, done: dict[Expr, Rendered]) -> Rendered:
    op, args = node.op, node.args
    if op == "symbol":
        name = node.name or ""
        return (_GREEK.get(name, name if len(name) == 1 else rf"\mathrm{{{name}}}"), ATOM)
    if op == "const":
        if node.value is not None and node.value.ndim:
            return r"\left[" + ", ".join(_latex_number(v) for v in node.value.ravel()) + r"\right]", ATOM
        text = _latex_number(float(node.value))  # type: ignore[arg-type]
        return text, (UNARY if text.startswith("-") else ATOM)
    if op == "add":
        text = ""
        for position, term in enumerate(sorted(args, key=lambda t: t.op == "const")):
            rendered = done[term]
            if position and rendered[0].startswith("-"):
                text += " - " + rendered[0][1:]
            else:
                text += (" + " if position else "") + rendered[0]
        return text, SUM
    if op == "mul":
        return _latex_mul(node, done)
    if op == "pow":
        exponent = node.params[0][1]
        base = _wrap(done[args[0]], ATOM).replace("(", r"\left(", 1)
        if exponent < 0:
            inner = done[args[0]][0] if exponent == -1 else f"{base}^{{{format_number(-exponent)}}}"
            return rf"\frac{{1}}{{{inner}}}", ATOM
        if exponent == 0.5:
            return rf"\sqrt{{{done[args[0]][0]}}}", ATOM
        return f"{_latex_base(done[args[0]])}^{{{format_number(exponent)}}}", POWER
    if op == "power":
        return f"{_latex_base(done[args[0]])}^{{{done[args[1]][0]}}}", POWER
    template = node.spec.latex or (r"\operatorname{" + op.replace("_", r"\_") + r"}\left(" +
                                   ", ".join("{%d}" % i for i in range(len(args))) + r"\right)")
    if op == "stack":
        return r"\left[" + ", ".join(done[arg][0] for arg in args) + r"\right]", ATOM
    return template.format(*(done[arg][0] for arg in args)), (COMPARE if op in _RELATION_TEXT else ATOM)


def _latex_base(rendered: Rendered) -> str:
    text, precedence = rendered
    return text if precedence >= ATOM else rf"\left({text}\right)"


def _latex_mul(node: Expr, done: dict[Expr, Rendered]) -> Rendered:
    factors = list(node.args)
    coefficient = 1.0
    if factors[0].op == "const" and factors[0].shape == ():
        coefficient = float(factors.pop(0).value)  # type: ignore[arg-type]
    top = [f for f in factors if not _is_reciprocal(f)]
    bottom = [f for f in factors if _is_reciprocal(f)]
    top_text = r" \cdot ".join(_latex_factor(done[f]) for f in top)
    if abs(coefficient) != 1.0:
        top_text = _latex_number(abs(coefficient)) + (" " + top_text if top_text else "")
    sign = "-" if coefficient < 0 else ""
    if bottom:
        bottom_text = r" \cdot ".join(_latex_bottom(f, done) for f in bottom)
        return rf"{sign}\frac{{{top_text or '1'}}}{{{bottom_text}}}", (UNARY if sign else ATOM)
    return sign + (top_text or "1"), (UNARY if sign else PRODUCT)


def _latex_factor(rendered: Rendered) -> str:
    text, precedence = rendered
    return text if precedence >= PRODUCT else rf"\left({text}\right)"


def _latex_bottom(factor: Expr, done: dict[Expr, Rendered]) -> str:
    exponent = -factor.params[0][1]
    base = done[factor.args[0]]
    if exponent == 1.0:
        return _latex_factor(base)
    return f"{_latex_base(base)}^{{{format_number(exponent)}}}"


_GREEK = {name: "\\" + name for name in (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau "
    "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega").split()}


def to_latex(expr: Expr) -> str:
    """LaTeX source of `expr`."""
    done: dict[Expr, Rendered] = {}
    for node in topological([expr]):
        done[node] = _latex_render(node, done)
    return done[expr][0]


# -- Graphviz -------------------------------------------------------------------------------------
def _dot_label(node: Expr) -> str:
    if node.op == "symbol":
        return node.name or ""
    if node.op == "const":
        return _format_array(node.value) if node.value is not None else ""
    label = {"add": "+", "mul": "*", "matmul": "@", "power": "**"}.get(node.op, node.op)
    if node.op == "pow":
        label = f"**{format_number(node.params[0][1])}"
    return label


def to_dot(expr: Expr, label: Callable[[Expr], str] = _dot_label) -> str:
    """Graphviz text of the DAG: one box per distinct node, edges from arguments."""
    order = topological([expr])
    number = {node: position for position, node in enumerate(order)}
    lines = ["digraph symgrad {", "  rankdir=BT;", "  node [shape=box, fontname=Helvetica];"]
    for node in order:
        text = label(node).replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'  n{number[node]} [label="{text}"];')
        for position, arg in enumerate(node.args):
            lines.append(f'  n{number[arg]} -> n{number[node]} [label="{position}"];'
                         if len(node.args) > 1 and node.op in ("power", "matmul", "atan2", "where", "clamp") else
                         f"  n{number[arg]} -> n{number[node]};")
    lines.append("}")
    return "\n".join(lines) + "\n"
