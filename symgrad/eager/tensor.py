"""Eager tensors with PyTorch's autograd semantics, on numpy float64 arrays.

Each operation on a tensor that requires grad records only what backward needs: the op, its
inputs (tensors or constant values) and static parameters; the value is computed at once.
Backward (in `autograd`) runs the operation table's derivative rules on these records; no
symbolic node is built unless `.expr` asks for the DAG of the recorded computation (in
`tracing`). The records are `tensor_ops`; read-outs and printing are `tensor_values`.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any, Callable, Sequence

import numpy as np
import numpy.typing as npt

from ..core import limits
from ..core.errors import ArgumentError, AutogradError, LimitError, ShapeError
from ..core.expr import Expr, normalize_index, symbol
from ..core.opspec import OPS
from ..core.shapes import size_of
from ..ops.functions import dot
from ..ops.linalg import index_items
from .recording import (ADD, DIV, MUL, NEG, POW, RSUB, SUB, EagerOp, GradFn, checked_constant,
                         constant_value, divide, eager_op, minus, plus, quiet, scalarized, times)
from .values import TensorValues

_grad_enabled = True
_where_recorded = False  # the backward pass masks zero adjoints only once `where` was used
_retain_used = False  # and looks for retain_grad() only once it was called
_next_seq = itertools.count().__next__  # creation order: inputs always precede outputs


class no_grad:
    """Context manager (and decorator) in which tensor operations record nothing."""

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return function(*args, **kwargs)
        wrapped.__name__ = getattr(function, "__name__", "wrapped")
        wrapped.__doc__ = function.__doc__
        return wrapped


def set_grad_enabled(enabled: bool) -> bool:
    """Turn recording on or off; returns the previous setting (used by the backward pass)."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, enabled
    return previous


def _make(value: Any, op: EagerOp | None, inputs: tuple[Any, ...], params: dict[str, Any] | None) -> Tensor:
    tensor = _new(Tensor)
    tensor._value = value
    tensor._op = op
    tensor._inputs = inputs
    tensor._params = params
    tensor._rg = op is not None
    tensor._seq = _next_seq()
    tensor._adj = None
    tensor._mark = 0
    return tensor


def _leaf(value: Any, requires_grad: bool = False) -> Tensor:
    tensor = _make(scalarized(value), None, (), None)
    tensor._rg = requires_grad
    return tensor


make_leaf = _leaf


def _unpickled(value: Any, requires_grad: bool, name: str | None, grad: Tensor | None) -> Tensor:
    tensor = _leaf(value, requires_grad)
    if name is not None:
        tensor._name = name
    if grad is not None:
        tensor._grad = grad
    return tensor


def retain_used() -> bool:
    """Whether any tensor ever called retain_grad() (the backward pass then checks for it)."""
    return _retain_used


def where_recorded() -> bool:
    """Whether a `where` was ever recorded (the backward pass then masks zero adjoints)."""
    return _where_recorded


# Python ints up to this size are recorded as they are (numpy computes with them as float64),
# so a traced `2*x` is the exact 2*x, not 2.0*x.
_EXACT_INT = 2 ** 53


def _recorded_number(original: Any, value: Any) -> Any:
    return original if type(original) is int and abs(original) < _EXACT_INT else value


def _binary(op: EagerOp, compute: Callable[[Any, Any], Any], a: Any, b: Any) -> Tensor:
    """`compute(a, b)` on tensors or numbers; recorded when either tensor requires grad."""
    record = False
    if type(a) is Tensor:
        left, record = a._value, a._rg
    else:
        left = constant_value(a)
        if left is None:
            return NotImplemented  # type: ignore[no-any-return]
        a = _recorded_number(a, left)
    if type(b) is Tensor:
        right, record = b._value, record or b._rg
    else:
        right = constant_value(b)
        if right is None:
            return NotImplemented  # type: ignore[no-any-return]
        b = _recorded_number(b, right)
    try:
        value = compute(left, right)
    except ValueError as error:
        raise ShapeError(f"shapes {np.shape(left)} and {np.shape(right)} do not broadcast "
                         f"together in {op.name}") from error
    except MemoryError:
        raise _too_large(op.name, (left, right)) from None
    if record and _grad_enabled:
        return _make(value, op, (a, b), None)
    return _leaf(value)


