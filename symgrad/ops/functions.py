"""Public functions (`sg.sin`, `sg.atan2`, ...) and the calls the expression language knows.

Each function takes Exprs, eager Tensors and plain numbers alike: Exprs build DAG nodes, a
Tensor records the operation (through its `__symgrad_apply__`), numbers are just computed.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Protocol, cast, overload

import numpy as np

from .. import ops  # noqa: F401  (registers the operation table)
from ..core import limits
from ..core.errors import ArgumentError, ShapeError
from ..core.expr import (Expr, apply, as_expr, constant, constant_value, named_constant,
                         normalize_index, power as _power)
from ..core.opspec import OPS

if TYPE_CHECKING:  # annotations only: the eager layer sits above this one
    from ..eager.tensor import Tensor

PI = named_constant("pi")
E = named_constant("E")


def call(name: str, *args: Any, **params: Any) -> Expr | Tensor | Numeric:
    """Operation `name` on Exprs (a node), Tensors (recorded) or numbers (a value)."""
    for arg in args:
        hook = getattr(type(arg), "__symgrad_apply__", None)
        if hook is not None:
            recorded: Tensor = hook(name, args, params)
            return recorded
    if any(isinstance(arg, Expr) for arg in args):
        return apply(name, *args, **params)
    node = apply(name, *(constant(arg) for arg in args), **params)
    value = node.eval()  # numbers are computed through the Expr.eval facade
    return float(value) if np.ndim(value) == 0 else value


# The public functions' types: an Expr gives an Expr, a Tensor a Tensor, a number a float.
Operand = Expr | np.ndarray | float  # what a symbolic or plain-number call accepts
Numeric = np.ndarray | float  # the result of a call on plain numbers (a 0-d result is a float)


class Elementwise(Protocol):
    """A one-argument public function such as `sg.sin`."""

    @overload
    def __call__(self, x: Expr, /) -> Expr: ...
    @overload
    def __call__(self, x: Tensor, /) -> Tensor: ...
    @overload
    def __call__(self, x: float, /) -> float: ...
    @overload
    def __call__(self, x: np.ndarray, /) -> Numeric: ...


class Reduction(Protocol):
    """A whole-array reduction such as `sg.sum`: a plain-number array gives a float."""

    @overload
    def __call__(self, x: Expr, /) -> Expr: ...
    @overload
    def __call__(self, x: Tensor, /) -> Tensor: ...
    @overload
    def __call__(self, x: np.ndarray | float, /) -> float: ...


class Binary(Protocol):
    """A two-argument public function such as `sg.atan2`; an Expr operand makes an Expr."""

    @overload
    def __call__(self, a: Expr, b: Operand, /) -> Expr: ...
    @overload
    def __call__(self, a: Operand, b: Expr, /) -> Expr: ...
    @overload
    def __call__(self, a: Tensor, b: Tensor | Numeric, /) -> Tensor: ...
    @overload
    def __call__(self, a: Numeric, b: Tensor, /) -> Tensor: ...
    @overload
    def __call__(self, a: float, b: float, /) -> float: ...
    @overload
    def __call__(self, a: Numeric, b: Numeric, /) -> Numeric: ...


def _binary(function: Callable[[Any, Any], Any]) -> Binary:
    """`function` typed by its overloads (the body dispatches at run time through `call`)."""
    return cast(Binary, function)


def _unary(name: str) -> Elementwise:
    def function(x: Expr | Tensor | Numeric) -> Expr | Tensor | Numeric:
        return call(name, x)
    function.__name__ = name
    function.__doc__ = f"{name}(x), elementwise. {OPS[name].note}".strip()
    return cast(Elementwise, function)


def _reduction(name: str) -> Reduction:
    return cast(Reduction, _unary(name))


sin, cos, tan = _unary("sin"), _unary("cos"), _unary("tan")
asin, acos, atan = _unary("asin"), _unary("acos"), _unary("atan")
sinh, cosh, tanh = _unary("sinh"), _unary("cosh"), _unary("tanh")
asinh, acosh, atanh = _unary("asinh"), _unary("acosh"), _unary("atanh")
sec, csc, cot = _unary("sec"), _unary("csc"), _unary("cot")
sech, csch, coth = _unary("sech"), _unary("csch"), _unary("coth")
asec, acsc, acot = _unary("asec"), _unary("acsc"), _unary("acot")
asech, acsch, acoth = _unary("asech"), _unary("acsch"), _unary("acoth")
exp2, log1p, sinc = _unary("exp2"), _unary("log1p"), _unary("sinc")
exp, log2, log10 = _unary("exp"), _unary("log2"), _unary("log10")
expm1 = _unary("expm1")
sqrt, cbrt, erf = _unary("sqrt"), _unary("cbrt"), _unary("erf")
abs, sign = _unary("abs"), _unary("sign")  # noqa: A001
sigmoid, relu, softplus = _unary("sigmoid"), _unary("relu"), _unary("softplus")
sum, mean, prod, norm = (_reduction("sum"), _reduction("mean"),  # noqa: A001
                         _reduction("prod"), _reduction("norm"))


@overload
def log(x: Expr, base: Operand | None = None) -> Expr: ...
@overload
def log(x: Operand, base: Expr) -> Expr: ...
@overload
def log(x: Tensor, base: Tensor | Numeric | None = None) -> Tensor: ...
@overload
def log(x: float, base: float | None = None) -> float: ...
@overload
def log(x: Numeric, base: Numeric | None = None) -> Numeric: ...
def log(x: Expr | Tensor | Numeric, base: Expr | Tensor | Numeric | None = None) -> Expr | Tensor | Numeric:
    """The natural logarithm, or the logarithm to `base`: log(x)/log(base)."""
    if base is None:
        return call("log", x)
    if isinstance(base, (int, float)) and not (base > 0 and base != 1):
        raise ArgumentError(f"a logarithm's base must be positive and not 1, not {base!r}")
    if isinstance(x, Expr) or isinstance(base, Expr):
        if isinstance(base, Expr) and base.op == "const" and base.shape == () and \
                not (float(constant_value(base)) > 0 and float(constant_value(base)) != 1):
            raise ArgumentError(f"a logarithm's base must be positive and not 1, not {base}")
        return apply("log", x) / apply("log", base)
    return call("log", x) / call("log", base)


@_binary
def atan2(y: Expr | Tensor | Numeric, x: Expr | Tensor | Numeric) -> Expr | Tensor | Numeric:
    """The angle of the point (x, y); same argument order as numpy."""
    return call("atan2", y, x)


@_binary
def remainder(a: Expr | Tensor | Numeric, b: Expr | Tensor | Numeric) -> Expr | Tensor | Numeric:
    """a - b*floor(a/b), elementwise: the sign of b, as Python's % and torch.remainder."""
    return call("remainder", a, b)


