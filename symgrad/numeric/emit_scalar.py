"""Fused kernel source: one scalar statement per shared DAG node, for one point at a time.

The walk is the numpy emitter's (`emit_numpy`): the DAG of `lowering.numeric_form`,
topological order, the symbols each node depends on, constants folded once, negations and
reciprocals absorbed, and sums, products and powers as the steps of `semantics`. Only the
text differs: each statement computes one point's number, in a dialect (`PYTHON` for numba,
`CUDA` for CuPy's ElementwiseKernel), so the numbers are those of `eval` up to the last bits
of the elementary functions' implementations.

Graphs whose operations all have a dialect template fuse. A value with core axes (up to
MAX_UNROLLED elements) is one scalar per element, and a non-elementwise operation (sum, mean,
norm, @, index, transpose, ...) is unrolled by running its own numpy function on arrays of
`Term`s, which write its arithmetic as text: in the numba loop, and in the CUDA kernel, where
each GPU thread computes one point, its reductions over core axes fused. For any other graph
`scalar_program` returns the reason, and the kernel falls back to the numpy source (see
`kernel.py`). The text holds only names made here
(`s0` symbol values, `t3` temporaries, `s0_2` and `t3_1` elements) and numeric literals.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Union

import numpy as np

from ..core.expr import Expr, constant_value
from ..core.shapes import Shape, size_of
from ..core.traverse import topological
from .emit_numpy import absorbed_nodes, dependency_masks
from .evaluate import node_value
from .lowering import numeric_form
from .scalar_math import NUMBA_HELPERS, wide_tests, with_library_calls
from .semantics import PREV, Operand, STEPPED, operands, steps_of

MAX_UNROLLED = 64  # elements per point of one value in a fused loop


@dataclass(frozen=True)
class Dialect:
    """How one language writes literals and each step or operation on named scalars."""

    name: str
    templates: dict[str, str]          # ufunc step or op name -> format with {0}, {1}, ...
    nan: str
    inf: str
    unrolls: bool = False              # values with core axes become one scalar per element
    helpers: dict[str, str] = field(default_factory=dict)  # function -> its definition text


_COMMON_STEPS = {
    "add": "({0} + {1})", "subtract": "({0} - {1})", "multiply": "({0} * {1})",
    "divide": "({0} / {1})", "negative": "(-{0})", "square": "({0} * {0})",
}
_FUNCTIONS = ("sin", "cos", "tan", "asin", "acos", "atan", "asinh", "acosh", "atanh", "sinh",
              "cosh", "tanh", "exp", "expm1", "log", "log2", "log10", "log1p", "erf", "sqrt",
              "cbrt", "abs")

# asec(x) = acos(1/x), as the operation table computes it; the others alike.
_INVERSE_RECIPROCALS = {"asec": "acos", "acsc": "asin", "acot": "atan", "asech": "acosh",
                        "acsch": "asinh", "acoth": "atanh"}
_RECIPROCALS = {"sec": "cos", "csc": "sin", "sech": "cosh", "csch": "sinh", "coth": "tanh"}
_COMPARISONS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


def _templates(function: Callable[[str], str], select: Callable[[str, str, str], str],
               either: str) -> dict[str, str]:
    """Every operation's template, written once: a language differs only in how it names a
    function (`function`), writes a conditional value (`select(condition, then, otherwise)`)
    and a logical or (`either`)."""
    def call(name: str, *args: str) -> str:
        return f"{function(name)}({', '.join(args)})"

    def first_unless(test: str) -> str:
        # {0} where `test` holds or {0} is nan (numpy's minimum and maximum keep a nan)
        return select(f"({{0}} {test} {{1}} {either} {{0}} != {{0}})", "{0}", "{1}")

    return {
        **_COMMON_STEPS, **{name: call(name, "{0}") for name in _FUNCTIONS},
        "atan2": call("atan2", "{0}", "{1}"),
        "sigmoid": f"(1.0 / (1.0 + {call('exp', '-{0}')}))",
        "softplus": select("{0} > 0.0", f"({{0}} + {call('log1p', call('exp', '-{0}'))})",
                           call("log1p", call("exp", "{0}"))),
        "sign": select("{0} > 0.0", "1.0", select("{0} < 0.0", "-1.0", "{0}")),
        "relu": select(f"({{0}} > 0.0 {either} {{0}} != {{0}})", "{0}", "0.0"),
        # numpy's: h0 at 0, and a nan stays nan
        "heaviside": select("{0} > 0.0", "1.0", select("{0} < 0.0", "0.0",
                                                       select("{0} == 0.0", "{1}", "{0}"))),
        "min": first_unless("<="), "max": first_unless(">="),
        "where": select("{0} != 0.0", "{1}", "{2}"),
        **{name: select(f"{{0}} {test} {{1}}", "1.0", "0.0")
           for name, test in _COMPARISONS.items()},
        **{name: f"(1.0 / {call(inner, '{0}')})" for name, inner in _RECIPROCALS.items()},
        "cot": f"({call('cos', '{0}')} / {call('sin', '{0}')})",
        **{name: call(inner, "1.0 / {0}") for name, inner in _INVERSE_RECIPROCALS.items()},
    }


# numba: the math module's functions (tanh written out in `scalar_math`, so the loop vectorizes)
_NUMBA_NAMES = {"abs": "abs", "cbrt": "np.cbrt", **{name: name for name in NUMBA_HELPERS}}
PYTHON = Dialect("numba", {
    **_templates(lambda name: _NUMBA_NAMES.get(name, f"math.{name}"),
                 lambda condition, then, otherwise: f"({then} if {condition} else {otherwise})",
                 "or"),
    "power": "({0} ** {1})", "exp2": "(2.0 ** {0})",
}, nan="math.nan", inf="math.inf", unrolls=True, helpers=NUMBA_HELPERS)

CUDA = Dialect("cuda", {
    **_templates(lambda name: "fabs" if name == "abs" else name,
                 lambda condition, then, otherwise: f"({condition} ? {then} : {otherwise})",
                 "||"),
    "power": "pow({0}, {1})", "exp2": "exp2({0})",
}, nan="__longlong_as_double(0x7ff8000000000000LL)",
    inf="__longlong_as_double(0x7ff0000000000000LL)", unrolls=True)



def _fmod(dialect: Dialect, texts: list[str]) -> str:
    return f"{'np.fmod' if dialect is PYTHON else 'fmod'}({texts[0]}, {texts[1]})"


def _remainder(dialect: Dialect, texts: list[str]) -> str:
    """numpy's remainder, from fmod as numpy computes it (npy_divmod): a nonzero fmod of the
    other sign than the divisor moves by one divisor, and a zero takes the divisor's sign
    (numba's scalar np.remainder gives +0.0 for remainder(0.0, -2.5), numpy -0.0)."""
    b, where, modulus = texts[1], dialect.templates["where"], _fmod(dialect, texts)
    moved = where.format(f"(({modulus} < 0.0) != ({b} < 0.0))", f"({modulus} + {b})", modulus)
    zero = f"{'math.copysign' if dialect is PYTHON else 'copysign'}(0.0, {b})"
    return where.format(f"({modulus} != 0.0)", moved, where.format(f"({modulus} == 0.0)", zero, modulus))


def _sinc(dialect: Dialect, texts: list[str]) -> str:
    """numpy's sinc: sin(pi x)/(pi x), 1 at 0."""
    if dialect is PYTHON:
        return f"np.sinc({texts[0]})"
    scaled = f"({_literal(float(np.pi), dialect)} * {texts[0]})"
    quotient = f"({dialect.templates['sin'].format(scaled)} / {scaled})"
    return dialect.templates["where"].format(f"({texts[0]} == 0.0)", "1.0", quotient)


# clamp(x, low, high) = min(max(x, low), high), written through the two templates; the
# remainders and sinc as numba's numpy functions, or through C's fmod and sin.
_COMPOSED: dict[str, Callable[[Dialect, list[str]], str]] = {
    "clamp": lambda dialect, texts: dialect.templates["min"].format(
        dialect.templates["max"].format(texts[0], texts[1]), texts[2]),
    "fmod": _fmod,
    "remainder": _remainder,
    "sinc": _sinc,
}


@dataclass(frozen=True)
class ScalarProgram:
    """One point's computation: statements `(target, expression, first)` in order (`first`:
    the target's first assignment, where C declares it), then the roots' element texts.

    A value with core axes is one scalar per element (`t3_0`, `t3_1`, ...: the inner loops
    over core axes unrolled, MAX_UNROLLED elements at most); the input `a{k}` of a symbol with
    core axes and the output `o{r}` of such a root are read and written as `[i, j]`, j the
    flat element index.
    """

    inputs: tuple[Shape, ...]                      # each symbol's core shape
    statements: tuple[tuple[str, str, bool], ...]
    outputs: tuple[tuple[str, ...], ...]           # per root, its elements' texts, flat
    shapes: tuple[Shape, ...]                      # per root, its core shape

    @property
    def symbols(self) -> int:
        return len(self.inputs)

    @property
    def per_point(self) -> bool:
        """Whether some input or output has core axes (so arrays are read element by element)."""
        return any(self.inputs) or any(self.shapes)


Program = Union[ScalarProgram, str]


def scalar_program(roots: list[Expr], symbols: list[Expr], dialect: Dialect) -> Program:
    """The fused program computing `roots` from `symbols`, or why there is none."""
    roots, _ = numeric_form(roots)
    order = topological(roots)
    for node in order:
        if node.shape != () and not dialect.unrolls:
            return (f"a value has core shape {node.shape} ({node.op}); the fused "
                    f"{dialect.name} kernel handles scalars per point only")
        if size_of(node.shape) > MAX_UNROLLED:
            return (f"a value has {size_of(node.shape)} elements per point ({node.op}); the "
                    f"fused {dialect.name} loop unrolls at most {MAX_UNROLLED}")
    masks = dependency_masks(order, symbols)
    absorbed = absorbed_nodes(order, set(roots), masks)
    names: dict[Expr, np.ndarray] = {symbol: _element_names(f"s{position}", symbol.shape)
                                     for position, symbol in enumerate(symbols)}
    folded: dict[Expr, np.ndarray] = {}
    statements: list[tuple[str, str, bool]] = []
    computed = 0
    with np.errstate(all="ignore"):
        for node in order:
            if not masks[node]:
                value = (constant_value(node) if node.op == "const"
                         else np.asarray(node_value(node, folded.__getitem__, 0), dtype=np.float64))
                folded[node] = value
                names[node] = _literals(value, dialect)
            elif node.op != "symbol" and node not in absorbed:
                targets = _element_names(f"t{computed}", node.shape)
                made = _statements(node, targets, names, dialect)
                if isinstance(made, str):
                    return made
                statements.extend(made)
                names[node] = targets
                computed += 1
    return ScalarProgram(tuple(symbol.shape for symbol in symbols), tuple(statements),
                         tuple(tuple(names[root].ravel()) for root in roots),
                         tuple(root.shape for root in roots))


def _element_names(stem: str, shape: Shape) -> np.ndarray:
    """`stem` for a scalar; `stem_0`, `stem_1`, ... (in `shape`) for one with core axes."""
    if shape == ():
        return np.array(stem, dtype=object)
    return np.array([f"{stem}_{j}" for j in range(size_of(shape))], dtype=object).reshape(shape)


def _literals(value: np.ndarray, dialect: Dialect) -> np.ndarray:
    texts = [_literal(float(item), dialect) for item in np.ravel(value)]
    return np.array(texts, dtype=object).reshape(np.shape(value))


def _aligned(texts: np.ndarray, shape: Shape) -> np.ndarray:
    """Element texts broadcast to core `shape` (core axes aligned on the right)."""
    return np.broadcast_to(texts, shape)


def _statements(node: Expr, targets: np.ndarray, names: dict[Expr, np.ndarray],
                dialect: Dialect) -> list[tuple[str, str, bool]] | str:
    """The statements computing every element of `node` into `targets`, or why not."""
    if not node.spec.elementwise:
        return _unrolled(node, targets, names, dialect)
    if node.params and node.op not in STEPPED:
        return f"{node.op} with parameters has no fused {dialect.name} form"
    if node.op not in STEPPED and node.op not in _COMPOSED and node.op not in dialect.templates:
        return f"{node.op} has no fused {dialect.name} form"
    try:
        args = {arg: _aligned(names[arg], node.shape) for arg in operands(node)}
    except ValueError:
        return f"{node.op}'s operands do not broadcast element by element"
    made: list[tuple[str, str, bool]] = []
    for element in np.ndindex(*node.shape):
        target = str(targets[element])
        if node.op in STEPPED:
            for step, (ufunc, items) in enumerate(steps_of(node)):
                texts = [_operand(operand, target, args, element, dialect) for operand in items]
                made.append((target, dialect.templates[ufunc].format(*texts), step == 0))
            continue
        texts = [str(args[arg][element]) for arg in node.args]
        formula = (_COMPOSED[node.op](dialect, texts) if node.op in _COMPOSED
                   else dialect.templates[node.op].format(*texts))
        made.append((target, formula, True))
    return made


def _unrolled(node: Expr, targets: np.ndarray, names: dict[Expr, np.ndarray],
              dialect: Dialect) -> list[tuple[str, str, bool]] | str:
    """A non-elementwise operation (sum, @, index, transpose, ...) element by element: its own
    numpy function applied to arrays of `Term`s, which write the arithmetic it does as text."""
    if not dialect.unrolls:
        return f"{node.op} has no fused {dialect.name} form"

    def term(name: object) -> Term:
        return Term(str(name), dialect)
    arguments = [np.vectorize(term, otypes=[object])(names[arg]) if names[arg].ndim
                 else term(names[arg]) for arg in node.args]
    try:
        result = np.asarray(node.spec.numpy(*arguments, nb=0, **node.kwargs), dtype=object)
    except (TypeError, ValueError, AttributeError) as error:
        return f"{node.op} could not be unrolled for the fused {dialect.name} loop ({error})"
    if result.shape != node.shape:
        return f"{node.op} could not be unrolled for the fused {dialect.name} loop"
    return [(str(targets[element]), _term_text(result[element], dialect), True)
            for element in np.ndindex(*node.shape)]


class Term:
    """A scalar written as text in a dialect: numpy's object-dtype loops call these operators
    (and `sqrt`), so an operation's own numpy function writes out its arithmetic."""

    __slots__ = ("text", "dialect")

    def __init__(self, text: str, dialect: Dialect) -> None:
        self.text = text
        self.dialect = dialect

    def _with(self, template: str, other: object, reflected: bool = False) -> Term:
        texts = (_term_text(other, self.dialect), self.text)
        return Term(template.format(*(texts if reflected else texts[::-1])), self.dialect)

    def __add__(self, other: object) -> Term:
        return self._with("({0} + {1})", other)

    def __radd__(self, other: object) -> Term:
        # einsum and sum start from 0; 0 + x is x
        return self if isinstance(other, int) and other == 0 else self._with("({0} + {1})", other, True)

    def __sub__(self, other: object) -> Term:
        return self._with("({0} - {1})", other)

    def __rsub__(self, other: object) -> Term:
        return self._with("({0} - {1})", other, True)

    def __mul__(self, other: object) -> Term:
        return self._with("({0} * {1})", other)

    def __rmul__(self, other: object) -> Term:
        return self._with("({0} * {1})", other, True)

    def __truediv__(self, other: object) -> Term:
        return self._with("({0} / {1})", other)

    def __rtruediv__(self, other: object) -> Term:
        return self._with("({0} / {1})", other, True)

    def __neg__(self) -> Term:
        return Term(f"(-{self.text})", self.dialect)

    def sqrt(self) -> Term:
        return Term(self.dialect.templates["sqrt"].format(self.text), self.dialect)


def _term_text(item: object, dialect: Dialect) -> str:
    if isinstance(item, Term):
        return item.text
    if isinstance(item, (int, float, np.number)):
        return _literal(float(item), dialect)
    raise TypeError(f"an unexpected {type(item).__name__} in an unrolled operation")


def _operand(operand: Operand, previous: str, args: dict[Expr, np.ndarray],
             element: tuple[int, ...], dialect: Dialect) -> str:
    if operand is PREV:
        return previous
    if isinstance(operand, float):
        return _literal(operand, dialect)
    assert isinstance(operand, Expr)
    return str(args[operand][element])


def _literal(value: float, dialect: Dialect) -> str:
    if math.isfinite(value):
        return repr(float(value))
    if math.isnan(value):
        return dialect.nan
    return dialect.inf if value > 0 else f"(-{dialect.inf})"


# -- the two renderings ------------------------------------------------------------------------------
def numba_source(program: ScalarProgram, hoisted: int = 0) -> str:
    """A module defining `kernel(n, a0, ..., o0, ...)`: one loop over n points of flat 1-d
    arrays, element j of point i at `i * elements + j` (numba compiles 2-d indexing `[i, j]`
    to a loop three times as slow: 219 against 71 ms for the logistic loss of 8 features at
    10^6 points).

    The symbols in bit mask `hoisted` have one value for every point (read once, before the
    loop); the others have n values. Where the statements take sin or cos (arithmetic valid
    below `scalar_math.WIDE_ARGUMENT`), the loop counts the points with a wider argument and,
    if there are any, a second loop recomputes them with the C library's sin and cos.
    """
    inputs = [f"a{position}" for position in range(program.symbols)]
    outputs = [f"o{position}" for position in range(len(program.outputs))]
    body = "".join(expression for _, expression, _ in program.statements)
    lines = ["import math", "", "import numba", "import numpy as np", "", ""]
    for name, definition in PYTHON.helpers.items():
        if re.search(rf"(?<![\w.]){name}\(", body):
            lines += [definition, ""]
    lines += ["@numba.njit(fastmath=False, cache=True, error_model='numpy')",
             f"def kernel({', '.join(['n'] + inputs + outputs)}):"]
    for position, shape in enumerate(program.inputs):
        if hoisted >> position & 1:
            lines += [f"    {name} = a{position}[{index}]"
                      for name, index in _flat_elements(f"s{position}", shape, "0")]
    reads: list[str] = []
    for position, shape in enumerate(program.inputs):
        if not hoisted >> position & 1:
            step = str(size_of(shape))
            reads += [f"        {name} = a{position}[{index}]"
                      for name, index in _flat_elements(f"s{position}", shape, step)]
    writes: list[str] = []
    for position, (texts, shape) in enumerate(zip(program.outputs, program.shapes)):
        writes += [f"        o{position}[{index}] = {text}"
                   for text, (_, index)
                   in zip(texts, _flat_elements("", shape, str(size_of(shape))))]
    statements = [(target, expression) for target, expression, _ in program.statements]
    wide = wide_tests(statements)
    if not wide:
        lines += ["    for i in range(n):", *reads,
                  *[f"        {target} = {expression}" for target, expression in statements],
                  *writes]
        return "\n".join(lines) + "\n"
    # sin and cos are arithmetic valid below WIDE_ARGUMENT: the loop counts the points past it
    # (a call in the loop would stop its vectorization), a second loop redoes only those
    numbers = [int(number) for target, _ in statements
               for number in re.findall(r"(?<!\w)t(\d+)", target)]
    counter = f"t{max(numbers, default=-1) + 1}"
    lines += [f"    {counter} = 0", "    for i in range(n):", *reads,
              *[f"        {target} = {expression}" for target, expression in statements],
              *[f"        {counter} = {counter} + (1 if {test} else 0)" for test in wide],
              *writes, f"    if {counter} > 0:", "        for i in range(n):",
              *["    " + line for line in reads],
              *[f"            {target} = {with_library_calls(expression)}"
                for target, expression in statements],
              f"            if {' or '.join(wide)}:", *["        " + line for line in writes]]
    return "\n".join(lines) + "\n"


def cuda_source(program: ScalarProgram) -> str:
    """The body of a `cupy.ElementwiseKernel` (parameters: `cuda_parameters`), computing in
    double and storing in the arrays' type T.

    Scalars per point only: inputs `T a0, ...` and outputs `T o0, ...`, broadcast by CuPy.
    With core axes (`program.per_point`): every array is `raw`, flat `(points, elements)`, and
    input k is read at `i * p{k} + j` (`p{k}` its elements, or 0 for one value for every
    point); the inner loops over core axes are unrolled, as in the numba loop.
    """
    if program.per_point:
        lines = [f"double {name} = a{position}[{index}];"
                 for position, shape in enumerate(program.inputs)
                 for name, index in _flat_elements(f"s{position}", shape, f"p{position}")]
    else:
        lines = [f"double s{position} = a{position};" for position in range(program.symbols)]
    for target, expression, first in program.statements:
        lines.append(f"{'double ' if first else ''}{target} = {expression};")
    for position, (texts, shape) in enumerate(zip(program.outputs, program.shapes)):
        if not program.per_point:
            lines.append(f"o{position} = {texts[0]};")
            continue
        lines += [f"o{position}[{index}] = {text};" for text, (_, index)
                  in zip(texts, _flat_elements("", shape, str(size_of(shape))))]
    return "\n".join(lines) + "\n"


def _flat_elements(stem: str, shape: Shape, step: str) -> list[tuple[str, str]]:
    """(element name, flat index text) of each element of a value of core `shape` at point i,
    `step` numbers apart from one point to the next ("0": the same value for every point)."""
    point = [] if step == "0" else ["i" if step == "1" else f"i * {step}"]
    if shape == ():
        return [(stem, point[0] if point else "0")]
    return [(f"{stem}_{j}", " + ".join(point + [str(j)])) for j in range(size_of(shape))]


def cuda_parameters(program: ScalarProgram) -> tuple[str, str]:
    """The ElementwiseKernel's input and output parameter lists."""
    if program.per_point:
        inputs = ", ".join([f"raw T a{position}" for position in range(program.symbols)]
                           + [f"int64 p{position}" for position in range(program.symbols)])
        outputs = ", ".join(f"raw T o{position}" for position in range(len(program.outputs)))
        return inputs, outputs
    inputs = ", ".join(f"T a{position}" for position in range(program.symbols))
    outputs = ", ".join(f"T o{position}" for position in range(len(program.outputs)))
    return inputs, outputs
