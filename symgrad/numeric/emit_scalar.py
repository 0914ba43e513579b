"""Fused kernel source: one scalar statement per shared DAG node, for one point at a time.

The walk is the numpy emitter's (`emit_numpy`): products regrouped by `share_products`,
topological order, the symbols each node depends on, constants folded once, negations and
reciprocals absorbed, and sums, products and powers as the steps of `semantics`. Only the
text differs: each statement computes one point's number, in a dialect (`PYTHON` for numba,
`CUDA` for CuPy's ElementwiseKernel), so the numbers are those of `eval` up to the last bits
of the elementary functions' implementations.

Graphs whose values are all scalars per point and whose operations all have a dialect
template fuse; for any other graph `scalar_program` returns the reason, and the kernel falls
back to the numpy source (see `kernel.py`). The text holds only names made here (`s0` symbol
values, `t3` temporaries) and numeric literals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Union

import numpy as np

from ..core.expr import Expr, constant_value
from ..core.traverse import topological
from .emit_numpy import absorbed_nodes, dependency_masks
from .evaluate import node_value
from .semantics import PREV, Operand, STEPPED, share_products, steps_of


@dataclass(frozen=True)
class Dialect:
    """How one language writes literals and each step or operation on named scalars."""

    name: str
    templates: dict[str, str]          # ufunc step or op name -> format with {0}, {1}, ...
    nan: str
    inf: str


_COMMON_STEPS = {
    "add": "({0} + {1})", "subtract": "({0} - {1})", "multiply": "({0} * {1})",
    "divide": "({0} / {1})", "negative": "(-{0})", "square": "({0} * {0})",
}

# asec(x) = acos(1/x), as the operation table computes it; the others alike.
_INVERSE_RECIPROCALS = {"asec": "acos", "acsc": "asin", "acot": "atan", "asech": "acosh",
                        "acsch": "asinh", "acoth": "atanh"}

PYTHON = Dialect("numba", {
    **_COMMON_STEPS, "sqrt": "math.sqrt({0})", "power": "({0} ** {1})",
    **{name: f"math.{name}({{0}})" for name in (
        "sin", "cos", "tan", "asin", "acos", "atan", "asinh", "acosh", "atanh", "sinh", "cosh",
        "tanh", "exp", "expm1", "log", "log2", "log10", "log1p", "erf")},
    "exp2": "(2.0 ** {0})", "cbrt": "np.cbrt({0})", "atan2": "math.atan2({0}, {1})",
    "abs": "abs({0})", "sigmoid": "(1.0 / (1.0 + math.exp(-{0})))",
    "softplus": "({0} + math.log1p(math.exp(-{0})) if {0} > 0.0 else math.log1p(math.exp({0})))",
    "sign": "(1.0 if {0} > 0.0 else (-1.0 if {0} < 0.0 else {0}))",
    "relu": "({0} if {0} > 0.0 or {0} != {0} else 0.0)",
    "min": "({0} if {0} <= {1} or {0} != {0} else {1})",
    "max": "({0} if {0} >= {1} or {0} != {0} else {1})",
    "where": "({1} if {0} != 0.0 else {2})",
    "lt": "(1.0 if {0} < {1} else 0.0)", "le": "(1.0 if {0} <= {1} else 0.0)",
    "gt": "(1.0 if {0} > {1} else 0.0)", "ge": "(1.0 if {0} >= {1} else 0.0)",
    "eq": "(1.0 if {0} == {1} else 0.0)", "ne": "(1.0 if {0} != {1} else 0.0)",
    "sec": "(1.0 / math.cos({0}))", "csc": "(1.0 / math.sin({0}))",
    "cot": "(math.cos({0}) / math.sin({0}))", "sech": "(1.0 / math.cosh({0}))",
    "csch": "(1.0 / math.sinh({0}))", "coth": "(1.0 / math.tanh({0}))",
    **{name: f"math.{inverse}(1.0 / {{0}})" for name, inverse in _INVERSE_RECIPROCALS.items()},
}, nan="math.nan", inf="math.inf")

CUDA = Dialect("cuda", {
    **_COMMON_STEPS, "sqrt": "sqrt({0})", "power": "pow({0}, {1})",
    **{name: f"{name}({{0}})" for name in (
        "sin", "cos", "tan", "asin", "acos", "atan", "asinh", "acosh", "atanh", "sinh", "cosh",
        "tanh", "exp", "expm1", "log", "log2", "log10", "log1p", "erf", "exp2", "cbrt")},
    "atan2": "atan2({0}, {1})", "abs": "fabs({0})",
    "sigmoid": "(1.0 / (1.0 + exp(-{0})))",
    "softplus": "({0} > 0.0 ? {0} + log1p(exp(-{0})) : log1p(exp({0})))",
    "sign": "({0} > 0.0 ? 1.0 : ({0} < 0.0 ? -1.0 : {0}))",
    "relu": "(({0} > 0.0 || {0} != {0}) ? {0} : 0.0)",
    "min": "(({0} <= {1} || {0} != {0}) ? {0} : {1})",
    "max": "(({0} >= {1} || {0} != {0}) ? {0} : {1})",
    "where": "({0} != 0.0 ? {1} : {2})",
    "lt": "({0} < {1} ? 1.0 : 0.0)", "le": "({0} <= {1} ? 1.0 : 0.0)",
    "gt": "({0} > {1} ? 1.0 : 0.0)", "ge": "({0} >= {1} ? 1.0 : 0.0)",
    "eq": "({0} == {1} ? 1.0 : 0.0)", "ne": "({0} != {1} ? 1.0 : 0.0)",
    "sec": "(1.0 / cos({0}))", "csc": "(1.0 / sin({0}))", "cot": "(cos({0}) / sin({0}))",
    "sech": "(1.0 / cosh({0}))", "csch": "(1.0 / sinh({0}))", "coth": "(1.0 / tanh({0}))",
    **{name: f"{inverse}(1.0 / {{0}})" for name, inverse in _INVERSE_RECIPROCALS.items()},
}, nan="__longlong_as_double(0x7ff8000000000000LL)",
    inf="__longlong_as_double(0x7ff0000000000000LL)")

# clamp(x, low, high) = min(max(x, low), high), written through the two templates.
_COMPOSED: dict[str, Callable[[Dialect, list[str]], str]] = {
    "clamp": lambda dialect, texts: dialect.templates["min"].format(
        dialect.templates["max"].format(texts[0], texts[1]), texts[2]),
}


@dataclass(frozen=True)
class ScalarProgram:
    """One point's computation: statements `(target, expression, first)` in order (`first`:
    the target's first assignment, where C declares it), then one text per root."""

    symbols: int                                   # s0 ... s{symbols-1} are the inputs
    statements: tuple[tuple[str, str, bool], ...]
    outputs: tuple[str, ...]


