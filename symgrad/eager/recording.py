"""What an eager tensor records: the op (`EagerOp`), its `grad_fn` view, and its operands.

An `EagerOp` says how one recorded operation differentiates (the operation table's rule) and
becomes an Expr; operands that are not tensors are kept as numpy values. Nothing here knows
the `Tensor` class: `tensor.py` builds on this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .. import ops  # noqa: F401  (registers the operation table)
from ..core.errors import ArgumentError
from ..core.expr import Expr, apply
from ..core.opspec import OPS, GradRule

if TYPE_CHECKING:
    from .tensor import Tensor


class EagerOp:
    """How one recorded operation computes, differentiates and becomes an Expr."""

    __slots__ = ("name", "grad", "torch", "saves", "to_expr", "freed", "released")

    def __init__(self, name: str, grad: GradRule, torch: str, saves: bool,
                 to_expr: Callable[..., Expr], freed: bool = False) -> None:
        self.name, self.grad, self.torch, self.saves, self.to_expr = name, grad, torch, saves, to_expr
        self.freed = freed
        # What a node becomes once backward has freed its saved values (PyTorch frees them
        # unless retain_graph): the same op, but a second backward through it is an error.
        self.released = EagerOp(name, grad, torch, saves, to_expr, True) if saves and not freed else self


# Ops whose backward needs no saved values: PyTorch lets their graph be walked twice.
_STATELESS = frozenset({"add", "sub", "neg", "sum", "mean", "index", "transpose", "clone", "to_copy",
                        "broadcast_to", "sum_to", "stack", "scatter"})

# Operators Python offers beyond the table's canonical ops (a - b is add(a, -1*b) there).
_EXTRA: dict[str, tuple[GradRule, Callable[..., Expr]]] = {
    "sub": (lambda F, g, out, a, b: (g, -g), lambda a, b: a - b),
    "div": (lambda F, g, out, a, b: (g / b, -g * out / b), lambda a, b: a / b),
    "neg": (lambda F, g, out, a: (-g,), lambda a: -a),
    "clone": (lambda F, g, out, a: (g,), lambda a: a),
    "to_copy": (lambda F, g, out, a: (cast_like(g, a),), lambda a: a),
}


def cast_like(value: Any, like: Any) -> Any:
    """`value` in the element type of `like` (numpy values, or tensors in a recorded pass):
    the gradient of a type conversion converts back."""
    if hasattr(value, "to"):  # a tensor: its conversion is recorded too
        return value.to(like.dtype)
    target = np.result_type(like)
    if getattr(value, "dtype", None) == target:
        return value
    return scalarized(np.asarray(value, dtype=target))
_EAGER: dict[tuple[str, str], EagerOp] = {}
# The table's add rule takes any number of terms; eager sums always have two.
_FAST_RULES: dict[str, GradRule] = {"add": lambda F, g, out, a, b: (g, g)}

# Ops the backward pass treats elementwise when it masks zero adjoints.
ELEMENTWISE = frozenset(name for name, spec in OPS.items() if spec.elementwise) | {
    "sub", "div", "neg", "clone", "to_copy"}


def eager_op(name: str, torch: str = "") -> EagerOp:
    """The (cached) record of op `name`, shown in `grad_fn` as `<{torch}Backward...>`."""
    key = (name, torch)
    op = _EAGER.get(key)
    if op is None:
        if name in _EXTRA:
            grad, to_expr = _EXTRA[name]
        else:
            grad = _FAST_RULES.get(name) or OPS[name].grad  # type: ignore[assignment]
            to_expr = (lambda n: lambda *args, **params: apply(n, *args, **params))(name)
        label = torch or (OPS[name].torch if name in OPS else name.capitalize()) or name
        # A stem from the table gets the suffix; a full name given by the caller (RsubBackward1) not.
        label = label if "Backward" in label else label + "Backward0"
        op = EagerOp(name, grad, label, name not in _STATELESS, to_expr)
        _EAGER[key] = op
    return op


ADD, MUL, SUB = eager_op("add"), eager_op("mul"), eager_op("sub")
RSUB, NEG, DIV = eager_op("sub", "RsubBackward1"), eager_op("neg", "Neg"), eager_op("div", "Div")
POW = eager_op("pow")


class GradFn:
    """The backward node of a recorded tensor, printed as PyTorch prints it: `<AddBackward0>`."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self._tensor = tensor

    def name(self) -> str:
        """The PyTorch-style name, such as `MulBackward0`."""
        return self._tensor._op.torch  # type: ignore[union-attr]

    @property
    def next_functions(self) -> tuple[tuple[GradFn | AccumulateGrad | None, int], ...]:
        """The backward nodes of the inputs, in PyTorch's order and with PyTorch's entries:
        a computed input's node, `AccumulateGrad` for a leaf that requires grad, None for a
        tensor that does not and for a number in `+ - * /` (torch wraps those as tensors);
        numbers other ops take as parameters (clamp's bounds, 2 - x, 2 ** x) and where's
        condition have no entry."""
        tensor = self._tensor
        kind = type(tensor)  # the other inputs are constants: numpy values
        op = tensor._op
        inputs = tensor._inputs
        if op is not None and op.name == "where":
            inputs = inputs[1:]
        if op is None or op.name not in _WRAPPED_NUMBERS or op.torch == "RsubBackward1":
            inputs = tuple(item for item in inputs if type(item) is kind)
        return tuple((_node_of(item) if type(item) is kind else None, 0) for item in inputs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GradFn) and other._tensor is self._tensor

    def __hash__(self) -> int:
        return id(self._tensor)

    def __repr__(self) -> str:
        return f"<{self.name()}>"


