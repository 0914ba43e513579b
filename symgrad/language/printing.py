"""Text, LaTeX and Graphviz renderings of expressions; all iterative over the DAG.

`to_text` prints Python syntax (`**`, explicit `*`) that `sg.parse` reads back to the same
node: canonical order makes the text deterministic, and `a/b/c` rather than `a/(b*c)` keeps
the product structure the parser rebuilds.

Text and LaTeX are made the same way. Each node becomes a Template: literal strings and
references to its arguments' templates. The output is written once at the end from an
explicit stack, so a deep chain costs time and memory linear in the length of the output (no
string is copied level by level), and writing can stop early at a length limit.
"""

from __future__ import annotations

import itertools
import math
import re
import string
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Callable, Union

import numpy as np

from ..core.expr import Expr, constant_name, exact_value
from ..core.traverse import topological
from ..ops.arithmetic import FLATTEN_LIMIT, build_mul, is_group
from .ordering import ORDERING

# -- the one precedence table every printer (text and LaTeX) reads ----------------------------------
# Python's precedences, higher binding tighter. Each rendered node has the precedence of its
# outermost operator; an argument is put in parentheses when its precedence is below the
# minimum of the slot it fills (SLOT below).
COMPARE, SUM, PRODUCT, UNARY, POWER, CALL, ATOM = 5, 10, 20, 30, 40, 45, 50
# CALL: a function applied to parenthesized arguments. In text it is an atom (`sin(x)**2`); in
# LaTeX `\sin\left(x\right)^{2}` could be read as sin(x^2), so as a base it gets parentheses.

SLOT = {
    "comparand": SUM,          # a < b
    "term": SUM,               # the first term of a sum
    "later term": SUM + 1,     # a + (b + c) only for a sum too long to flatten
    "subtrahend": PRODUCT,     # a - x*y: a product or tighter may follow a minus
    "factor": PRODUCT,
    "divisor": POWER,          # x/y**2, x/(2*y)
    "negated": POWER,          # -x, -x**2, -sin(x); but -x*y is (-x)*y, a product
    "base": ATOM,              # (x + 1)**2, (-2)**x, (x**a)**b
    "exponent": UNARY,         # 2**-x, but 2**(-x*y): Python reads 2**-x*y as (2**-x)*y
}


def negated_precedence(lone: int | None) -> int:
    """The precedence of `-` before a product: UNARY when it negates one factor of precedence
    `lone` that binds at least as tight as "negated" (`-x**2`), else PRODUCT (`-x*y`)."""
    return UNARY if lone is not None and lone >= SLOT["negated"] else PRODUCT


# nan has no literal: this product of literals reads back as the nan constant (`nan` would be
# a symbol), in symgrad, Python and SymPy alike.
NAN_TEXT = "0*1e999"


def number_precedence(text: str) -> int:
    """The precedence of a number's text: `3` an atom, `-3` a negation, `0*1e999` and the
    exact `1/3` a product."""
    return PRODUCT if text == NAN_TEXT or "/" in text else UNARY if text.startswith("-") else ATOM


Number = Union[float, Fraction, int]


def format_number(value: Number) -> str:
    """A number as text that reads back as the same number: an exact one as `2`, `1/3`,
    `-3/4`; a decimal as the shortest text of its float, always with a point or an exponent
    (`0.5`, `2.0`, `1e-05`), so it reads back as a decimal and never as an exact number."""
    if type(value) is Fraction or type(value) is int:
        return str(value)
    if math.isinf(value):
        return "1e999" if value > 0 else "-1e999"  # reads back as the same infinity
    if math.isnan(value):
        return NAN_TEXT
    return repr(float(value))


def format_item(value: float) -> str:
    """An array element: arrays are float64, and `[1, 2]` reads back as the same array."""
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e16:
        return str(int(value))
    return format_number(float(value))


def constant_number(node: Expr) -> Number:
    """A scalar constant's number: its Fraction when exact, else its float."""
    exact = exact_value(node)
    return exact if exact is not None else float(node.value)  # type: ignore[arg-type]


def _format_array(value: np.ndarray, number: Callable[[float], str] = format_item,
                  brackets: tuple[str, str] = ("[", "]")) -> str:
    if value.ndim == 0:
        return number(float(value))
    items = ", ".join(_format_array(item, number, brackets) for item in value)
    return brackets[0] + items + brackets[1]


# -- templates ----------------------------------------------------------------------------------
# Printing names shared parts (`t0 = ...`) once writing them out in full would pass
# NAMING_LENGTH characters: then each part used twice or more whose text is longer than
# SHARED_LENGTH is written once, and the output is linear in the DAG's size.
NAMING_LENGTH = 2000
SHARED_LENGTH = 16
START_LENGTH = 160  # the text that stands in for a subexpression in the sort keys

@dataclass(slots=True)
class Ref:
    """An argument's output inside a parent's, in parentheses if it binds looser than `minimum`;
    `strip` drops its leading minus (the parent printed a `-` in its place)."""

    node: Expr
    minimum: int = 0
    strip: bool = False


Piece = Union[str, Ref]


@dataclass(slots=True)
class Template:
    pieces: list[Piece]
    precedence: int
    negative: bool = False  # the output starts with "-"
    digit: bool = False     # the output starts with a digit (a number needs `\cdot` before it)