@_binary
def fmod(a: Expr | Tensor | Numeric, b: Expr | Tensor | Numeric) -> Expr | Tensor | Numeric:
    """a - b*trunc(a/b), elementwise: the sign of a, as C's fmod and torch.fmod."""
    return call("fmod", a, b)


@_binary
def min(a: Expr | Tensor | Numeric, b: Expr | Tensor | Numeric) -> Expr | Tensor | Numeric:  # noqa: A001
    """The elementwise minimum; at a tie each argument gets half of the gradient."""
    return call("min", a, b)


@_binary
def max(a: Expr | Tensor | Numeric, b: Expr | Tensor | Numeric) -> Expr | Tensor | Numeric:  # noqa: A001
    """The elementwise maximum; at a tie each argument gets half of the gradient."""
    return call("max", a, b)


@overload
def heaviside(x: Expr, h0: Operand | None = None) -> Expr: ...
@overload
def heaviside(x: Operand, h0: Expr) -> Expr: ...
@overload
def heaviside(x: Tensor, h0: Tensor | Numeric | None = None) -> Tensor: ...
@overload
def heaviside(x: float, h0: float | None = None) -> float: ...
@overload
def heaviside(x: Numeric, h0: Numeric | None = None) -> Numeric: ...
def heaviside(x: Expr | Tensor | Numeric,
              h0: Expr | Tensor | Numeric | None = None) -> Expr | Tensor | Numeric:
    """0 where x < 0, `h0` where x == 0, 1 where x > 0, elementwise (numpy's and torch's
    heaviside, SymPy's Heaviside). `h0` defaults to 1/2, SymPy's value. Its derivative is 0 in
    both arguments: everywhere but x = 0, where it does not exist."""
    if h0 is None:
        h0 = constant(Fraction(1, 2)) if isinstance(x, Expr) else 0.5
    return call("heaviside", x, h0)


