"""Eager tensors with PyTorch's autograd semantics, on numpy float64 arrays.

Each operation on a tensor that requires grad records only what backward needs: the op, its
inputs (tensors or constant values) and static parameters; the value is computed at once.
Backward (in `autograd`) runs the operation table's derivative rules on these records; no
symbolic node is built unless `.expr` asks for the DAG of the recorded computation.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any, Callable, Iterator

import numpy as np

from . import ops  # noqa: F401  (registers the operation table)
from .errors import ArgumentError, AutogradError, ShapeError
from .expr import Expr, apply, constant, normalize_index, symbol
from .opspec import OPS, GradRule
from .ops.linalg import index_items
from .shapes import Shape

_grad_enabled = True
_where_recorded = False  # the backward pass masks zero adjoints only once `where` was used
_retain_used = False  # and looks for retain_grad() only once it was called
_names = itertools.count()
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
_STATELESS = frozenset({"add", "sub", "neg", "sum", "mean", "index", "transpose", "clone",
                        "broadcast_to", "sum_to", "stack", "scatter"})

# Operators Python offers beyond the table's canonical ops (a - b is add(a, -1*b) there).
_EXTRA: dict[str, tuple[GradRule, Callable[..., Expr]]] = {
    "sub": (lambda F, g, out, a, b: (g, -g), lambda a, b: a - b),
    "div": (lambda F, g, out, a, b: (g / b, -g * out / b), lambda a, b: a / b),
    "neg": (lambda F, g, out, a: (-g,), lambda a: -a),
    "clone": (lambda F, g, out, a: (g,), lambda a: a),
}
_EAGER: dict[tuple[str, str], EagerOp] = {}
# The table's add rule takes any number of terms; eager sums always have two.
_FAST_RULES: dict[str, GradRule] = {"add": lambda F, g, out, a, b: (g, g)}


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
        label = label if label[-1].isdigit() else label + "Backward0"
        op = EagerOp(name, grad, label, name not in _STATELESS, to_expr)
        _EAGER[key] = op
    return op


_ADD, _MUL, _SUB = eager_op("add"), eager_op("mul"), eager_op("sub")
_RSUB, _NEG, _DIV = eager_op("sub", "RsubBackward1"), eager_op("neg", "Neg"), eager_op("div", "Div")
_POW = eager_op("pow")


class GradFn:
    """The backward node of a recorded tensor, printed as PyTorch prints it: `<AddBackward0>`."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self._tensor = tensor

    def name(self) -> str:
        """The PyTorch-style name, such as `MulBackward0`."""
        return self._tensor._op.torch  # type: ignore[union-attr]

    @property
    def next_functions(self) -> tuple[tuple[GradFn | None, int], ...]:
        """The backward nodes of the inputs (None for leaves and constants), as PyTorch."""
        return tuple((GradFn(item) if type(item) is Tensor and item._rg and item._op is not None else None, 0)
                     for item in self._tensor._inputs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GradFn) and other._tensor is self._tensor

    def __hash__(self) -> int:
        return id(self._tensor)

    def __repr__(self) -> str:
        return f"<{self.name()}>"


_NUMBERS = (int, float, bool, np.number, np.ndarray, np.bool_)


def _constant_value(value: Any) -> Any:
    """A non-tensor operand as a numpy value, or None when it is not a number."""
    kind = type(value)
    if kind is float or kind is int:
        return np.float64(value)
    if isinstance(value, _NUMBERS):
        return scalarized(np.asarray(value, dtype=np.float64))
    return None


def scalarized(value: Any) -> Any:
    """A 0-d array as a numpy scalar: scalar arithmetic is ten times faster than 0-d arrays'.

    So a 0-d tensor never shares storage with another tensor (PyTorch's 0-d views do).
    """
    if type(value) is np.ndarray and value.ndim == 0:
        return value[()]
    return value


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


def retain_used() -> bool:
    """Whether any tensor ever called retain_grad() (the backward pass then checks for it)."""
    return _retain_used