def _too_large(name: str, values: Sequence[Any]) -> LimitError:
    # Checked only when numpy fails (a check before every operation would slow the hot path).
    elements = size_of(np.broadcast_shapes(*(np.shape(value) for value in values)))
    return limits.exceeded("MAX_ELEMENTS", elements, f"{name} of shapes "
                           f"{' and '.join(str(np.shape(value)) for value in values)}")


def apply_op(name: str, args: tuple[Any, ...], params: dict[str, Any], torch: str = "") -> Tensor:
    """Table operation `name` on tensors and numbers: the value now, the record if needed."""
    spec = OPS.get(name)
    if spec is None:
        raise ArgumentError(f"unknown operation {name!r}")
    if spec.arity >= 0 and len(args) != spec.arity:
        raise ArgumentError(f"{name} takes {spec.arity} argument(s), got {len(args)}")
    inputs = tuple(arg if type(arg) is Tensor else checked_constant(arg) for arg in args)
    values = [arg._value if type(arg) is Tensor else arg for arg in inputs]
    if spec.elementwise:
        try:
            value = quiet(spec.numpy, *values, **params)
        except ValueError as error:
            shapes = " and ".join(str(np.shape(v)) for v in values)
            raise ShapeError(f"shapes {shapes} do not broadcast together in {name}") from error
        except MemoryError:
            raise _too_large(name, values) from None
    else:
        if spec.shape is not None:
            spec.shape(*(np.shape(v) for v in values), **params)  # raises ShapeError
        value = scalarized(quiet(spec.numpy, *values, nb=0, **params))
    record = _grad_enabled and any(type(arg) is Tensor and arg._rg for arg in inputs)
    if not record:
        return _leaf(value)
    if name == "where":
        global _where_recorded
        _where_recorded = True
    return _make(value, eager_op(name, torch), inputs, params or None)


def _compare(name: str, function: Callable[[Any, Any], Any], a: Tensor, b: Any) -> Tensor:
    """A boolean tensor; its record (kept for `.expr`, never for backward) needs no grad."""
    right = b._value if type(b) is Tensor else constant_value(b)
    if right is None:
        return NotImplemented  # type: ignore[no-any-return]
    value = np.asarray(function(a._value, right))
    if not (_grad_enabled and (a._rg or (type(b) is Tensor and b._rg))):
        return _leaf(value)
    result = _make(value, eager_op(name), (a, b if type(b) is Tensor else right), None)
    result._rg = False
    return result


_new = object.__new__


