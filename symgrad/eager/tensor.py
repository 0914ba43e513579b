"""Eager tensors with PyTorch's autograd semantics, on numpy float64 arrays.

Each operation on a tensor that requires grad records only what backward needs: the op, its
inputs (tensors or constant values) and static parameters; the value is computed at once.
Backward (in `autograd`) runs the operation table's derivative rules on these records; no
symbolic node is built unless `.expr` asks for the DAG of the recorded computation (in
`tracing`). The records are `tensor_ops`; read-outs and printing are `tensor_values`.
"""

from __future__ import annotations

import builtins
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
from .dtypes import as_numpy_dtype, check_device, device, dtype
from .values import TensorValues

_grad_enabled = True
_where_recorded = False  # the backward pass masks zero adjoints only once `where` was used
_retain_used = False  # and looks for retain_grad() only once it was called
_hooks_used = False  # and for hooks only once one was registered
_inplace_used = False  # and checks versions only once an in-place operation ran
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


def inplace_used() -> builtins.bool:
    """Whether any in-place operation ever ran (the backward pass then checks versions)."""
    return _inplace_used


def hooks_used() -> builtins.bool:
    """Whether any tensor ever registered a hook (the backward pass then runs them)."""
    return _hooks_used


class RemovableHandle:
    """What `register_hook` returns: `handle.remove()` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


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
    kind_left, kind_right = type(left), type(right)
    if kind_left is not kind_right:
        # A Python number beside a float64 scalar: as numpy scalars they compute faster (here
        # and in the backward rules that reuse the constant); the type is float64 either way.
        # A whole number stays recorded as it is, so a traced 2*x is the exact 2*x.
        if kind_left is _F64 and kind_right in _PYTHON_NUMBERS:
            right = _F64(right)
            b = b if type(b) is int else right
        elif kind_right is _F64 and kind_left in _PYTHON_NUMBERS:
            left = _F64(left)
            a = a if type(a) is int else left
        elif kind_left not in _PYTHON_NUMBERS and kind_right not in _PYTHON_NUMBERS:
            left, right = torch_operands(left, right)
    elif kind_left is _NDARRAY and left.dtype != right.dtype:
        left, right = torch_operands(left, right)
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


_F64, _NDARRAY = np.float64, np.ndarray
_PYTHON_NUMBERS = frozenset({float, int, builtins.bool})
_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}
_WEAK = (float, int, builtins.bool)  # Python numbers: numpy already treats them as PyTorch does


def torch_operands(left: Any, right: Any) -> tuple[Any, Any]:
    """Two numpy operands converted to the type PyTorch computes them in.

    Of two operands of one kind (both with dimensions, or both 0-d) the higher category wins
    (bool < int < float: int64 + float32 is float32, where numpy gives float64), else the
    wider type. A 0-d tensor (a numpy scalar here) counts against one with dimensions only
    when its category is higher: float32 vector * float64 0-d tensor is float32.
    """
    first, second = np.result_type(left), np.result_type(right)
    if first == second:
        return left, right
    first_rank, second_rank = _CATEGORY.get(first.kind, 3), _CATEGORY.get(second.kind, 3)
    shaped_left, shaped_right = type(left) is np.ndarray, type(right) is np.ndarray
    if shaped_left != shaped_right and (second_rank <= first_rank if shaped_left else first_rank <= second_rank):
        target = first if shaped_left else second  # the 0-d operand adapts
    elif first_rank != second_rank:
        target = first if first_rank > second_rank else second
    else:
        target = np.promote_types(first, second)
    return _as_type(left, target), _as_type(right, target)


def _as_type(value: Any, target: np.dtype) -> Any:
    if type(value) is np.ndarray:
        return value.astype(target, copy=False)
    return target.type(value)


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
        if len(values) == 2 and not isinstance(values[0], _WEAK) and not isinstance(values[1], _WEAK):
            values = list(torch_operands(*values))
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
    _hooks: list[Callable[[Tensor], Tensor | None]] = []  # replaced per tensor on first use
    # In-place bookkeeping (see `_in_place`): how many in-place operations changed the values,
    # when (creation-order numbers), and the records the tensor held before each of them.
    _version_count = 0
    _modified: tuple[int, ...] = ()
    _history: tuple[tuple[int, Tensor], ...] = ()
    _snapshot_of: Tensor | None = None  # a snapshot's owner: whose storage and versions it has

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

    def __init__(self, data: npt.ArrayLike, requires_grad: bool = False, name: str | None = None, *,
                 dtype: object = None, device: object = None) -> None:
        check_device(device)
        value = data._value if isinstance(data, Tensor) else _numbers_of(data)
        try:
            kind = np.asarray(value).dtype
            if kind.kind not in "biuf":  # None or text would become nan
                raise TypeError(value)
            # Python numbers (and ints and bools) give float64; float32 data stays float32.
            target = (as_numpy_dtype(dtype) if dtype is not None else
                      kind if kind == np.float32 else np.dtype(np.float64))
            self._value = scalarized(np.array(value, dtype=target))
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
        if requires_grad and self._value.dtype.kind != "f":
            raise AutogradError("Only Tensors of floating point and complex dtype can require "
                                f"gradients (this one is {self.dtype})")
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
        if not self._rg:
            raise AutogradError("can't retain_grad on Tensor that has requires_grad=False")
        _retain_used = True
        self._retain = True

    @property
    def retains_grad(self) -> builtins.bool:
        """Whether retain_grad() was called on this non-leaf tensor."""
        return self._retain and self._op is not None

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call `hook(grad)` each time the gradient with respect to this tensor is computed;
        a tensor it returns replaces the gradient (for the leaf's `.grad` and for everything
        upstream). Returns a handle whose `remove()` unregisters it."""
        global _hooks_used
        if not self._rg:
            raise AutogradError("cannot register a hook on a tensor that doesn't require gradient")
        if not callable(hook):
            raise ArgumentError(f"register_hook takes a function, not {type(hook).__name__}")
        hooks = self.__dict__.setdefault("_hooks", [])
        hooks.append(hook)
        _hooks_used = True
        return RemovableHandle(hooks, hook)

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
        if isinstance(value, Tensor):
            self._value = value._value  # as PyTorch: the values (and their type) of `value`
        else:
            self._value = scalarized(np.array(value, dtype=np.float64))

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
        self._check_leaf_in_place()
        self._cut()
        if isinstance(self._value, np.ndarray):
            self._value[...] = 0
        else:
            self._value = self._value.dtype.type(0)
        self._bump()
        return self

    @property
    def _version(self) -> int:
        """How many in-place operations have changed this tensor (PyTorch's version counter)."""
        return self._version_count

    def _bump(self) -> int:
        """Count one in-place change; returns its creation-order number."""
        global _inplace_used
        _inplace_used = True
        when = _next_seq()
        self._version_count += 1
        self._modified = (*self._modified, when)
        return when

    def _in_place(self, compute: Callable[[], Tensor]) -> Tensor:
        """Make this tensor hold `compute()` (an out-of-place result computed from it), as
        PyTorch's in-place operations do: the values are written into this tensor's storage,
        the version counter counts it, and when the result is recorded this tensor becomes
        its node; the record it held before is kept for the operations that used it then."""
        self._check_leaf_in_place()
        result = compute()
        value = result._value
        if np.shape(value) != self.shape:
            raise ShapeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                             f"shape {list(np.shape(value))}")
        kind = np.result_type(self._value)
        if not np.can_cast(np.result_type(value), kind, "same_kind"):
            raise ArgumentError(f"result type {dtype_name(value)} can't be cast to the desired "
                                f"output type {dtype_name(self._value)}")
        recorded = result._rg and result._op is not None
        before: Tensor | None = None
        if recorded:  # what the result's record reads as "self": the record, or the old values
            before = _snapshot(self) if self._rg and self._op is not None else _leaf(np.array(self._value))
            if before._op is not None:
                before._value = np.array(self._value)[()]  # the old values, as PyTorch saves them
        if isinstance(self._value, np.ndarray):
            self._value[...] = value
        else:
            self._value = kind.type(value)
        when = self._bump()
        if recorded:
            inputs = result._inputs
            inputs = tuple(before if item is self else item for item in inputs)
            if before is not None and before._op is not None:
                self._history = (*self._history, (when, before))
            self._op, self._inputs, self._params, self._rg = result._op, inputs, result._params, True
            self._seq = when  # after every input, the snapshot of itself included
        return self

    def _cut(self) -> None:
        # A computed tensor overwritten in place no longer depends on its inputs.
        if self._op is not None:
            self._op, self._inputs, self._params, self._rg = None, (), None, False

    def _check_leaf_in_place(self) -> None:
        if self._rg and self._op is None and _grad_enabled:
            raise AutogradError("a leaf Variable that requires grad is being used in an "
                                "in-place operation.")

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
        """`value` as numbers of this tensor's type, after checking that writing is allowed."""
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
            return np.asarray(source, dtype=np.result_type(self._value))
        except (TypeError, ValueError) as error:
            raise ArgumentError(f"cannot assign {source!r} into a tensor: not a number or "
                                "array of numbers") from error

    def _update(self, combine: Callable[[Any, Any], Any], other: Any,
                recorded: Callable[[Any, Any], Tensor]) -> Tensor:
        # In place, as PyTorch: `with sg.no_grad(): w -= lr * w.grad` keeps the same leaf;
        # a recorded update (a computed tensor, or a tensor that requires grad on the right)
        # is an in-place operation with its record, as PyTorch's `x += y`.
        recording = _grad_enabled and ((self._rg and self._op is not None) or
                                       (isinstance(other, Tensor) and other._rg))
        if recording or (self._rg and self._op is None and _grad_enabled):
            return self._in_place(lambda: recorded(self, other))
        self._assignable(other)  # the checks: writable, a number, not a recorded right side
        right = other._value if isinstance(other, Tensor) else constant_value(other)
        with np.errstate(all="ignore"):
            result = combine(*torch_operands(self._value, right)) if not isinstance(right, _WEAK) \
                else combine(self._value, right)
        if np.shape(result) != self.shape:
            raise ShapeError(f"an in-place update cannot change shape {self.shape} "
                             f"to {np.shape(result)}")
        if not np.can_cast(np.result_type(result), np.result_type(self._value), "same_kind"):
            raise ArgumentError(f"result type {dtype_name(result)} can't be cast to the desired "
                                f"output type {dtype_name(self._value)}")
        if isinstance(self._value, np.ndarray):
            self._value[...] = result
        else:
            self._value = self._value.dtype.type(result)
        self._bump()
        return self

    # -- in-place operations (PyTorch's trailing underscore) -------------------------------------
    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """self += alpha * other, in place."""
        return self._in_place(lambda: self + (other if alpha == 1 else alpha * other))

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """self -= alpha * other, in place."""
        return self._in_place(lambda: self - (other if alpha == 1 else alpha * other))

    def mul_(self, other: Any) -> Tensor:
        """self *= other, in place."""
        return self._in_place(lambda: self * other)

    def div_(self, other: Any) -> Tensor:
        """self /= other, in place."""
        return self._in_place(lambda: self / other)

    def pow_(self, exponent: Any) -> Tensor:
        """self **= exponent, in place."""
        return self._in_place(lambda: self ** exponent)

    def neg_(self) -> Tensor:
        """self = -self, in place."""
        return self._in_place(lambda: -self)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """Limit the values to [min, max] in place."""
        return self._in_place(lambda: clamp(self, min, max))

    def fill_(self, value: Any) -> Tensor:
        """Set every element to `value` in place."""
        self._check_leaf_in_place()
        self._cut()
        number = value._value if isinstance(value, Tensor) else value
        if isinstance(self._value, np.ndarray):
            self._value[...] = number
        else:
            self._value = self._value.dtype.type(number)
        self._bump()
        return self

    def copy_(self, src: Any) -> Tensor:
        """Copy the values of `src` (broadcast to this shape) into this tensor, in place;
        gradients flow to `src` when it requires grad."""
        source = src if isinstance(src, Tensor) else Tensor(src)
        if source.shape != self.shape:
            source = apply_op("broadcast_to", (source,), {"shape": self.shape})
        def copied() -> Tensor:
            if source._rg and _grad_enabled:  # recorded: gradients reach `src`, not the old self
                return apply_op("add", (self * 0.0, source), {}, "torch::autograd::CopyBackwards")
            return _leaf(np.array(source._value))
        return self._in_place(copied)

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
        return _binary(ADD, plus, self, other)  # torch's order: x.__radd__(2) is x + 2

    def __sub__(self, other: Any) -> Tensor:
        return _binary(SUB, minus, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _binary(RSUB, minus, other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _binary(MUL, times, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _binary(MUL, times, self, other)

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

    # -- element type and device ------------------------------------------------------------
    def to(self, *args: Any, dtype: object = None, device: object = None, copy: bool = False,
           non_blocking: bool = False) -> Tensor:
        """This tensor in another dtype and/or on a device, as PyTorch: `.to(sg.float32)`,
        `.to("cpu")`, `.to("cpu", sg.float64)`, `.to(other)`. Itself when nothing changes;
        otherwise a converted copy that gradients flow back through (ToCopyBackward0)."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif _is_dtype(arg):
                dtype = arg
            else:
                check_device(arg)
        check_device(device)
        target = np.result_type(self._value) if dtype is None else as_numpy_dtype(dtype)
        if target == np.result_type(self._value) and not copy:
            return self
        value = scalarized(np.array(self._value, dtype=target))
        if self._rg and _grad_enabled and target.kind == "f":
            return _make(value, _TO_COPY, (self,), None)
        return _leaf(value)

    def type(self, dtype: object = None) -> Any:  # noqa: A003
        """With a dtype, `.to(dtype)`; without, the type's name as PyTorch spells it."""
        if dtype is None:
            return _TYPE_NAMES[self.dtype.name]
        return self.to(dtype)

    def double(self) -> Tensor:
        """This tensor as float64 (itself when it is float64, as PyTorch)."""
        return self.to(_FLOAT64)

    def float(self) -> Tensor:  # noqa: A003
        """This tensor as float32 (PyTorch's `float` is float32)."""
        return self.to(_FLOAT32)

    def long(self) -> Tensor:
        """This tensor as int64 (truncated toward 0)."""
        return self.to(_INT64)

    def bool(self) -> Tensor:  # noqa: A003
        """This tensor as booleans (nonzero is True)."""
        return self.to(_BOOL)

    def cpu(self) -> Tensor:
        """Itself: every symgrad tensor lives on the CPU."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """Refused: symgrad runs on the CPU only."""
        check_device("cuda")
        return self

    @property
    def device(self) -> device:
        """Where the values live: always `device(type='cpu')`."""
        return _CPU

    @property
    def is_cuda(self) -> builtins.bool:  # builtins: the class's own `bool` method shadows it
        return False

    def is_floating_point(self) -> builtins.bool:
        """Whether the dtype is float32 or float64."""
        return bool(self.dtype.is_floating_point)

    def element_size(self) -> int:
        """Bytes per element."""
        return int(self.dtype.itemsize)

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
        if name in _BY_NUMBER and len(args) == 2 and type(args[1]) is not Tensor:
            return apply_op(name, args, params, _BY_NUMBER[name])
        return apply_op(name, args, params)

    def __mod__(self, other: Any) -> Tensor:
        return Tensor.__symgrad_apply__("remainder", (self, other), {})

    def __rmod__(self, other: Any) -> Tensor:
        return apply_op("remainder", (other, self), {})


# Ops PyTorch names ...Backward0 when the second operand is a number (Backward1 for tensors).
_BY_NUMBER = {"remainder": "RemainderBackward0", "fmod": "FmodBackward0"}


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


def _numbers_of(data: Any) -> Any:
    """Nested lists with each tensor in them replaced by its number, as torch.tensor reads
    `[t1, t2]` of one-element tensors: a vector, not a column. Without recursion."""
    if not isinstance(data, (list, tuple)):
        return data
    root = list(data)
    stack = [root]
    while stack:
        items = stack.pop()
        for position, item in enumerate(items):
            if isinstance(item, Tensor):
                if item.numel() != 1:
                    raise ArgumentError("only one element tensors can be converted to Python "
                                        f"scalars (an element of shape {item.shape} inside a list)")
                items[position] = item.item()
            elif isinstance(item, (list, tuple)):
                items[position] = list(item)
                stack.append(items[position])
    return root


def _in_place_method(name: str) -> Callable[..., Tensor]:
    def method(self: Tensor, *others: Any) -> Tensor:
        return self._in_place(lambda: Tensor.__symgrad_apply__(name, (self, *others), {}))
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"x.{name}() written into x, in place."
    return method


# PyTorch's in-place forms of the elementwise functions (x.exp_(), x.sigmoid_(), ...).
for _spec in OPS.values():
    if _spec.public and _spec.elementwise and not hasattr(Tensor, _spec.name + "_"):
        setattr(Tensor, _spec.name + "_", _in_place_method(_spec.name))


def _snapshot(tensor: Tensor) -> Tensor:
    """A new tensor holding `tensor`'s record and storage as they are now (before an in-place
    operation replaces them), with its creation-order number and version history."""
    copy = _new(Tensor)
    copy._value, copy._op, copy._inputs, copy._params = tensor._value, tensor._op, tensor._inputs, tensor._params
    copy._rg, copy._seq, copy._adj, copy._mark = tensor._rg, tensor._seq, None, 0
    copy._version_count, copy._modified = tensor._version_count, tensor._modified
    copy._snapshot_of = tensor
    return copy


def dtype_name(value: Any) -> str:
    """PyTorch's name of a value's type, as its messages write it (`Double`, `Float`, ...)."""
    return {"float64": "Double", "float32": "Float", "int64": "Long", "bool": "Bool"}.get(
        np.result_type(value).name, np.result_type(value).name)


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


def tensor(data: npt.ArrayLike, requires_grad: bool = False, name: str | None = None, *,
           dtype: object = None, device: object = None) -> Tensor:
    """A tensor holding a copy of `data`: float64 for Python numbers (ints too), float32 for
    float32 data, or `dtype`; `name` names its symbol in `.expr`."""
    return Tensor(data, requires_grad=requires_grad, name=name, dtype=dtype, device=device)


def _is_dtype(value: object) -> bool:
    if isinstance(value, dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return True
    return type(value).__name__ == "dtype" or isinstance(value, np.dtype)  # torch's, numpy's


_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)
_INT64, _BOOL = np.dtype(np.int64), np.dtype(np.bool_)
_TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
               "int64": "torch.LongTensor", "bool": "torch.BoolTensor"}
_CPU = device("cpu")
_TO_COPY = eager_op("to_copy", "ToCopyBackward0")