def where_recorded() -> bool:
    """Whether a `where` was ever recorded (the backward pass then masks zero adjoints)."""
    return _where_recorded


def _binary(op: EagerOp, compute: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    """`compute(a, b)` on tensors or numbers; recorded when either tensor requires grad."""
    record = False
    if type(a) is Tensor:
        left, record = a._value, a._rg
    else:
        left = _constant_value(a)
        if left is None:
            return NotImplemented
        a = left
    if type(b) is Tensor:
        right, record = b._value, record or b._rg
    else:
        right = _constant_value(b)
        if right is None:
            return NotImplemented
        b = right
    try:
        value = compute(left, right)
    except ValueError as error:
        raise ShapeError(f"shapes {np.shape(left)} and {np.shape(right)} do not broadcast "
                         f"together in {op.name}") from error
    if record and _grad_enabled:
        return _make(value, op, (a, b), None)
    return _leaf(value)


def _quiet(function: Callable[..., Any], *args: Any, **params: Any) -> Any:
    # Outside a function's domain the value is nan or inf, as in numpy, without a warning.
    with np.errstate(all="ignore"):
        return function(*args, **params)


def apply_op(name: str, args: tuple[Any, ...], params: dict[str, Any], torch: str = "") -> Tensor:
    """Table operation `name` on tensors and numbers: the value now, the record if needed."""
    spec = OPS.get(name)
    if spec is None:
        raise ArgumentError(f"unknown operation {name!r}")
    if spec.arity >= 0 and len(args) != spec.arity:
        raise ArgumentError(f"{name} takes {spec.arity} argument(s), got {len(args)}")
    inputs = tuple(arg if type(arg) is Tensor else _checked_constant(arg) for arg in args)
    values = [arg._value if type(arg) is Tensor else arg for arg in inputs]
    if spec.elementwise:
        try:
            value = _quiet(spec.numpy, *values, **params)
        except ValueError as error:
            shapes = " and ".join(str(np.shape(v)) for v in values)
            raise ShapeError(f"shapes {shapes} do not broadcast together in {name}") from error
    else:
        if spec.shape is not None:
            spec.shape(*(np.shape(v) for v in values), **params)  # raises ShapeError
        value = scalarized(_quiet(spec.numpy, *values, nb=0, **params))
    record = _grad_enabled and any(type(arg) is Tensor and arg._rg for arg in inputs)
    if not record:
        return _leaf(value)
    if name == "where":
        global _where_recorded
        _where_recorded = True
    return _make(value, eager_op(name, torch), inputs, params or None)


def _checked_constant(value: Any) -> Any:
    converted = _constant_value(value)
    if converted is None:
        raise ArgumentError(f"cannot use a {type(value).__name__} in a tensor operation")
    return converted


def _compare(name: str, function: Callable[[Any, Any], Any], a: Tensor, b: Any) -> Any:
    """A boolean tensor; its record (kept for `.expr`, never for backward) needs no grad."""
    right = b._value if type(b) is Tensor else _constant_value(b)
    if right is None:
        return NotImplemented
    value = np.asarray(function(a._value, right))
    if not (_grad_enabled and (a._rg or (type(b) is Tensor and b._rg))):
        return _leaf(value)
    result = _make(value, eager_op(name), (a, b if type(b) is Tensor else right), None)
    result._rg = False
    return result


_new = object.__new__


class Tensor:
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

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None) -> None:
        value = data._value if isinstance(data, Tensor) else data
        try:
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
        return to_expr(self)

    # -- values ------------------------------------------------------------------------------
    @property
    def shape(self) -> Shape:
        return tuple(np.shape(self._value))

    @property
    def ndim(self) -> int:
        return int(np.ndim(self._value))

    @property
    def dtype(self) -> np.dtype:
        return np.asarray(self._value).dtype

    @property
    def T(self) -> Tensor:
        """The transpose (a view), named PermuteBackward0 as in PyTorch."""
        return apply_op("transpose", (self,), {}, "PermuteBackward0")

    def t(self) -> Tensor:
        """The transpose of a matrix, a view; a vector is its own transpose."""
        return apply_op("transpose", (self,), {}, "TBackward0")

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return int(np.size(self._value))

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]

    def stride(self) -> tuple[int, ...]:
        """Steps between elements along each axis, counted in elements as PyTorch does."""
        array = np.asarray(self._value)
        return tuple(step // array.itemsize for step in array.strides)

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if np.size(self._value) != 1:
            raise ArgumentError(f"item() needs a tensor with one element, not shape {self.shape}")
        return np.asarray(self._value).reshape(()).item()

    def tolist(self) -> Any:
        return np.asarray(self._value).tolist()

    def numpy(self) -> np.ndarray:
        """The values as a numpy array sharing storage."""
        value = self._value
        return value if isinstance(value, np.ndarray) else np.asarray(value)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        array = np.asarray(self._value, dtype=dtype)
        return np.array(array) if copy else array

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        return (self[position] for position in range(len(self)))

    def __bool__(self) -> bool:
        if np.size(self._value) != 1:
            raise ArgumentError(f"the truth value of a tensor with {np.size(self._value)} "
                                "elements is ambiguous; use .any() or .all()")
        return bool(np.asarray(self._value).reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        return int(self.item())

    def any(self) -> bool:
        return bool(np.any(self._value))

    def all(self) -> bool:
        return bool(np.all(self._value))

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
        if isinstance(self._value, np.ndarray):
            self._value[index_items(normalize_index(index, self.shape))] = source
        else:
            array = np.array(self._value)
            array[index_items(normalize_index(index, self.shape))] = source
            self._value = array[()]

    def __getitem__(self, index: Any) -> Tensor:
        normalized = normalize_index(index, self.shape)
        last = normalized[-1] if normalized else None
        torch = "SelectBackward0" if isinstance(last, int) else "SliceBackward0"
        return apply_op("index", (self,), {"index": normalized}, torch)

    # -- arithmetic ----------------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return _binary(_ADD, _plus, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _binary(_ADD, _plus, other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _binary(_SUB, _minus, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _binary(_RSUB, _minus, other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _binary(_MUL, _times, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _binary(_MUL, _times, other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _binary(_DIV, _divide, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _binary(_DIV, _divide, other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _matmul(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        kind = type(exponent)
        if kind is int or kind is float:
            return _power_by_number(self, float(exponent))
        if type(exponent) is Tensor:
            return apply_op("power", (self, exponent), {}, "PowBackward1")
        if _constant_value(exponent) is None:
            return NotImplemented
        if np.ndim(exponent) == 0:
            return _power_by_number(self, float(exponent))
        return apply_op("power", (self, exponent), {}, "PowBackward1")

    def __rpow__(self, base: Any) -> Tensor:
        if _constant_value(base) is None:
            return NotImplemented
        return apply_op("power", (base, self), {}, "PowBackward2")

    def __neg__(self) -> Tensor:
        value = -self._value
        if self._rg and _grad_enabled:
            return _make(value, _NEG, (self,), None)
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

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        if other is None:
            return False
        return _compare("eq", np.equal, self, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
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
        from .functions import dot
        return dot(self, other)

    def matmul(self, other: Any) -> Tensor:
        return _matmul(self, other)

    def pow(self, exponent: Any) -> Tensor:
        return self ** exponent

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """Values limited to [min, max]; a missing bound is infinite."""
        return clamp(self, min, max)

    @classmethod
    def __symgrad_apply__(cls, name: str, args: tuple[Any, ...], params: dict[str, Any]) -> Tensor:
        """The hook `sg.sin(tensor)` and friends dispatch to."""
        if name == "matmul":
            return _matmul(*args)
        if name == "clamp":
            return clamp(*args)
        return apply_op(name, args, params)

    # -- printing --------------------------------------------------------------------------------
    def __repr__(self) -> str:
        suffixes = []
        if self._rg and self._op is not None:
            suffixes.append(f"grad_fn=<{self._op.torch}>")
        elif self._rg:
            suffixes.append("requires_grad=True")
        return format_tensor(np.asarray(self._value), suffixes)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if np.ndim(self._value) == 0:  # as PyTorch: f"{t}" of a 0-d tensor is its number
            return format(self.item(), spec)
        return format(repr(self), spec)


def _unary_method(name: str) -> Callable[[Tensor], Tensor]:
    def method(self: Tensor) -> Tensor:
        return apply_op(name, (self,), {})
    method.__name__ = name
    method.__doc__ = f"{name}(self), elementwise."
    return method


for _name in ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "log",
              "log2", "log10", "sqrt", "abs", "sign", "sigmoid", "relu", "softplus", "erf"):
    setattr(Tensor, _name, _unary_method(_name))


def _plus(a: Any, b: Any) -> Any:
    return a + b


def _minus(a: Any, b: Any) -> Any:
    return a - b


def _times(a: Any, b: Any) -> Any:
    return a * b


def _divide(a: Any, b: Any) -> Any:
    with np.errstate(all="ignore"):
        return a / b


def _power_by_number(base: Tensor, exponent: float) -> Tensor:
    if exponent >= 0 and exponent.is_integer():
        value = base._value ** exponent  # cannot leave the domain: no error state needed
    else:
        value = _quiet(np.power, base._value, exponent)
    if base._rg and _grad_enabled:
        return _make(value, _POW, (base,), {"exponent": exponent})
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


# -- the symbolic DAG of a recorded computation ------------------------------------------------
def to_expr(root: Tensor) -> Expr:
    """The Expr that computes `root` from its leaves, built iteratively over the record."""
    built: dict[int, Expr] = {}
    for node in _tensor_order(root):
        if node._op is None:
            built[id(node)] = _leaf_expr(node)
        else:
            args = [built[id(item)] if type(item) is Tensor else constant(item)
                    for item in node._inputs]
            built[id(node)] = node._op.to_expr(*args, **(node._params or {}))
    return built[id(root)]


def _leaf_expr(node: Tensor) -> Expr:
    if not node._rg and node._name is None:
        return constant(np.asarray(node._value, dtype=np.float64))
    if node._name is None:
        node._name = f"t{next(_names)}"
    return symbol(node._name, node.shape)


def _tensor_order(root: Tensor) -> list[Tensor]:
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((item, False) for item in reversed(node._inputs) if type(item) is Tensor)
    return order


# -- factories ---------------------------------------------------------------------------------
def tensor(data: Any, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A float64 tensor holding a copy of `data`; `name` names its symbol in `.expr`."""
    return Tensor(data, requires_grad=requires_grad, name=name)


def _shape_of(shape: tuple[Any, ...]) -> Shape:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(extent, (int, np.integer)) and extent >= 0 for extent in shape):
        raise ArgumentError(f"a shape is non-negative whole numbers, not {shape!r}")
    return tuple(int(extent) for extent in shape)


def ones(*shape: Any, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: `sg.ones(2, 2)` or `sg.ones((2, 2))`."""
    return _leaf(np.ones(_shape_of(shape)))._init_grad(requires_grad)


def zeros(*shape: Any, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    return _leaf(np.zeros(_shape_of(shape)))._init_grad(requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, requires_grad: bool = False) -> Tensor:
    """Values from `start` (or 0) up to but excluding `end`, as float64."""
    values = np.arange(0.0, start, step) if end is None else np.arange(start, end, step, dtype=np.float64)
    return _leaf(values.astype(np.float64))._init_grad(requires_grad)


_RANDOM = np.random.default_rng()


def randn(*shape: Any, requires_grad: bool = False, seed: int | None = None) -> Tensor:
    """Standard normal samples; `seed` makes them reproducible."""
    generator = _RANDOM if seed is None else np.random.default_rng(seed)
    return _leaf(generator.standard_normal(_shape_of(shape)))._init_grad(requires_grad)


def _init_grad(self: Tensor, requires_grad: bool) -> Tensor:
    return self.requires_grad_(True) if requires_grad else self


Tensor._init_grad = _init_grad  # type: ignore[attr-defined]


def trace(function: Callable[..., Any], **example_args: Any) -> Expr:
    """Run `function` on tensors made from `example_args` and return the Expr of the path taken.

    Loops and ifs run as ordinary Python at the example point; the result is an Expr in
    symbols named after the keyword arguments.
    """
    previous = set_grad_enabled(True)
    try:
        arguments = {name: tensor(value, requires_grad=True, name=name)
                     for name, value in example_args.items()}
        result = function(**arguments)
    finally:
        set_grad_enabled(previous)
    if isinstance(result, Tensor):
        return to_expr(result)
    return constant(result)


# -- printing as PyTorch prints (its default print options) -------------------------------------
_LINE_WIDTH, _PRECISION, _THRESHOLD, _EDGE_ITEMS = 80, 4, 1000, 3


class _Formatter:
    """One number format for a whole tensor, chosen the way PyTorch chooses it."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = values.ravel()
        if not self.floating:
            self.width = max((len(str(item)) for item in flat.tolist()), default=1)
            return
        finite = flat[np.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        magnitudes = np.abs(finite)
        low, high = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        wide = high / low > 1000.0 or high > 1.0e8
        self.sci_mode = wide if self.int_mode else (wide or low < 1.0e-4)
        self.width = max(len(self._plain(float(item))) for item in finite)

    def _plain(self, value: float) -> str:
        if self.sci_mode:
            return f"{value:.{_PRECISION}e}"
        if self.int_mode:
            return f"{value:.0f}" + ("." if np.isfinite(value) else "")
        return f"{value:.{_PRECISION}f}"

    def format(self, value: Any) -> str:
        text = self._plain(float(value)) if self.floating else str(value)
        return text.rjust(self.width)


def _rows(values: np.ndarray, indent: int, formatter: _Formatter, summarize: bool) -> str:
    if values.ndim == 0:
        return formatter.format(values.item())
    count = values.shape[0]
    positions: list[int | None] = list(range(count))
    if summarize and count > 2 * _EDGE_ITEMS:
        positions = [*range(_EDGE_ITEMS), None, *range(count - _EDGE_ITEMS, count)]
    if values.ndim == 1:
        items = ["..." if p is None else formatter.format(values[p].item()) for p in positions]
        per_line = max(1, (_LINE_WIDTH - indent) // (formatter.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    parts = ["..." if p is None else _rows(values[p], indent + 1, formatter, summarize)
             for p in positions]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_tensor(values: np.ndarray, suffixes: list[str]) -> str:
    """`tensor(...)` text as PyTorch prints a float32 tensor (no dtype shown)."""
    prefix = "tensor("
    summarize = values.size > _THRESHOLD
    shown = values
    if summarize:
        shown = _edges(values)
    text = _rows(values, len(prefix), _Formatter(shown), summarize)
    if values.size == 0:
        suffixes = [f"size={values.shape}", *suffixes]
    last = len(text.rsplit("\n", 1)[-1]) + (len(prefix) if "\n" not in text else len(prefix))
    for suffix in suffixes:
        if last + len(suffix) + 2 > _LINE_WIDTH:
            text += ",\n" + " " * len(prefix) + suffix
            last = len(prefix) + len(suffix)
        else:
            text += ", " + suffix
            last += len(suffix) + 2
    return prefix + text + ")"


def _edges(values: np.ndarray) -> np.ndarray:
    """The first and last few entries along every axis (what a summary shows)."""
    for axis in range(values.ndim):
        if values.shape[axis] > 2 * _EDGE_ITEMS:
            head = np.take(values, range(_EDGE_ITEMS), axis=axis)
            tail = np.take(values, range(values.shape[axis] - _EDGE_ITEMS, values.shape[axis]), axis=axis)
            values = np.concatenate([head, tail], axis=axis)
    return values