@overload
def clamp(x: Expr, low: Operand, high: Operand) -> Expr: ...
@overload
def clamp(x: Tensor, low: Tensor | Numeric, high: Tensor | Numeric) -> Tensor: ...
@overload
def clamp(x: float, low: float, high: float) -> float: ...
@overload
def clamp(x: Expr | Tensor | Numeric, low: Expr | Tensor | Numeric,
          high: Expr | Tensor | Numeric) -> Expr | Tensor | Numeric: ...
def clamp(x: Expr | Tensor | Numeric, low: Expr | Tensor | Numeric,
          high: Expr | Tensor | Numeric) -> Expr | Tensor | Numeric:
    """x limited to [low, high]; the gradient passes to x at the bounds, as in PyTorch."""
    return call("clamp", x, low, high)


@overload
def where(condition: Expr, chosen: Operand, other: Operand) -> Expr: ...
@overload
def where(condition: Tensor, chosen: Tensor | Numeric, other: Tensor | Numeric) -> Tensor: ...
@overload
def where(condition: float, chosen: float, other: float) -> float: ...
@overload
def where(condition: Expr | Tensor | Numeric, chosen: Expr | Tensor | Numeric,
          other: Expr | Tensor | Numeric) -> Expr | Tensor | Numeric: ...
def where(condition: Expr | Tensor | Numeric, chosen: Expr | Tensor | Numeric,
          other: Expr | Tensor | Numeric) -> Expr | Tensor | Numeric:
    """`chosen` where `condition` is nonzero, else `other`; differentiates the chosen branch."""
    return call("where", condition, chosen, other)


@overload
def transpose(x: Expr) -> Expr: ...
@overload
def transpose(x: Tensor) -> Tensor: ...
@overload
def transpose(x: np.ndarray) -> np.ndarray: ...
def transpose(x: Expr | Tensor | Numeric) -> Expr | Tensor | Numeric:
    """The transpose of a matrix (last two axes); a vector is its own transpose."""
    return call("transpose", x)


@_binary
def outer(a: Expr | Tensor | Numeric, b: Expr | Tensor | Numeric) -> Expr | Tensor | Numeric:
    """The outer product of two vectors."""
    return call("outer", a, b)


@_binary
def matmul(a: Expr | Tensor | Numeric, b: Expr | Tensor | Numeric) -> Expr | Tensor | Numeric:
    """Matrix product `a @ b` of vectors and matrices."""
    return call("matmul", a, b)


@_binary
def dot(a: Expr | Tensor | Numeric, b: Expr | Tensor | Numeric) -> Expr | Tensor | Numeric:
    """The dot product of two vectors (1-D only, as torch.dot)."""
    shapes = [np.shape(arg) if not hasattr(arg, "shape") else tuple(arg.shape) for arg in (a, b)]
    if any(len(shape) != 1 for shape in shapes):
        raise ShapeError(f"dot takes two vectors, not shapes {shapes[0]} and {shapes[1]}")
    return call("matmul", a, b)


# -- the builders the parser calls ----------------------------------------------------------------
def add(terms: list[Expr]) -> Expr:
    """One n-ary sum of `terms`."""
    return apply("add", *terms)


def multiply(factors: list[Expr]) -> Expr:
    """One n-ary product of `factors`."""
    return apply("mul", *factors)


def negate(a: Any) -> Expr:
    return apply("mul", -1, a)


def subtract(a: Any, b: Any) -> Expr:
    return apply("add", a, negate(b))


