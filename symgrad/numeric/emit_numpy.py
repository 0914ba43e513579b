"""Kernel source generation: one numpy statement per shared DAG node, in topological order.

The DAG's sharing is the common-subexpression elimination. The emitter works on static facts
only: each value's core shape and the set of symbols it depends on (a bit mask). Two values
with the same mask and core shape have the same runtime shape, so a dead array of one may
receive the other (`out=`); arrays the kernel did not allocate itself (inputs, views made by
non-elementwise ops) are never written. Values of the whole batch shape are never allocated
by the kernel: it writes them into arrays the caller passes after the arguments (`Emitted.
buffers`): each root's result array, and scratch arrays a chunked call reuses for every chunk.

Sums, products and powers are the steps `semantics` defines, which `eval` runs too.

The text holds only names made here (`a0` arguments, `t3` arrays, `c0` constants, `np.<ufunc>`,
`op.<operation>`) and numeric literals, so the same DAG gives the same source in every process.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from .evaluate import node_value
from .lowering import numeric_form
from .semantics import PREV, Operand, Step, operands, steps_of
from ..core.expr import Expr, constant_value
from ..core.shapes import Shape, broadcast
from ..core.traverse import topological

def _cheaper(node: Expr, absorbed: set[Expr]) -> list[Step]:
    """A sum, product or power as the ufunc steps `semantics` defines (eval runs the same)."""
    return steps_of(node)


CHEAPER: dict[str, Callable[[Expr, set[Expr]], list[Step]]] = {
    "add": _cheaper, "mul": _cheaper, "pow": _cheaper,
}

# Table functions that are a fixed chain of ufuncs, written as steps so that each writes into
# a reused array instead of allocating its temporaries. The steps are the table function's own
# operations in its order (sigmoid: 1.0 / (1.0 + np.exp(-x))), so results stay bit-identical.
COMPOSED: dict[str, Callable[[Expr], list[Step]]] = {
    "sigmoid": lambda node: [("negative", (node.args[0],)), ("exp", (PREV,)),
                             ("add", (1.0, PREV)), ("divide", (1.0, PREV))],
}


# -- analysis -------------------------------------------------------------------------------------
def dependency_masks(order: list[Expr], symbols: list[Expr]) -> dict[Expr, int]:
    """For each node, a bit mask of the symbols (by position in `symbols`) it depends on."""
    bits = {symbol: 1 << position for position, symbol in enumerate(symbols)}
    masks: dict[Expr, int] = {}
    for node in order:
        mask = bits.get(node, 0)
        for arg in node.args:
            mask |= masks[arg]
        masks[node] = mask
    return masks


def absorbed_nodes(order: list[Expr], roots: set[Expr], masks: dict[Expr, int]) -> set[Expr]:
    """Negations and reciprocals no statement reads: every sum using them subtracts, every
    product divides (see `semantics`), so they are never computed."""
    read: set[Expr] = set(roots)
    for node in order:
        if masks[node]:
            read.update(operands(node))
    return {node for node in order if masks[node] and node not in read
            and node.op in ("mul", "pow") and node.args}


def effective_args(node: Expr, absorbed: set[Expr]) -> list[Expr]:
    """The nodes whose values a statement for `node` reads."""
    return operands(node)


# -- the emitter -------------------------------------------------------------------------------------
@dataclass(slots=True)
class Value:
    """What the emitter knows about one node's value in the generated code."""

    text: str          # a name or a float literal
    mask: int          # the symbols it depends on (0: a constant)
    shape: Shape       # its core shape
    owned: bool        # a fresh array of exactly its class's shape, ours to overwrite


@dataclass(frozen=True, slots=True)
class Emitted:
    """A kernel's source and the names it runs with."""

    source: str
    namespace: dict[str, Any]
    owned: tuple[bool, ...]         # per root: its returned array is fresh and full-shaped
    constants: dict[str, np.ndarray] = field(default_factory=dict)  # in `namespace` too
    # The array parameters after the arguments, each (root, core shape): arrays of the whole
    # batch shape the caller allocates, the root's result (root >= 0) or scratch (root -1).
    buffers: tuple[tuple[int, Shape], ...] = ()