class _Templates:
    """The templates of the nodes rendered so far, by one `render` function (text or LaTeX)."""

    def __init__(self, render: Callable[[Expr, _Templates], Template],
                 brackets: tuple[str, str]) -> None:
        self.render = render
        self.brackets = brackets
        self.templates: dict[Expr, Template] = {}
        self.starts: dict[Expr, str] = {}  # each node's first START_LENGTH characters
        self.ordering = ORDERING  # SymPy's order of terms and factors

    def precedence(self, node: Expr) -> int:
        return self.templates[node].precedence

    def negative(self, node: Expr) -> bool:
        return self.templates[node].negative

    def make(self, pieces: list[Piece], precedence: int) -> Template:
        first = pieces[0] if pieces else ""
        if isinstance(first, str):
            negative, digit = first.startswith("-"), first[:1].isdigit()
        else:
            bare = self.precedence(first.node) >= first.minimum
            negative = not first.strip and self.negative(first.node) and bare
            digit = (self.starts_with_digit(first.node) or first.strip) and bare
        return Template(pieces, precedence, negative, digit)

    def _start(self, node: Expr) -> str:
        """The first START_LENGTH characters of the node's output, from its arguments' (so
        each node costs a bounded time, however deep the DAG)."""
        out: list[str] = []
        length = 0
        for piece in self._expanded(Ref(node)):
            if length > START_LENGTH:
                break
            text = piece if isinstance(piece, str) else self._start_of(piece)
            out.append(text)
            length += len(text)
        return "".join(out)[:START_LENGTH]

    def _start_of(self, ref: Ref) -> str:
        text = self.starts[ref.node]
        if ref.strip and text.startswith("-"):
            text = text[1:]
        if self.templates[ref.node].precedence < ref.minimum:
            text = self.brackets[0] + text
        return text

    def starts_with_digit(self, node: Expr) -> bool:
        return self.templates[node].digit

    def add(self, root: Expr) -> None:
        """Render every node under `root` not rendered yet, arguments first."""
        templates = self.templates
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if node in templates:
                continue
            if expanded:
                templates[node] = self.render(node, self)
                self.starts[node] = self._start(node)
                continue
            stack.append((node, True))
            stack.extend((arg, False) for arg in _printed_args(node) if arg not in templates)

    def write(self, root: Expr, limit: int | None = None,
              names: dict[Expr, str] | None = None) -> str:
        """The output of `root` (rendered), piece by piece from an explicit stack; past
        `limit` characters, its first `limit - 3` and "...". A node in `names` below the
        root is written as its name."""
        out: list[str] = []
        length = 0
        budget = math.inf if limit is None else limit
        named = names or {}
        stack: list[Piece] = list(reversed(self._expanded(Ref(root))))
        while stack and length <= budget:
            piece = stack.pop()
            if isinstance(piece, Ref) and piece.node in named:
                piece = named[piece.node]
            if isinstance(piece, str):
                out.append(piece)
                length += len(piece)
            else:
                stack.extend(reversed(self._expanded(piece)))
        text = "".join(out)
        if limit is None or (not stack and length <= limit):
            return text
        return text[: max(limit - 3, 0)] + "..."

    def shared(self, root: Expr, name: Callable[[int], str], taken: set[str]) -> dict[Expr, str]:
        """Names for the shared parts of `root` (arguments first) when writing them out in
        full would make the output longer than NAMING_LENGTH; otherwise none.

        A part referred to more than once whose own text (with its named parts as names) is
        longer than SHARED_LENGTH gets a name, so the output stays linear in the DAG's size.
        """
        order = _printed_order(root)
        uses: dict[Expr, int] = {root: 1}
        for node in order:
            for piece in self.templates[node].pieces:
                if isinstance(piece, Ref):
                    uses[piece.node] = uses.get(piece.node, 0) + 1
        full: dict[Expr, int] = {}   # the length written out in full (may be huge)
        short: dict[Expr, int] = {}  # the length with the named parts as names
        names: dict[Expr, str] = {}
        for node in order:
            template = self.templates[node]
            full[node] = short[node] = 2
            for piece in template.pieces:
                if isinstance(piece, str):
                    full[node] += len(piece)
                    short[node] += len(piece)
                else:
                    full[node] += full[piece.node]
                    short[node] += len(names.get(piece.node, "")) or short[piece.node]
            if uses.get(node, 0) >= 2 and short[node] > SHARED_LENGTH and not template.negative \
                    and node.args:
                names[node] = ""  # named for now; numbered below if naming is needed
        if full[root] <= NAMING_LENGTH or not names:
            return {}
        numbers = (candidate for candidate in map(name, itertools.count()) if candidate not in taken)
        return {node: next(numbers) for node in names if node is not root}
    def _expanded(self, ref: Ref) -> list[Piece]:
        template = self.templates[ref.node]
        pieces = list(template.pieces)
        if ref.strip and pieces:
            first = pieces[0]
            pieces[0] = first[1:] if isinstance(first, str) else Ref(first.node, first.minimum, True)
        if template.precedence < ref.minimum:
            pieces = [self.brackets[0], *pieces, self.brackets[1]]
        return pieces


def _joined(items: list[list[Piece]], separator: str) -> list[Piece]:
    pieces: list[Piece] = []
    for position, item in enumerate(items):
        if position:
            pieces.append(separator)
        pieces.extend(item)
    return pieces


# -- what text and LaTeX share --------------------------------------------------------------------
def _is_reciprocal(factor: Expr) -> bool:
    """A factor printed as a divisor: an exact negative whole power (`x**-1.0`, a decimal
    power, stays as it is). Not `c**-n` of a number c: `1/0**2` would read back as 1/0,
    since the parser folds `0**2` first; `1/pi` is fine."""
    if factor.op != "pow":
        return False
    exponent = factor.params[0][1]
    return (type(exponent) is Fraction and exponent < 0
            and (factor.args[0].op != "const" or constant_name(factor.args[0]) is not None))