def divide(a: Any, b: Any) -> Expr:
    return apply("mul", a, _power(as_expr(b), -1))


def power(a: Any, b: Any) -> Expr:
    return _power(as_expr(a), b)


_RELATIONS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}


def compare(relation: str, a: Any, b: Any) -> Expr:
    """A 0/1 comparison node; `relation` is one of < <= > >= == !=."""
    return apply(_RELATIONS[relation], a, b)


def array(items: list[Expr]) -> Expr:
    """One level of an array literal."""
    return apply("stack", *items)


# -- call table -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Call:
    """A function the expression language can call: its builder and argument counts."""

    name: str
    build: Callable[..., Expr]
    min_args: int
    max_args: int


def _static_ints(name: str, values: tuple[Expr, ...]) -> tuple[int, ...]:
    result = []
    for value in values:
        number = float(constant_value(value)) if value.op == "const" and value.shape == () else 0.5
        if not number.is_integer() or abs(number) > 1 << 62:
            raise ArgumentError(f"{name} takes whole numbers after its first argument")
        result.append(int(constant_value(value)))
    return tuple(result)


def _index_item(value: Expr) -> Any:
    """An int, or a `(start, stop, step)` range from a `[start, stop, step]` literal (the
    printed form of a slice)."""
    if value.op == "const" and value.shape == (3,):
        return _static_ints("index", tuple(constant(v) for v in constant_value(value)))
    return _static_ints("index", (value,))[0]


def _rebuild_index(x: Expr, *items: Expr) -> Expr:
    return x[tuple(_index_item(item) for item in items)]


def _rebuild_scatter(x: Expr, shape: Expr, *items: Expr) -> Expr:
    if shape.op != "const" or shape.ndim != 1:
        raise ArgumentError("scatter takes the target shape as a list of whole numbers")
    target = _checked_extents("scatter", _static_ints("scatter", tuple(constant(v) for v in constant_value(shape))))
    index = normalize_index(tuple(_index_item(item) for item in items), target)
    if apply("index", constant(np.zeros(target)), index=index).shape != x.shape:
        raise ShapeError(f"scatter: a value of shape {x.shape} does not fit that index of {target}")
    return apply("scatter", x, index=index, shape=target)


def _checked_extents(name: str, extents: tuple[int, ...]) -> tuple[int, ...]:
    if any(extent < 0 or extent > 1 << 31 for extent in extents):
        raise ShapeError(f"{name}: {extents} is not a valid shape")
    limits.check_elements(extents, f"the result of {name}")
    return extents


def _rebuild_shaped(name: str) -> Callable[..., Expr]:
    return lambda x, *extents: apply(name, x, shape=_checked_extents(name, _static_ints(name, extents)))


def _table() -> dict[str, Call]:
    table = {name: Call(name, (lambda n: lambda *args: apply(n, *args))(name), spec.arity, spec.arity)
             for name, spec in OPS.items() if spec.public and spec.arity >= 0}
    many = 1 << 30
    table["log"] = Call("log", lambda x, base=None: log(x, base), 1, 2)
    table["heaviside"] = Call("heaviside", lambda x, h0=None: heaviside(x, h0), 1, 2)
    table["dot"] = Call("dot", dot, 2, 2)
    table["matmul"] = Call("matmul", matmul, 2, 2)
    table["prod_except"] = Call("prod_except", lambda x: apply("prod_except", x), 1, 1)
    table["index"] = Call("index", _rebuild_index, 2, many)
    table["scatter"] = Call("scatter", _rebuild_scatter, 3, many)
    table["sum_to"] = Call("sum_to", _rebuild_shaped("sum_to"), 1, many)
    table["broadcast_to"] = Call("broadcast_to", _rebuild_shaped("broadcast_to"), 1, many)
    return table


CALLS: dict[str, Call] = _table()


def suggest(name: str) -> str | None:
    """The known function name closest to `name`, if one is close."""
    matches = difflib.get_close_matches(name, list(CALLS), n=1, cutoff=0.6)
    return matches[0] if matches else None