class Tensor(TensorValues):
    """A float64 array with PyTorch-style autograd: build with `sg.tensor`, `sg.ones`, ...

    `.backward()` fills `.grad` of leaves that require grad; `.expr` is the symbolic DAG of
    the recorded computation (leaves that require grad become symbols).
    """

    __slots__ = ("_value", "_op", "_inputs", "_params", "_rg", "_seq", "_adj", "_mark",
                 "__dict__", "__weakref__")
    # Rarely set: kept in the instance dict, defaulting to these class attributes.
    _grad: Tensor | None = None
    _name: str | None = None
    _retain = False

    __array_priority__ = 1000
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray * Tensor -> Tensor
    __hash__ = object.__hash__

    _value: Any
    _op: EagerOp | None
    _inputs: tuple[Any, ...]
    _params: dict[str, Any] | None
    _rg: bool
    _seq: int  # creation order
    _adj: Any  # the adjoint, only during a backward pass
    _mark: int  # the last backward pass that reached this tensor

    def __init__(self, data: npt.ArrayLike, requires_grad: bool = False, name: str | None = None) -> None:
        value = data._value if isinstance(data, Tensor) else data
        try:
            if np.asarray(value).dtype.kind not in "biuf":  # None or text would become nan
                raise TypeError(value)
            self._value = scalarized(np.array(value, dtype=np.float64))
        except (TypeError, ValueError) as error:
            raise ArgumentError(f"a tensor needs numbers, not {data!r}") from error
        self._op, self._inputs, self._params, self._rg = None, (), None, False
        self._seq, self._adj, self._mark = _next_seq(), None, 0
        if requires_grad:
            self.requires_grad_(True)
        if name is not None:
            symbol(name)  # checks that the name is an identifier
            self._name = name

    def __reduce__(self) -> tuple[Any, ...]:
        """A leaf pickles with its values, `requires_grad`, name and `.grad`; a tensor computed
        by a recorded operation is refused (its graph holds closures): pickle `t.detach()`."""
        if not self.is_leaf:
            raise AutogradError(f"cannot pickle a tensor computed by a recorded operation "
                                f"({self._op.torch if self._op else '?'}); pickle t.detach() "
                                "(the values, without the graph)")
        return (_unpickled, (np.array(self._value), self._rg, self._name, self._grad))

    # -- autograd state ----------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for backward."""
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` on a leaf, in place; returns the tensor."""
        if self._rg and self._op is not None:
            raise AutogradError("you can only change requires_grad of leaf tensors; this one "
                                f"was computed ({self._op.torch}); use .detach() first")
        if requires_grad and self._value.dtype == np.bool_:
            raise AutogradError("only floating point tensors can require gradients")
        self._rg = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        """True unless the tensor was computed by a recorded operation."""
        return self._op is None or not self._rg

    @property
    def grad_fn(self) -> GradFn | None:
        """The backward node that computed this tensor (None for a leaf)."""
        return GradFn(self) if self._rg and self._op is not None else None

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient of a leaf; None (with a UserWarning) on a non-leaf."""
        if self._rg and self._op is not None and not self._retain:
            warnings.warn("The .grad attribute of a Tensor that is not a leaf Tensor is being "
                          "accessed. Its .grad attribute won't be populated during backward(); "
                          "use .retain_grad() on the non-leaf tensor if you want it.",
                          UserWarning, stacklevel=2)
            return None
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None and not isinstance(value, Tensor):
            raise ArgumentError(f"grad takes a Tensor or None, not {type(value).__name__}")
        self._grad = value

    def retain_grad(self) -> None:
        """Keep `.grad` of this non-leaf tensor during backward, as PyTorch does."""
        global _retain_used
        _retain_used = True
        self._retain = True

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires grad.

        A tensor of more than one element needs `gradient` (the v in v^T J). The graph is
        freed afterwards unless `retain_graph` (or `create_graph`, which also records the
        backward pass so it can be differentiated again).
        """
        from .autograd import backward
        backward([self], None if gradient is None else [gradient], retain_graph, create_graph)

    def detach(self) -> Tensor:
        """The same values (sharing storage), cut from the graph."""
        return _leaf(self._value)

    def clone(self) -> Tensor:
        """A copy with its own storage; gradients flow back through it."""
        copy = np.array(self._value)
        if self._rg and _grad_enabled:
            return _make(copy, eager_op("clone"), (self,), None)
        return _leaf(copy)

    @property
    def data(self) -> Tensor:
        """The values as a tensor that shares storage and records nothing."""
        return _leaf(self._value)

    @data.setter
    def data(self, value: Any) -> None:
        self._value = scalarized(np.array(value._value if isinstance(value, Tensor) else value,
                                          dtype=np.float64))

    @property
    def expr(self) -> Expr:
        """The symbolic DAG of the recorded computation (leaves that require grad are symbols)."""
        from .tracing import to_expr
        return to_expr(self)

    @property
    def T(self) -> Tensor:
        """The transpose (a view), named PermuteBackward0 as in PyTorch."""
        return apply_op("transpose", (self,), {}, "PermuteBackward0")

    def t(self) -> Tensor:
        """The transpose of a matrix, a view; a vector is its own transpose."""
        return apply_op("transpose", (self,), {}, "TBackward0")

    def zero_(self) -> Tensor:
        """Set every element to 0 in place (views see it); returns the tensor."""
        self._check_writable()
        self._cut()
        if isinstance(self._value, np.ndarray):
            self._value[...] = 0.0
        else:
            self._value = np.float64(0.0)
        return self

    def _cut(self) -> None:
        # A computed tensor overwritten in place no longer depends on its inputs.
        if self._op is not None:
            self._op, self._inputs, self._params, self._rg = None, (), None, False

    def _check_writable(self) -> None:
        if self._rg and self._op is None and _grad_enabled:
            raise AutogradError("cannot write into a leaf tensor that requires grad: the "
                                "recorded operations need its old values; write inside "
                                "`with sg.no_grad():` or into .detach()")

    def __setitem__(self, index: Any, value: Any) -> None:
        source = self._assignable(value)
        if isinstance(self._value, np.ndarray):
            self._value[index_items(normalize_index(index, self.shape))] = source
        else:
            array = np.array(self._value)
            array[index_items(normalize_index(index, self.shape))] = source
            self._value = array[()]

    def _assignable(self, value: Any) -> Any:
        """`value` as float64 numbers, after checking that writing into this tensor is allowed."""
        self._check_writable()
        if not self._rg:
            self._cut()  # a comparison's record no longer describes the new values
        if self._op is not None and _grad_enabled:
            raise AutogradError("cannot assign into a computed tensor that is part of a "
                                "recorded graph: backward would see the new values; assign "
                                "inside `with sg.no_grad():` or into .detach()")
        if isinstance(value, Tensor) and value._rg and _grad_enabled:
            raise AutogradError("assigning a tensor that requires grad into another is not "
                                "recorded, so gradients would be lost; assign value.detach()")
        source = value._value if isinstance(value, Tensor) else value
        try:
            return np.asarray(source, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise ArgumentError(f"cannot assign {source!r} into a tensor: not a number or "
                                "array of numbers") from error

    def _update(self, combine: Callable[[Any, Any], Any], other: Any,
                recorded: Callable[[Any, Any], Tensor]) -> Tensor:
        # In place, as PyTorch: `with sg.no_grad(): w -= lr * w.grad` keeps the same leaf.
        # Where the update must be recorded (a computed tensor, or a tensor that requires grad
        # on the right), `x -= y` rebinds x to the recorded result instead.
        recording = _grad_enabled and (self._op is not None or
                                       (isinstance(other, Tensor) and other._rg))
        if recording and not (self._rg and self._op is None):
            return recorded(self, other)
        result = combine(self._value, self._assignable(other))
        if np.shape(result) != self.shape:
            raise ShapeError(f"an in-place update cannot change shape {self.shape} "
                             f"to {np.shape(result)}")
        if isinstance(self._value, np.ndarray):
            self._value[...] = result
        else:
            self._value = np.float64(result)
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._update(np.add, other, lambda a, b: a + b)

    def __isub__(self, other: Any) -> Tensor:
        return self._update(np.subtract, other, lambda a, b: a - b)

    def __imul__(self, other: Any) -> Tensor:
        return self._update(np.multiply, other, lambda a, b: a * b)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._update(np.true_divide, other, lambda a, b: a / b)

    def __getitem__(self, index: Any) -> Tensor:
        normalized = normalize_index(index, self.shape)
        last = normalized[-1] if normalized else None
        torch = "SelectBackward0" if isinstance(last, int) else "SliceBackward0"
        return apply_op("index", (self,), {"index": normalized}, torch)

    # -- arithmetic ----------------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return _binary(ADD, plus, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _binary(ADD, plus, other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _binary(SUB, minus, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _binary(RSUB, minus, other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _binary(MUL, times, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _binary(MUL, times, other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _binary(DIV, divide, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _binary(DIV, divide, other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _matmul(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        kind = type(exponent)
        if kind is int or kind is float:
            # An int stays an int in the record, so a traced x**2 is the exact power.
            return _power_by_number(self, exponent if kind is int and abs(exponent) < _EXACT_INT
                                    else float(exponent))
        if type(exponent) is Tensor:
            return apply_op("power", (self, exponent), {}, "PowBackward1")
        if constant_value(exponent) is None:
            return NotImplemented
        if np.ndim(exponent) == 0:
            return _power_by_number(self, float(exponent))
        return apply_op("power", (self, exponent), {}, "PowBackward1")

    def __rpow__(self, base: Any) -> Tensor:
        if constant_value(base) is None:
            return NotImplemented
        return apply_op("power", (base, self), {}, "PowBackward2")

    def __neg__(self) -> Tensor:
        value = -self._value
        if self._rg and _grad_enabled:
            return _make(value, NEG, (self,), None)
        return _leaf(value)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return apply_op("abs", (self,), {})

    def __lt__(self, other: Any) -> Tensor:
        return _compare("lt", np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return _compare("le", np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _compare("gt", np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _compare("ge", np.greater_equal, self, other)

    def __eq__(self, other: Any) -> Any:
        if other is None:
            return False
        return _compare("eq", np.equal, self, other)

    def __ne__(self, other: Any) -> Any:
        if other is None:
            return True
        return _compare("ne", np.not_equal, self, other)

    # -- functions as methods ------------------------------------------------------------------
    def sum(self) -> Tensor:
        """The sum of all elements."""
        return apply_op("sum", (self,), {})

    def mean(self) -> Tensor:
        """The mean of all elements."""
        return apply_op("mean", (self,), {})

    def norm(self) -> Tensor:
        """The 2-norm of all elements."""
        return apply_op("norm", (self,), {})

    def prod(self) -> Tensor:
        """The product of all elements."""
        return apply_op("prod", (self,), {})

    def dot(self, other: Any) -> Tensor:
        """The dot product of two vectors."""
        return dot(self, other)

    def matmul(self, other: Any) -> Tensor:
        return _matmul(self, other)

    def pow(self, exponent: Any) -> Tensor:
        result: Tensor = self ** exponent
        return result

    def mm(self, other: Any) -> Tensor:
        """The product of two matrices (PyTorch's `mm`: 2-D only)."""
        _check_ndims("mm", (self, other), (2, 2))
        return _matmul(self, other)

    def mv(self, other: Any) -> Tensor:
        """A matrix times a vector (PyTorch's `mv`)."""
        _check_ndims("mv", (self, other), (2, 1))
        return _matmul(self, other)

    def double(self) -> Tensor:
        """This tensor as float64: itself, as every symgrad tensor is float64 (as PyTorch's
        `double()` of a float64 tensor)."""
        return self

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """Values limited to [min, max]; a missing bound is infinite."""
        return clamp(self, min, max)

    def where(self, condition: Any, other: Any) -> Tensor:
        """This tensor where `condition` is nonzero, else `other` (PyTorch's `x.where(c, y)`)."""
        return apply_op("where", (condition, self, other), {})

    @classmethod
    def __symgrad_apply__(cls, name: str, args: tuple[Any, ...], params: dict[str, Any]) -> Tensor:
        """The hook `sg.sin(tensor)` and friends dispatch to."""
        if name == "matmul":
            return _matmul(*args)
        if name == "clamp":
            return clamp(*args)
        return apply_op(name, args, params)


def _table_method(name: str) -> Callable[..., Tensor]:
    def method(self: Tensor, *others: Any) -> Tensor:
        return Tensor.__symgrad_apply__(name, (self, *others), {})
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"sg.{name} with this tensor as its first argument. {OPS[name].note}".strip()
    return method


# Every public operation is a method (x.sin(), y.atan2(x)) unless the class spells it itself
# (sum, clamp with optional bounds, where in PyTorch's argument order).
for _spec in OPS.values():
    if _spec.public and not hasattr(Tensor, _spec.name):
        setattr(Tensor, _spec.name, _table_method(_spec.name))


def _power_by_number(base: Tensor, exponent: float | int) -> Tensor:
    if exponent >= 0 and float(exponent).is_integer():
        value = base._value ** exponent  # cannot leave the domain: no error state needed
    else:
        value = quiet(np.power, base._value, exponent)
    if base._rg and _grad_enabled:
        return _make(value, POW, (base,), {"exponent": exponent})
    return _leaf(value)


_MATMUL_NAMES = {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (1, 2): "SqueezeBackward4",
                 (2, 2): "MmBackward0"}


def _matmul(a: Any, b: Any) -> Tensor:
    ranks = (np.ndim(a._value if type(a) is Tensor else a), np.ndim(b._value if type(b) is Tensor else b))
    return apply_op("matmul", (a, b), {}, _MATMUL_NAMES.get(ranks, "MmBackward0"))


def clamp(x: Any, low: Any = None, high: Any = None) -> Tensor:
    """`x` limited to [low, high] (a missing bound is infinite), named as PyTorch names it."""
    low = -np.inf if low is None else low
    high = np.inf if high is None else high
    tensor_bounds = type(low) is Tensor or type(high) is Tensor
    return apply_op("clamp", (x, low, high), {}, "ClampBackward0" if tensor_bounds else "ClampBackward1")


def _check_ndims(name: str, operands: tuple[Any, Any], ndims: tuple[int, int]) -> None:
    found = tuple(np.ndim(arg._value if type(arg) is Tensor else arg) for arg in operands)
    if found != ndims:
        raise ShapeError(f"{name} takes operands of {ndims[0]} and {ndims[1]} dimensions, "
                         f"not {found[0]} and {found[1]}")


def tensor(data: npt.ArrayLike, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A float64 tensor holding a copy of `data`; `name` names its symbol in `.expr`."""
    return Tensor(data, requires_grad=requires_grad, name=name)