def _in_denominator(factor: Expr) -> bool:
    """A factor LaTeX writes under the fraction bar: a reciprocal, or any exact negative power
    (`\frac{1}{3 x^{\frac{2}{3}}}`; LaTeX need not read back to the same node)."""
    if _is_reciprocal(factor):
        return True
    if factor.op != "pow":
        return False
    exponent = factor.params[0][1]
    return type(exponent) is Fraction and exponent < 0 and factor.args[0].op != "const"


def _written_factors(node: Expr) -> list[Expr]:
    """A product's factors as they are written: the shared groups of a many-factor product's
    derivative (`ops.arithmetic.grouped`) are written out as the plain product they stand
    for, `2*x0*(x1**2 + 1)*(x2**2 + 1)*...`, not as nested parentheses."""
    root_group = is_group(node)
    factors: list[Expr] = []
    stack = [(arg, root_group) for arg in reversed(node.args)]
    while stack:
        factor, inside_group = stack.pop()
        spliced = factor.op == "mul" and (is_group(factor) or inside_group and len(
            factor.args) < FLATTEN_LIMIT and not _leads_with_number(factor))
        if spliced:
            stack.extend((arg, True) for arg in reversed(factor.args))
        else:
            factors.append(factor)
    return factors


def _printed_args(node: Expr) -> tuple[Expr, ...]:
    """The nodes a node's text is made of: its arguments, or for a product holding groups the
    factors of the flat product they stand for (`y2**2`, not `y2*y2`)."""
    if node.op != "mul" or not _has_groups(node):
        return node.args
    flat = build_mul(*_written_factors(node))
    return flat.args if flat.op == "mul" else (flat,)


def _printed_order(root: Expr) -> list[Expr]:
    """The nodes `root`'s text is made of (through `_printed_args`), each after its parts."""
    order: list[Expr] = []
    seen: set[Expr] = set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((arg, False) for arg in _printed_args(node) if arg not in seen)
    return order


def _has_groups(node: Expr) -> bool:
    return is_group(node) or any(is_group(arg) for arg in node.args)


def _leads_with_number(node: Expr) -> bool:
    first = node.args[0]
    return first.op == "const" and first.shape == () and constant_name(first) is None


def _coefficient(node: Expr, texts: _Templates | None = None) -> tuple[Number, list[Expr]]:
    """A product's scalar number factor (exact 1 if none) and its other factors (in SymPy's
    order when `texts` is given)."""
    factors = list(_printed_args(node))
    coefficient: Number = Fraction(1)
    first = factors[0]
    if first.op == "const" and first.shape == () and constant_name(first) is None:
        coefficient = constant_number(factors.pop(0))
    if texts is not None and len(factors) > 1 and all(f.shape == () for f in factors):
        factors = texts.ordering.ordered_factors(factors)
    return coefficient, factors


def _magnitude(number: Number) -> Number:
    return -number if number < 0 else number


def _fraction(magnitude: Number) -> tuple[Number, int]:
    """An exact `magnitude` as numerator and denominator (x/2, 2*x/3); a decimal as itself
    (0.5*x, which reads back as the decimal)."""
    if type(magnitude) is Fraction:
        return Fraction(magnitude.numerator), magnitude.denominator
    return magnitude, 1


def _add(node: Expr, texts: _Templates) -> Template:
    terms = texts.ordering.ordered_terms(node)
    pieces: list[Piece] = []
    for position, term in enumerate(terms):
        if position and texts.negative(term) and texts.precedence(term) >= SLOT["subtrahend"]:
            pieces += [" - ", Ref(term, 0, strip=True)]
            continue
        # A nested sum exists only when it was too long to flatten: keep its parentheses.
        nested = position or term.op == "add"
        if position:
            pieces.append(" + ")
        pieces.append(Ref(term, SLOT["later term"] if nested else SLOT["term"]))
    return texts.make(pieces, SUM)


_RELATION_TEXT = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


# -- text ---------------------------------------------------------------------------------------
_CONSTANT_TEXT = {"pi": "pi", "E": "E"}  # E as SymPy prints it (and reads it back)


def _constant_text(node: Expr, texts: _Templates) -> Template:
    value = node.value
    assert value is not None
    name = constant_name(node)
    if name is not None:
        return texts.make([_CONSTANT_TEXT[name]], ATOM)
    if value.ndim:
        return texts.make([_format_array(value)], ATOM)
    text = format_number(constant_number(node))
    return texts.make([text], number_precedence(text))


def _pow_pieces(base: Expr, exponent: Number) -> list[Piece]:
    text = format_number(exponent)
    if number_precedence(text) < SLOT["exponent"]:
        text = "(" + text + ")"
    return [Ref(base, SLOT["base"]), "**" + text]


def _divisor(factor: Expr) -> list[Piece]:
    exponent = -factor.params[0][1]
    if exponent == 1:
        return [Ref(factor.args[0], SLOT["divisor"])]
    return _pow_pieces(factor.args[0], exponent)


def _as_factor(divisor: list[Piece]) -> list[Piece]:
    """A divisor written as one factor of a product in parentheses: x/(y*(z + 1))."""
    if len(divisor) == 1 and isinstance(divisor[0], Ref):
        return [Ref(divisor[0].node, SLOT["factor"] + (divisor[0].node.op in ("mul", "matmul")))]
    return divisor