Program = Union[ScalarProgram, str]


def scalar_program(roots: list[Expr], symbols: list[Expr], dialect: Dialect) -> Program:
    """The fused program computing `roots` from `symbols`, or why there is none."""
    roots, _ = share_products(roots)
    order = topological(roots)
    for node in order:
        if node.shape != ():
            return (f"a value has core shape {node.shape} ({node.op}); the fused "
                    f"{dialect.name} loop handles scalars per point only")
    masks = dependency_masks(order, symbols)
    absorbed = absorbed_nodes(order, set(roots), masks)
    names: dict[Expr, str] = {symbol: f"s{position}" for position, symbol in enumerate(symbols)}
    folded: dict[Expr, np.ndarray] = {}
    statements: list[tuple[str, str, bool]] = []
    with np.errstate(all="ignore"):
        for node in order:
            if not masks[node]:
                value = (constant_value(node) if node.op == "const"
                         else np.asarray(node_value(node, folded.__getitem__, 0), dtype=np.float64))
                folded[node] = value
                names[node] = _literal(float(value), dialect)
            elif node.op != "symbol" and node not in absorbed:
                target = f"t{sum(first for _, _, first in statements)}"
                made = _statements(node, target, names, dialect)
                if isinstance(made, str):
                    return made
                statements.extend(made)
                names[node] = target
    return ScalarProgram(len(symbols), tuple(statements), tuple(names[root] for root in roots))