@dataclass
class Emitter:
    """Builds the source of `def kernel(nb, a0, a1, ..., t0, t4, ...)` returning one value per
    root; the `t` parameters are the caller's arrays (`buffers`)."""

    symbols: list[Expr]
    full: int = 0  # symbols known to have the whole batch shape: their values share classes
    lines: list[str] = field(default_factory=list)
    values: dict[Expr, Value] = field(default_factory=dict)
    pool: dict[tuple[int, Shape], list[str]] = field(default_factory=dict)
    ufuncs: dict[str, Any] = field(default_factory=dict)  # ufuncs, and nan / inf
    operations: dict[str, Callable[..., Any]] = field(default_factory=dict)
    operation_names: dict[tuple[str, Any], str] = field(default_factory=dict)
    constants: dict[str, np.ndarray] = field(default_factory=dict)
    folded: dict[Expr, np.ndarray] = field(default_factory=dict)
    outputs: dict[Expr, int] = field(default_factory=dict)  # root node -> its first position
    buffers: list[tuple[int, Shape]] = field(default_factory=list)
    buffer_names: list[str] = field(default_factory=list)
    counter: int = 0

    def fresh_name(self) -> str:
        self.counter += 1
        return f"t{self.counter - 1}"

    # -- operands -------------------------------------------------------------------------
    def constant_name(self, array: np.ndarray) -> str:
        name = f"c{len(self.constants)}"
        self.constants[name] = array
        return name

    def operand_text(self, operand: Operand, rank: int, lifted: bool = False) -> str:
        """Text of an operand aligned to core `rank` (size-1 axes after the batch axes)."""
        if isinstance(operand, float):
            return self.literal(operand)
        value = self.value(operand)  # type: ignore[arg-type]
        if lifted and value.mask == 0:
            return f"lift({value.text}, nb)"
        missing = rank - len(value.shape)
        if missing <= 0 or lifted or (value.mask == 0 and value.shape == ()):
            return value.text
        return f"{value.text}[{', '.join(['...'] + ['None'] * missing + [':'] * len(value.shape))}]"

    def ufunc(self, name: str) -> str:
        self.ufuncs[name] = getattr(np, name)
        return f"np.{name}"

    def operation(self, node: Expr) -> str:
        """The name of `node`'s table function (with its parameters bound) in `op`."""
        key = (node.op, node.params)
        name = self.operation_names.get(key)
        if name is None:
            name = node.op if node.op not in self.operations else f"{node.op}{len(self.operations)}"
            function = node.spec.numpy
            self.operations[name] = functools.partial(function, **node.kwargs) if node.params else function
            self.operation_names[key] = name
        return f"op.{name}"

    def literal(self, value: float) -> str:
        """A float literal; nan and infinities come from the `np` namespace."""
        if math.isfinite(value):
            return repr(float(value))
        self.ufuncs["nan" if math.isnan(value) else "inf"] = np.nan if math.isnan(value) else np.inf
        return "np.nan" if math.isnan(value) else ("np.inf" if value > 0 else "(-np.inf)")

    def value(self, node: Expr) -> Value:
        """`node`'s value; a folded constant gets its literal or namespace name on first use."""
        found = self.values.get(node)
        if found is None:
            array = self.folded[node]
            text = self.literal(float(array)) if array.shape == () else self.constant_name(array)
            found = self.values[node] = Value(text, 0, node.shape, False)
        return found

    # -- constants --------------------------------------------------------------------------------
    def fold(self, order: list[Expr], masks: dict[Expr, int]) -> None:
        """Compute every part that depends on no symbol once, now."""
        with np.errstate(all="ignore"):
            for node in order:
                if masks[node]:
                    continue
                if node.op == "const":
                    self.folded[node] = constant_value(node)
                    continue
                self.folded[node] = np.asarray(node_value(node, self.folded.__getitem__, 0),
                                               dtype=np.float64)

    # -- statements -------------------------------------------------------------------------------
    def statement(self, node: Expr, absorbed: set[Expr], mask: int, dying: list[Expr]) -> None:
        """Emit the line(s) computing `node`, releasing the arrays of `dying` operands."""
        if node.op in CHEAPER:
            self.emit_steps(node, CHEAPER[node.op](node, absorbed), mask, dying)
        elif node.op in COMPOSED and not node.params:
            self.emit_steps(node, COMPOSED[node.op](node), mask, dying)
        elif _is_ufunc_statement(node):
            self.emit_steps(node, [(node.spec.numpy.__name__, node.args)], mask, dying)
        else:
            self.emit_call(node, mask, dying)

    def emit_steps(self, node: Expr, steps: list[Step], mask: int, dying: list[Expr]) -> None:
        """Ufunc steps ending in one array of the node's class: the root's result buffer, a
        dead array of the class, or a new buffer of the batch's shape (none is allocated
        in the kernel). Steps of a smaller class (constants, partly broadcast arguments) go
        to small temporaries first."""
        rank, final = len(node.shape), self.klass(mask, node.shape)
        late = {operand for _, operands in steps[1:] for operand in operands
                if isinstance(operand, Expr)}
        self.release([arg for arg in dying if arg not in late])
        target = self.target(node, final)
        holder = ""  # the name holding the last step's value
        held: tuple[int, Shape] = (0, ())  # and its class
        scratch = ""  # one name for the steps before the target's: rebinding frees the last
        for ufunc, operands in steps:
            current = self.step_class(operands, held)
            texts = [holder if operand is PREV else self.operand_text(operand, rank)
                     for operand in operands]
            call = f"{self.ufunc(ufunc)}({', '.join(texts)}"
            if target is not None and current == final:
                holder = target
                self.lines.append(f"{call}, out={target})")
            elif holder and holder == scratch and held == current:
                self.lines.append(f"{call}, out={scratch})")
            else:
                scratch = holder = scratch or self.fresh_name()
                self.lines.append(f"{scratch} = {call})")
            held = current
        if target is not None and holder != target:  # the last step has the node's class
            self.lines.append(f"{self.ufunc('positive')}({holder}, out={target})")
            holder = target
        self.values[node] = Value(holder, mask, node.shape, True)
        self.release([arg for arg in dying if arg in late])

    def target(self, node: Expr, final: tuple[int, Shape]) -> str | None:
        """Where a statement's result goes: the caller's result array for a root of the
        whole batch shape, a dead array of its class, a new buffer of the whole batch shape,
        or None (the last step allocates)."""
        root = self.outputs.pop(node, None) if final[0] == -1 else None
        if root is None:
            pooled = self.take(final)
            if pooled is not None or final[0] != -1:
                return pooled
        name = self.fresh_name()
        self.buffers.append((-1 if root is None else root, node.shape))
        self.buffer_names.append(name)
        return name

    def step_class(self, operands: tuple[Operand, ...], previous: tuple[int, Shape]) -> tuple[int, Shape]:
        mask, shapes = 0, list[Shape]()
        for operand in operands:
            if operand is PREV:
                mask, shapes = mask | previous[0], shapes + [previous[1]]
            elif isinstance(operand, Expr):
                value = self.value(operand)
                mask, shapes = mask | value.mask, shapes + [value.shape]
        return self.klass(mask, broadcast(*shapes) if shapes else ())

    def klass(self, mask: int, shape: Shape) -> tuple[int, Shape]:
        """Values of one class have one runtime shape: a dead array of it may take another."""
        return (-1 if mask & self.full else mask), shape

    def emit_call(self, node: Expr, mask: int, dying: list[Expr]) -> None:
        """A call of the op's table function; non-elementwise ones get `nb`."""
        elementwise = node.spec.elementwise
        texts = [self.operand_text(arg, len(node.shape), lifted=not elementwise)
                 for arg in node.args]
        if not elementwise:
            texts.append("nb=nb")
        name = self.fresh_name()
        self.lines.append(f"{name} = {self.operation(node)}({', '.join(texts)})")
        self.values[node] = Value(name, mask, node.shape, False)
        self.release(dying)

    # -- buffers ------------------------------------------------------------------------------------
    def release(self, nodes: list[Expr]) -> None:
        """Dead operands: arrays we allocated become targets for later values of their class."""
        for node in nodes:
            value = self.values.get(node)
            if value is not None and value.owned:
                self.pool.setdefault(self.klass(value.mask, value.shape), []).append(value.text)

    def take(self, klass: tuple[int, Shape]) -> str | None:
        free = self.pool.get(klass)
        return free.pop() if free else None

    # -- the function -------------------------------------------------------------------------------
    def finish(self, roots: list[Expr]) -> Emitted:
        """The complete source and its namespace."""
        returned, owned, seen = [], [], set()
        for root in roots:
            value = self.value(root)
            returned.append(value.text)
            owned.append(value.owned and root not in seen)
            seen.add(root)
        arguments = ["nb"] + [f"a{position}" for position in range(len(self.symbols))]
        body = self.lines + [f"return ({', '.join(returned)},)"]
        source = _signature(arguments, self.buffer_names) + "".join(f"    {line}\n" for line in body)
        namespace: dict[str, Any] = {
            "np": SimpleNamespace(**dict(sorted(self.ufuncs.items()))),
            "op": SimpleNamespace(**self.operations), "lift": lift, **self.constants,
        }
        return Emitted(source, namespace, tuple(owned), dict(self.constants), tuple(self.buffers))