def _mul(node: Expr, texts: _Templates) -> Template:
    coefficient, factors = _coefficient(node, texts)
    parts: list[list[Piece]] = [[Ref(f, SLOT["factor"] + (f.op in ("mul", "matmul")))]
                                for f in factors if not _is_reciprocal(f)]
    divisors = [_divisor(f) for f in factors if _is_reciprocal(f)]
    magnitude = _magnitude(coefficient)
    if magnitude != 1 or type(magnitude) is float:  # a decimal 1.0 is written: -1.0*x
        numerator, denominator = _fraction(magnitude)
        if denominator != 1:
            divisors.insert(0, [str(denominator)])
        if numerator != 1 or type(numerator) is float:
            parts.insert(0, [format_number(numerator)])
    pieces = _joined(parts, "*") or ["1"]
    if len(divisors) == 1:
        pieces += ["/", *divisors[0]]
    elif divisors:  # x/(2*sqrt(y)): the parser takes (a*b)**-1 apart into the same product
        pieces += ["/("] + _joined([_as_factor(d) for d in divisors], "*") + [")"]
    if coefficient < 0:
        lone = parts[0][0] if len(parts) == 1 and not divisors else None
        return texts.make(["-", *pieces], negated_precedence(_precedence_of(lone, texts)))
    return texts.make(pieces, PRODUCT)


def _precedence_of(piece: Piece | None, texts: _Templates) -> int | None:
    if piece is None:
        return None
    if isinstance(piece, str):
        return number_precedence(piece)
    return texts.precedence(piece.node)


def _call(name: str, arguments: list[Piece], texts: _Templates) -> Template:
    return texts.make([name + "("] + _joined([[a] for a in arguments], ", ") + [")"], ATOM)


def _index_item(item: object) -> str:
    return str(item) if isinstance(item, int) else "[" + ", ".join(map(str, item)) + "]"  # type: ignore[call-overload]


def _subscript_text(index: tuple[int | tuple[int, int, int], ...], shape: tuple[int, ...]) -> str:
    """`0`, `1:`, `::2`, `:, 0`: the subscript that builds `index` again on an array of `shape`."""
    return ", ".join(str(item) if isinstance(item, int) else _slice_text(*item, extent)
                     for item, extent in zip(index, shape))


def _slice_text(start: int, stop: int, step: int, extent: int) -> str:
    """A (start, stop, step) range as the numpy slice that normalizes to it on an axis of
    `extent`; -1 ends a backward range before 0, and numpy reads that as the last entry, so a
    bound there is left out (stop) or written below -extent (start)."""
    if step > 0:
        bounds = ["" if start == 0 else str(start), "" if stop == extent else str(stop)]
    else:
        first = "" if start == extent - 1 else str(start if start >= 0 else -extent - 1)
        bounds = [first, "" if stop < 0 else str(stop)]
    return ":".join(bounds + ([str(step)] if step != 1 else []))


def _render(node: Expr, texts: _Templates) -> Template:
    op, args, params = node.op, node.args, node.kwargs
    if op == "symbol":
        return Template([node.name or ""], ATOM)
    if op == "const":
        return _constant_text(node, texts)
    if op == "add":
        return _add(node, texts)
    if op == "mul":
        return _mul(node, texts)
    if op == "pow":
        exponent = params["exponent"]
        if _is_reciprocal(node):
            return texts.make(["1/", *_divisor(node)], PRODUCT)
        return texts.make(_pow_pieces(args[0], exponent), POWER)
    if op == "power":
        return texts.make([Ref(args[0], SLOT["base"]), "**", Ref(args[1], SLOT["exponent"])],
                          POWER)
    if op == "matmul":
        return texts.make([Ref(args[0], SLOT["factor"]), " @ ", Ref(args[1], SLOT["factor"] + 1)], PRODUCT)
    if op in _RELATION_TEXT:
        return texts.make([Ref(args[0], SLOT["comparand"]), f" {_RELATION_TEXT[op]} ",
                           Ref(args[1], SLOT["comparand"])], COMPARE)
    return _render_call(node, texts)


def _render_call(node: Expr, texts: _Templates) -> Template:
    op, args, params = node.op, node.args, node.kwargs
    if op == "transpose":
        inner = args[0]
        bracketed = inner.op == "stack" or (inner.op == "const" and inner.ndim > 0)
        if texts.precedence(inner) >= ATOM and not bracketed:
            return texts.make([Ref(inner), ".T"], ATOM)
    if op == "stack":
        return texts.make(["["] + _joined([[Ref(a)] for a in args], ", ") + ["]"], ATOM)
    if op == "index":  # x[0], A[:, 0], (x + y)[1:]
        subscript = _subscript_text(params["index"], args[0].shape)
        return texts.make([Ref(args[0], SLOT["base"]), f"[{subscript}]"], ATOM)
    arguments: list[Piece] = [Ref(arg) for arg in args]
    if op in ("sum_to", "broadcast_to"):
        arguments += [str(extent) for extent in params["shape"]]
    elif op == "scatter":
        arguments += ["[" + ", ".join(map(str, params["shape"])) + "]"]
        arguments += [_index_item(item) for item in params["index"]]
    return _call(op, arguments, texts)