def _statements(node: Expr, target: str, names: dict[Expr, str],
                dialect: Dialect) -> list[tuple[str, str, bool]] | str:
    templates = dialect.templates
    if node.op in STEPPED:
        made: list[tuple[str, str, bool]] = []
        for ufunc, operands in steps_of(node):
            texts = [_operand(operand, target, names, dialect) for operand in operands]
            made.append((target, templates[ufunc].format(*texts), not made))
        return made
    texts = [names[arg] for arg in node.args]
    if node.params:
        return f"{node.op} with parameters has no fused {dialect.name} form"
    if node.op in _COMPOSED:
        return [(target, _COMPOSED[node.op](dialect, texts), True)]
    template = templates.get(node.op)
    if template is None:
        return f"{node.op} has no fused {dialect.name} form"
    return [(target, template.format(*texts), True)]


def _operand(operand: Operand, previous: str, names: dict[Expr, str], dialect: Dialect) -> str:
    if operand is PREV:
        return previous
    if isinstance(operand, float):
        return _literal(operand, dialect)
    assert isinstance(operand, Expr)
    return names[operand]


def _literal(value: float, dialect: Dialect) -> str:
    if math.isfinite(value):
        return repr(float(value))
    if math.isnan(value):
        return dialect.nan
    return dialect.inf if value > 0 else f"(-{dialect.inf})"


# -- the two renderings ------------------------------------------------------------------------------
def numba_source(program: ScalarProgram, hoisted: int = 0) -> str:
    """A module defining `kernel(n, a0, ..., o0, ...)`: one loop over n points of flat arrays.

    The symbols in bit mask `hoisted` have one value for every point (read once, before the
    loop); the others have n values.
    """
    inputs = [f"a{position}" for position in range(program.symbols)]
    outputs = [f"o{position}" for position in range(len(program.outputs))]
    lines = ["import math", "", "import numba", "import numpy as np", "", "",
             "@numba.njit(fastmath=False, cache=True, error_model='numpy')",
             f"def kernel({', '.join(['n'] + inputs + outputs)}):"]
    for position in range(program.symbols):
        if hoisted >> position & 1:
            lines.append(f"    s{position} = a{position}[0]")
    lines.append("    for i in range(n):")
    for position in range(program.symbols):
        if not hoisted >> position & 1:
            lines.append(f"        s{position} = a{position}[i]")
    lines += [f"        {target} = {expression}" for target, expression, _ in program.statements]
    lines += [f"        o{position}[i] = {text}" for position, text in enumerate(program.outputs)]
    return "\n".join(lines) + "\n"


def cuda_source(program: ScalarProgram) -> str:
    """The body of a `cupy.ElementwiseKernel` with inputs `T a0, ...` and outputs `T o0, ...`,
    computing in double and storing in the arrays' type T."""
    lines = [f"double s{position} = a{position};" for position in range(program.symbols)]
    for target, expression, first in program.statements:
        lines.append(f"{'double ' if first else ''}{target} = {expression};")
    lines += [f"o{position} = {text};" for position, text in enumerate(program.outputs)]
    return "\n".join(lines) + "\n"


def cuda_parameters(program: ScalarProgram) -> tuple[str, str]:
    """The ElementwiseKernel's input and output parameter lists."""
    inputs = ", ".join(f"T a{position}" for position in range(program.symbols))
    outputs = ", ".join(f"T o{position}" for position in range(len(program.outputs)))
    return inputs, outputs