# Ops whose PyTorch form wraps a Python number as a tensor argument (an entry None for it).
_WRAPPED_NUMBERS = frozenset({"add", "sub", "mul", "div"})


def _node_of(item: Tensor) -> GradFn | AccumulateGrad | None:
    if not item._rg:
        return None
    return AccumulateGrad(item) if item._op is None else GradFn(item)


class AccumulateGrad:
    """The backward node of a leaf that requires grad: it adds the gradient into `.grad`."""

    __slots__ = ("variable",)
    next_functions: tuple[tuple[Any, int], ...] = ()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        """PyTorch's name for this node."""
        return "torch::autograd::AccumulateGrad"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self) -> int:
        return id(self.variable)

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


_NUMBERS = (int, float, bool, np.number, np.ndarray, np.bool_)


def constant_value(value: Any) -> Any:
    """A non-tensor operand as a number numpy computes with, or None when it is not a number.

    Python floats and ints stay as they are: numpy treats them as weakly typed, as PyTorch
    does, so a float32 tensor times 2.0 stays float32. Float arrays keep their type; other
    numbers become float64.
    """
    kind = type(value)
    if kind is float or kind is int:
        return value
    if isinstance(value, _NUMBERS):
        array = np.asarray(value)
        if array.dtype.kind == "f":
            return scalarized(array)
        if array.dtype.kind in "biu":
            return scalarized(np.asarray(value, dtype=np.float64))
    return None


def checked_constant(value: Any) -> Any:
    """`constant_value(value)`, or an ArgumentError when `value` is not a number."""
    converted = constant_value(value)
    if converted is None:
        raise ArgumentError(f"cannot use a {type(value).__name__} in a tensor operation")
    return converted


def scalarized(value: Any) -> Any:
    """A 0-d array as a numpy scalar: scalar arithmetic is ten times faster than 0-d arrays'.

    So a 0-d tensor never shares storage with another tensor (PyTorch's 0-d views do).
    """
    if type(value) is np.ndarray and value.ndim == 0:
        return value[()]
    return value


def quiet(function: Callable[..., Any], *args: Any, **params: Any) -> Any:
    """`function(*args, **params)` with numpy's floating-point warnings silenced."""
    # Outside a function's domain the value is nan or inf, as in numpy, without a warning.
    with np.errstate(all="ignore"):
        return function(*args, **params)


def plus(a: Any, b: Any) -> Any:
    return a + b


def minus(a: Any, b: Any) -> Any:
    return a - b


def times(a: Any, b: Any) -> Any:
    return a * b


def divide(a: Any, b: Any) -> Any:
    with np.errstate(all="ignore"):
        return a / b