class TextPrinter:
    """Text of many expressions that share subexpressions, each node rendered only once.

    `printer(expr, limit)` is `to_text(expr, limit)`; printing the steps of a derivation
    this way costs time linear in the whole DAG, not in the sum of the expressions' sizes.
    """

    def __init__(self) -> None:
        self._templates = _Templates(_render, ("(", ")"))

    def __call__(self, expr: Expr, limit: int | None = None) -> str:
        templates = self._templates
        templates.add(expr)
        names = {} if limit is not None else templates.shared(
            expr, lambda number: f"t{number}", set(expr.symbols))
        if not names:
            return templates.write(expr, limit)
        statements = [f"{name} = {templates.write(node, None, names)}" for node, name in names.items()]
        return "; ".join(statements + [templates.write(expr, None, names)])


def to_text(expr: Expr, limit: int | None = None) -> str:
    """Python-syntax text of `expr`; `sg.parse(to_text(e)) is e`.

    With `limit`, a text longer than `limit` characters is cut to its first `limit - 3`
    followed by "..."; the writing stops there, so this is fast however long the full text.
    Without one, a text that would repeat shared parts at length is written as statements
    that name them once, `t0 = ...; t1 = ...; <expr>`, which `sg.parse` reads back.
    """
    return TextPrinter()(expr, limit)


# -- LaTeX --------------------------------------------------------------------------------------
_LATEX_NAMES = {"pi": r"\pi", "e": "e", "1e999": r"\infty", NAN_TEXT: r"\mathrm{NaN}"}

_GREEK = {name: "\\" + name for name in (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau "
    "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega").split()}


def latex_number(value: Number) -> str:
    r"""A number in LaTeX: `3`, `\frac{1}{3}`, `0.25`, `1 \cdot 10^{-5}`, `\infty`."""
    if value < 0:
        return "-" + latex_number(-value)
    if type(value) is int:
        return str(value)
    if type(value) is Fraction:
        return str(value) if value.denominator == 1 else \
            rf"\frac{{{value.numerator}}}{{{value.denominator}}}"
    text = format_number(value)  # nan included: it is never < 0
    if text in _LATEX_NAMES:
        return _LATEX_NAMES[text]
    mantissa, _, exponent = text.partition("e")
    return rf"{mantissa} \cdot 10^{{{int(exponent)}}}" if exponent else text


_CONSTANT_LATEX = {"pi": r"\pi", "E": "e"}


def _latex_constant(node: Expr, texts: _Templates) -> Template:
    value = node.value
    assert value is not None
    name = constant_name(node)
    if name is not None:
        return texts.make([_CONSTANT_LATEX[name]], ATOM)
    if value.ndim:
        return texts.make([_latex_array(value)], ATOM)
    text = latex_number(constant_number(node))
    # 1 \cdot 10^{-5} and \frac{1}{3} are products: a base in parentheses, (1/3)^x.
    precedence = UNARY if text.startswith("-") else PRODUCT if "\\" in text else ATOM
    return texts.make([text], precedence)


def _latex_array(value: np.ndarray) -> str:
    """A vector as a column, a matrix by rows (`bmatrix`); higher ranks as lists of matrices."""
    if value.ndim == 1:
        return r"\begin{bmatrix} " + r" \\ ".join(map(_latex_item, value.tolist())) + \
            r" \end{bmatrix}"
    if value.ndim == 2:
        rows = (" & ".join(map(_latex_item, row)) for row in value.tolist())
        return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"
    return r"\left[" + ", ".join(_latex_array(item) for item in value) + r"\right]"


def _latex_symbol(name: str) -> str:
    r"""`x`, `\alpha`, `x_{1}` for x1 and x_1, `\theta_{0}`, `\mathrm{rate}`."""
    base, underscore, subscript = name.partition("_")
    if not underscore:
        stripped = base.rstrip(string.digits)
        if stripped and stripped != base:
            base, subscript = stripped, base[len(stripped):]
    if base in _GREEK or len(base) == 1:
        text = _GREEK.get(base, base)
    else:
        text = rf"\mathrm{{{base}}}"
    if not subscript:
        return text
    return f"{text}_{{{_latex_symbol(subscript) if not subscript.isdigit() else subscript}}}"


def _latex_item(value: float) -> str:
    return latex_number(Fraction(int(value))) if format_item(value).lstrip("-").isdigit() \
        else latex_number(value)


# Functions a textbook raises to a power on the name: sin^2(x) is (sin x)^2.
_POWERED_NAME = re.compile(r"\\(?:sin|cos|tan|sec|csc|cot|sinh|cosh|tanh|coth|log|ln)\\left\($")


def _latex_power(base: Expr, exponent: Number, minimum: int, texts: _Templates) -> list[Piece]:
    """`base` to a positive `exponent`; at exponent 1 the base alone, wrapped below `minimum`."""
    if exponent == 1:
        return [Ref(base, minimum)]
    if exponent == Fraction(1, 2):  # the decimal 0.5 too: LaTeX shows the mathematics
        return [r"\sqrt{", Ref(base), "}"]
    power = "^{" + latex_number(exponent) + "}"
    pieces = texts.templates[base].pieces
    if float(exponent).is_integer() and pieces and isinstance(pieces[0], str) \
            and _POWERED_NAME.match(pieces[0]):
        name = pieces[0][: -len(r"\left(")]
        return [name + power + r"\left(", *pieces[1:]]
    return [Ref(base, SLOT["base"]), power]


def _leads_with_digit(piece: Piece, texts: _Templates) -> bool:
    if isinstance(piece, str):
        return piece[:1].isdigit()
    return texts.starts_with_digit(piece.node) and texts.precedence(piece.node) >= piece.minimum