def _signature(arguments: list[str], buffers: list[str], width: int = 96) -> str:
    """The `def` line(s): the arguments, then the caller's arrays, wrapped at `width`."""
    names = arguments + buffers
    lines, line = [], "def kernel("
    for position, name in enumerate(names):
        item = name + ("):" if position == len(names) - 1 else ",")
        if len(line) + len(item) + 1 > width and not line.isspace():
            lines.append(line)
            line = " " * len("def kernel(")
        line += item if line.endswith("(") or line.isspace() else " " + item
    return "\n".join(lines + [line]) + "\n"


def lift(value: Any, nb: int, dtype: np.dtype[Any] = np.dtype(np.float64), xp: Any = np) -> np.ndarray:
    """A constant with `nb` leading size-1 batch axes, for a non-elementwise operation."""
    array: np.ndarray = xp.asarray(value, dtype=dtype)
    return array.reshape((1,) * nb + array.shape)


def namespace_for(emitted: Emitted, dtype: np.dtype[Any], xp: Any) -> dict[str, Any]:
    """`emitted`'s namespace with its constant arrays made `dtype` arrays of `xp` (numpy or
    CuPy), so a float32 or GPU kernel computes in its own dtype, on its own device."""
    if dtype == np.float64 and xp is np:
        return emitted.namespace
    namespace = dict(emitted.namespace)
    for name, array in emitted.constants.items():
        namespace[name] = xp.asarray(array, dtype=dtype)
    namespace["lift"] = functools.partial(lift, dtype=dtype, xp=xp)
    return namespace