def _is_named(factor: list[Piece]) -> bool:
    r"""A factor that is `pi` or `e`: written before the next one as a number is (`2 \pi x`)."""
    return len(factor) == 1 and isinstance(factor[0], Ref) and constant_name(factor[0].node) is not None


def _latex_product(number: Number, factors: list[list[Piece]], texts: _Templates) -> list[Piece]:
    r"""`3 x \cdot y`: the number (unless 1) then the factors (`\pi x` as a number's);
    `2 \cdot 2^{x}` where the first factor starts with a digit, which a space would join into
    one number."""
    pieces: list[Piece] = []
    for position, factor in enumerate(factors):
        if position:
            pieces.append(" " if _is_named(factors[position - 1]) else r" \cdot ")
        pieces.extend(factor)
    if number != 1:
        lead = latex_number(number)
        separator = r" \cdot " if pieces and _leads_with_digit(pieces[0], texts) else " "
        pieces = [lead, *([separator, *pieces] if pieces else [])]
    return pieces or ["1"]


def _latex_mul(node: Expr, texts: _Templates) -> Template:
    coefficient, factors = _coefficient(node, texts)
    top = [f for f in factors if not _in_denominator(f)]
    bottom = [f for f in factors if _in_denominator(f)]
    numerator, denominator = _latex_fraction(_magnitude(coefficient))
    top_parts: list[list[Piece]] = [[Ref(f, SLOT["factor"])] for f in top]
    if not bottom and denominator == 1:
        pieces = _latex_product(numerator, top_parts, texts)
    elif not bottom and any(f.op in _RELATION_TEXT or f.op == "heaviside" for f in top):
        # \frac{1}{2} \begin{cases}...\end{cases}, not a case analysis inside a numerator
        pieces = [r"\frac{" + latex_number(numerator) + "}{" + str(denominator) + "} ",
                  *_latex_product(1, top_parts, texts)]
    else:
        divisors = [_latex_power(f.args[0], -f.params[0][1], SLOT["factor"], texts) for f in bottom]
        pieces = [r"\frac{", *_latex_side(numerator, top_parts, texts), "}{",
                  *_latex_side(denominator, divisors, texts), "}"]
    if coefficient < 0:
        lone = top[0] if len(top) == 1 and not bottom and denominator == 1 \
            and numerator == 1 else None
        precedence = negated_precedence(None if lone is None else texts.precedence(lone))
        return texts.make(["-", *pieces], precedence)
    return texts.make(pieces, PRODUCT)


def _latex_fraction(magnitude: Number) -> tuple[Number, int]:
    """An exact p/q as numerator and denominator (`\frac{x}{3}`); a decimal as itself."""
    return _fraction(magnitude)


def _latex_side(number: Number, factors: list[list[Piece]], texts: _Templates) -> list[Piece]:
    r"""The numerator or denominator of a \frac: a lone factor needs no parentheses there (but
    the base of a lone power, `\left(x + 1\right)^{2}`, still does)."""
    if number == 1 and len(factors) == 1 and len(factors[0]) == 1 \
            and isinstance(factors[0][0], Ref):
        factors = [[Ref(factors[0][0].node)]]
    return _latex_product(number, factors, texts)


def _latex_pow(node: Expr, texts: _Templates) -> Template:
    base, exponent = node.args[0], node.params[0][1]
    if exponent < 0:
        return texts.make([r"\frac{1}{", *_latex_power(base, -exponent, 0, texts), "}"], PRODUCT)
    return texts.make(_latex_power(base, exponent, ATOM, texts),
                      ATOM if exponent == 0.5 else POWER)


_RELATION_LATEX = {"lt": "<", "le": r"\le", "gt": ">", "ge": r"\ge", "eq": "=", "ne": r"\neq"}


def _latex_condition(node: Expr) -> list[Piece]:
    if node.op in _RELATION_LATEX:
        return [Ref(node.args[0], SUM), f" {_RELATION_LATEX[node.op]} ", Ref(node.args[1], SUM)]
    return [Ref(node, SUM), r" \neq 0"]


def _latex_cases(node: Expr, texts: _Templates) -> Template:
    r"""A comparison used as a number (1 where it holds, else 0) and `where` as a case
    analysis, `\begin{cases} a & x > 0 \\ b & \text{otherwise} \end{cases}`; a `where` in the
    otherwise branch adds rows."""
    rows: list[list[Piece]] = []
    otherwise: list[Piece]
    if node.op in _RELATION_LATEX:
        rows.append(["1 & ", *_latex_condition(node)])
        otherwise = ["0"]
    else:
        while node.op == "where" and len(rows) < 8:
            condition, chosen, other = node.args
            rows.append([Ref(chosen), " & ", *_latex_condition(condition)])
            node = other
        otherwise = [Ref(node)]
    rows.append([*otherwise, r" & \text{otherwise}"])
    return texts.make([r"\begin{cases} ", *_joined(rows, r" \\ "), r" \end{cases}"], CALL)


def _latex_heaviside(node: Expr, texts: _Templates) -> Template:
    r"""`heaviside(x - y, 1/2)` as the case analysis it is, `\begin{cases} 1 & x > y \\
    \frac{1}{2} & x = y \\ 0 & \text{otherwise} \end{cases}`; the value at 0 joins a row
    when it is 0 or 1 (relu' is `1 & x > 0`, clamp's `1 & x \ge 0`)."""
    left, right, flipped = _latex_compared(node.args[0])
    at_zero = node.args[1]
    number = constant_number(at_zero) if at_zero.op == "const" and at_zero.shape == () else None
    strict, loose = ("<", r"\le") if flipped else (">", r"\ge")
    relation = loose if number == 1 else strict
    rows: list[list[Piece]] = [["1 & ", *left, f" {relation} ", *right]]
    if number not in (0, 1):
        rows.append([Ref(at_zero), " & ", *left, " = ", *right])
    rows.append([r"0 & \text{otherwise}"])
    return texts.make([r"\begin{cases} ", *_joined(rows, r" \\ "), r" \end{cases}"], CALL)


def _latex_compared(u: Expr) -> tuple[list[Piece], list[Piece], bool]:
    """`u > 0` read as a comparison of its two sides: x - y as x and y, 1 - x as x and 1
    (flipped: the side that varies is written first); anything else as u and 0."""
    if u.op == "add" and len(u.args) == 2:
        for positive, negated in (u.args, u.args[::-1]):
            if negated.op == "const" and negated.shape == () and constant_number(negated) < 0 \
                    and positive.op != "const":
                return [Ref(positive, SUM)], [latex_number(-constant_number(negated))], False
            if negated.op == "mul" and len(negated.args) == 2 and negated.args[0].op == "const" \
                    and negated.args[0].shape == () and constant_number(negated.args[0]) == -1:
                sides: list[list[Piece]] = [[Ref(positive, SUM)], [Ref(negated.args[1], SUM)]]
                flipped = positive.op == "const"
                first, second = sides[::-1] if flipped else sides
                return first, second, flipped
    if u.op == "mul" and len(u.args) == 2 and u.args[0].op == "const" and u.args[0].shape == () \
            and constant_number(u.args[0]) == -1:
        return [Ref(u.args[1], SUM)], ["0"], True  # -x > 0 is x < 0
    return [Ref(u, SUM)], ["0"], False


def _latex_index_items(index: tuple[int | tuple[int, int, int], ...]) -> str:
    items = []
    for item in index:
        if isinstance(item, int):
            items.append(str(item))
        else:
            start, stop, step = item
            bounds = [str(start), "" if stop < 0 else str(stop)] + ([str(step)] if step != 1 else [])
            items.append("{:}".join(bounds))
    return ",".join(items)


def _latex_scatter(node: Expr, texts: _Templates) -> Template:
    r"""The adjoint of indexing: a scalar placed at one entry is that multiple of the unit
    array `\mathbf{e}_{1,0}`; a block placed at a range is written with its place and shape."""
    index, shape = node.kwargs["index"], node.kwargs["shape"]
    place = _latex_index_items(index)
    if all(isinstance(item, int) for item in index) and node.args[0].shape == ():
        return texts.make([Ref(node.args[0], SLOT["factor"]), r" \, \mathbf{e}_{" + place + "}"],
                          PRODUCT)
    size = r" \times ".join(map(str, shape))
    return texts.make([r"\operatorname{scatter}_{" + place + r" \to " + size + r"}\left(",
                       Ref(node.args[0]), r"\right)"], CALL)


def _latex_index(node: Expr, texts: _Templates) -> Template:
    """`x_{0}`, `A_{1,0}`, `x_{1{:}3}` (a range as NumPy writes it)."""
    items = [_latex_index_items(node.kwargs["index"])]
    inner = node.args[0]
    subscripted = inner.op == "index" or (inner.op == "symbol" and "_" in _latex_symbol(inner.name or ""))
    base: list[Piece] = [r"\left(", Ref(inner), r"\right)"] if subscripted else [Ref(inner, ATOM)]
    return texts.make([*base, "_{" + ",".join(items) + "}"], ATOM)


def _latex_stack(node: Expr, texts: _Templates) -> Template:
    """A vector of expressions as a column, a stack of such vectors as a matrix by rows."""
    args = node.args
    if all(arg.ndim == 0 for arg in args):
        rows: list[list[Piece]] = [[Ref(arg)] for arg in args]
    elif all(arg.ndim == 1 and (arg.op == "stack" and all(a.ndim == 0 for a in arg.args)
                                or arg.op == "const") for arg in args):
        rows = []
        for arg in args:
            cells: list[list[Piece]] = [[Ref(a)] for a in arg.args] if arg.op == "stack" else \
                [[latex_number(v)] for v in (arg.value.tolist() if arg.value is not None else [])]
            rows.append(_joined(cells, " & "))
    else:
        return texts.make([r"\left[", *_joined([[Ref(a)] for a in args], ", "), r"\right]"], ATOM)
    return texts.make([r"\begin{bmatrix} ", *_joined(rows, r" \\ "), r" \end{bmatrix}"], ATOM)


def _latex_render(node: Expr, texts: _Templates) -> Template:
    op, args = node.op, node.args
    if op == "symbol":
        return Template([_latex_symbol(node.name or "")], ATOM)
    if op == "const":
        return _latex_constant(node, texts)
    if op == "add":
        return _add(node, texts)
    if op == "mul":
        return _latex_mul(node, texts)
    if op == "pow":
        return _latex_pow(node, texts)
    if op == "power":
        return texts.make([Ref(args[0], SLOT["base"]), "^{", Ref(args[1]), "}"], POWER)
    if op == "stack":
        return _latex_stack(node, texts)
    if op == "index":
        return _latex_index(node, texts)
    if op == "scatter":
        return _latex_scatter(node, texts)
    if op in _RELATION_LATEX or op == "where":
        return _latex_cases(node, texts)
    if op == "heaviside":
        return _latex_heaviside(node, texts)
    return _latex_call(node, texts)