def _last_uses(live: list[Expr], absorbed: set[Expr], roots: set[Expr]) -> dict[Expr, int]:
    """The position of each value's last reader; roots live to the end.

    A table function may return a view of its argument (broadcast_to, index, transpose), so
    its arguments live as long as its result does.
    """
    end = len(live)
    last_use: dict[Expr, int] = {root: end for root in roots}
    for position, node in enumerate(live):
        for arg in effective_args(node, absorbed):
            last_use[arg] = max(last_use.get(arg, 0), position)
    for node in reversed(live):
        if not _is_ufunc_statement(node):
            for arg in node.args:
                last_use[arg] = max(last_use[arg], last_use.get(node, end))
    return last_use


def _is_ufunc_statement(node: Expr) -> bool:
    spec = node.spec
    return node.op in CHEAPER or (node.op in COMPOSED and not node.params) or (
        spec.elementwise and isinstance(spec.numpy, np.ufunc) and not node.params)


def emit_kernel(roots: list[Expr], symbols: list[Expr], full: int = -1) -> Emitted:
    """Source and namespace of a kernel computing every root from the given symbols.

    `full` is a bit mask of the symbols whose arrays have the whole batch shape at run time
    (all of them by default): any value depending on one of them has that shape too.
    """
    roots, _ = numeric_form(roots)
    order = topological(roots)
    masks = dependency_masks(order, symbols)
    root_set = set(roots)
    absorbed = absorbed_nodes(order, root_set, masks)
    emitter = Emitter(symbols, full=full)
    emitter.outputs = {root: position for position, root in reversed(list(enumerate(roots)))}
    emitter.fold(order, masks)
    for position, symbol in enumerate(symbols):
        emitter.values[symbol] = Value(f"a{position}", 1 << position, symbol.shape, False)
    live = [node for node in order if masks[node] and node.op != "symbol" and node not in absorbed]
    last_use = _last_uses(live, absorbed, root_set)
    for position, node in enumerate(live):
        dying = [arg for arg in dict.fromkeys(effective_args(node, absorbed))
                 if last_use[arg] == position]
        emitter.statement(node, absorbed, masks[node], dying)
    return emitter.finish(roots)