def _latex_call(node: Expr, texts: _Templates) -> Template:
    """A node through its op's LaTeX template (`\\sin\\left({0}\\right)`)."""
    template = node.spec.latex or _default_latex(node.op, len(node.args))
    if template == "{0}":  # shows its argument as it is (broadcast_to)
        return texts.make([Ref(node.args[0])], texts.precedence(node.args[0]))
    layout, precedence = _latex_layout(template, node.op in _RELATION_TEXT)
    pieces: list[Piece] = [item if isinstance(item, str) else Ref(node.args[item[0]], item[1])
                           for item in layout]
    for position, piece in enumerate(pieces):
        before = pieces[position - 1] if position else ""
        # `-{0}` of a negated product: e^{x}, not e^{-\left(-x\right)}
        if isinstance(piece, Ref) and isinstance(before, str) and before.endswith("-") \
                and texts.negative(piece.node) and texts.precedence(piece.node) >= PRODUCT:
            pieces[position - 1] = before[:-1]
            pieces[position] = Ref(piece.node, PRODUCT, strip=True)
        # `1 + {0}` of a negative argument: \ln\left(1 - x\right), not 1 + -x
        elif isinstance(piece, Ref) and isinstance(before, str) and before.endswith(" + ") \
                and texts.negative(piece.node) and texts.precedence(piece.node) >= piece.minimum:
            pieces[position - 1] = before[:-3] + " - "
            pieces[position] = Ref(piece.node, piece.minimum, strip=True)
    return texts.make([piece for piece in pieces if piece != ""], precedence)


def _default_latex(op: str, arity: int) -> str:
    arguments = ", ".join("{%d}" % i for i in range(arity))
    return r"\operatorname{{" + op.replace("_", r"\_") + r"}}\left(" + arguments + r"\right)"


_OPENERS = ("{", "(", "[", "|", ",", "&", "}", "\\\\")
_CLOSERS = ("}", ")", "]", "|", ",", "&", r"\right", "\\\\", r"\end")
_FUNCTION = re.compile(r"\\[A-Za-z]+(?:\{[^{}]*\})?\\left\($")


@lru_cache(maxsize=None)
def _latex_layout(template: str, relation: bool) -> tuple[tuple[str | tuple[int, int], ...], int]:
    """A template's literal strings and (argument, minimum precedence) slots, and the
    precedence of the result. A slot between delimiters (`\\left({0}\\right)`) takes anything;
    one before `^` or `_` an atom; one after a minus what a negation takes; a bare one
    (`\\sum {0}`, `{0} \\cdot {1}`) a product, or, beside a relation, a sum. A result with a
    superscript or subscript of its own binds as a power (`\\left(e^{x}\\right)^{2}`), a
    function applied to parentheses as a call."""
    items = list(string.Formatter().parse(template))
    layout: list[str | tuple[int, int]] = []
    bare = power = False
    for position, (before, field, _, _) in enumerate(items):
        if before:
            layout.append(before)
            power = power or "^" in before or "_" in before
        if field is None:
            continue
        after = items[position + 1][0] if position + 1 < len(items) else ""
        if after.startswith(("^", "_")):
            minimum = ATOM
            power = power or (position == 0 and not before and after.startswith("^"))
        elif before.rstrip().endswith("-"):
            minimum = SLOT["negated"]
        elif (before.rstrip() == "" or before.rstrip().endswith(_OPENERS)) and \
                (after.lstrip() == "" or after.lstrip().startswith(_CLOSERS)):
            minimum = 0
        else:
            minimum, bare = (SUM if relation else PRODUCT), True
        layout.append((int(field), minimum))
    call = bool(items) and _FUNCTION.match(items[0][0]) is not None
    # A template wholly inside one pair of parentheses (`\left(e^{x} - 1\right)`) is an atom.
    enclosed = template.startswith(r"\left(") and template.endswith(r"\right)") and \
        template.count(r"\left(") == 1
    precedence = COMPARE if relation else ATOM if enclosed else POWER if power else \
        PRODUCT if bare else CALL if call else ATOM
    return tuple(layout), precedence


def to_latex(expr: Expr) -> str:
    """LaTeX source of `expr` (math mode, without the `$`); shared parts that would repeat at
    length are named once: `... \\quad \\text{where } t_{0} = ..., \\; t_{1} = ...`."""
    templates = _Templates(_latex_render, (r"\left(", r"\right)"))
    templates.add(expr)
    names = templates.shared(expr, lambda number: f"t_{{{number}}}", set())
    result = templates.write(expr, None, names)
    if not names:
        return result
    definitions = [f"{name} = {templates.write(node, None, names)}" for node, name in names.items()]
    return result + r" \quad \text{where } " + r", \; ".join(definitions)


# -- Graphviz -------------------------------------------------------------------------------------
def _dot_label(node: Expr) -> str:
    if node.op == "symbol":
        return node.name or ""
    if node.op == "const":
        name = constant_name(node)
        if name is not None:
            return _CONSTANT_TEXT[name]
        if node.shape == ():
            return format_number(constant_number(node))
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
        # Edges into an operation whose arguments cannot be swapped carry their position.
        numbered = len(node.args) > 1 and not node.spec.commutative
        for position, arg in enumerate(node.args):
            lines.append(f'  n{number[arg]} -> n{number[node]} [label="{position}"];' if numbered
                         else f"  n{number[arg]} -> n{number[node]};")
    lines.append("}")
    return "\n".join(lines) + "\n"
