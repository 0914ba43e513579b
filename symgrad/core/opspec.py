"""The OpSpec record and the OPS registry: everything about one operation, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from .shapes import Shape, broadcast

# A value a derivative rule computes with: an Expr (symbolic sweep), a numpy array or number
# (numeric sweeps), or a Tensor (backward with create_graph). All of them support + - * / **
# and unary -, with numpy broadcasting, so rules write arithmetic with operators.
Value = Any


class Backend(Protocol):
    """The `F` a derivative rule is written against: symbolic, numeric or eager.

    One rule, written once, builds DAG nodes (`calculus.differentiate.SymbolicBackend`),
    computes numbers (`numeric.backend.NumericBackend`), or records tensors
    (`eager.autograd.TensorBackend`). Each backend offers every registered op as a method
    (`F.cos(x)`, `F.where(c, a, b)`, `F.index(g, index=...)`); the ones rules call today are
    listed here, so a rule that calls anything else fails type checking. Shapes are core
    (per-point) shapes: a numeric backend's batch axes are invisible to rules.
    """

    def shape(self, value: Value) -> Shape:
        """The core shape of `value`."""
        ...

    def sum_to(self, value: Value, shape: Shape) -> Value:
        """`value` summed over the axes it has beyond `shape` (the adjoint of broadcasting)."""
        ...

    def broadcast_to(self, value: Value, shape: Shape, exact: bool = False) -> Value:
        """`value` broadcast to `shape`; unless `exact`, a backend whose values broadcast
        implicitly (Exprs) may return it as it is."""
        ...

    # -- the operations rules call (each is an entry of OPS) --------------------------------
    def sin(self, x: Value) -> Value: ...
    def cos(self, x: Value) -> Value: ...
    def tan(self, x: Value) -> Value: ...
    def cot(self, x: Value) -> Value: ...
    def sinh(self, x: Value) -> Value: ...
    def cosh(self, x: Value) -> Value: ...
    def sqrt(self, x: Value) -> Value: ...
    def pow(self, x: Value, *, exponent: Any) -> Value: ...
    def exp(self, x: Value) -> Value: ...
    def log(self, x: Value) -> Value: ...
    def sigmoid(self, x: Value) -> Value: ...
    def sign(self, x: Value) -> Value: ...
    def max(self, a: Value, b: Value) -> Value: ...
    def heaviside(self, x: Value, h0: Value) -> Value: ...
    def lt(self, a: Value, b: Value) -> Value: ...
    def le(self, a: Value, b: Value) -> Value: ...
    def gt(self, a: Value, b: Value) -> Value: ...
    def ge(self, a: Value, b: Value) -> Value: ...
    def eq(self, a: Value, b: Value) -> Value: ...
    def ne(self, a: Value, b: Value) -> Value: ...
    def where(self, condition: Value, chosen: Value, other: Value) -> Value: ...
    def sum(self, x: Value) -> Value: ...
    def prod_except(self, x: Value) -> Value: ...
    def matmul(self, a: Value, b: Value) -> Value: ...
    def outer(self, a: Value, b: Value) -> Value: ...
    def transpose(self, x: Value) -> Value: ...
    def index(self, x: Value, *, index: tuple[Any, ...]) -> Value: ...
    def scatter(self, x: Value, *, index: tuple[Any, ...], shape: Shape) -> Value: ...


class GradRule(Protocol):
    """A derivative rule: `rule(F, g, out, *args, **params)` -> one adjoint (or None) per
    argument, each at the node's shape or broadcastable to it (generic code fits it to the
    argument's shape with `fit_shape`). `g` is the upstream adjoint, `out` the node's value."""

    def __call__(self, F: Backend, g: Value, out: Value, /, *args: Any,
                 **params: Any) -> tuple[Any, ...]: ...


ShapeRule = Callable[..., Shape]


class Jets(Protocol):
    """The `J` a Taylor-mode rule sees (`calculus.jets.JetAlgebra`): truncated Taylor series
    ("jets") whose coefficients are values of its base backend `F`. `ZERO` (the int 0) is a
    coefficient known to be zero."""

    F: Backend
    backend: Backend

    def constant(self, value: Value) -> Any: ...
    def series(self, compute: Callable[[int], Value]) -> Any: ...
    def add(self, *terms: Any) -> Any: ...
    def multiply(self, *factors: Any) -> Any: ...
    def divide(self, numerator: Any, denominator: Any) -> Any: ...
    def coefficientwise(self, name: str, *jets: Any, **params: Any) -> Any: ...
    def bilinear(self, name: str, a: Any, b: Any, **params: Any) -> Any: ...


class TaylorRule(Protocol):
    """A Taylor-mode rule: `rule(J, *arg_jets, **params)` -> the node's jet. Elementwise ops
    without one derive it from their derivative rule (see `calculus.jets`)."""

    def __call__(self, J: Jets, /, *args: Any, **params: Any) -> Any: ...


def symbolic(F: Backend) -> bool:
    """Whether a rule runs on expressions: the symbolic sweep, or Taylor mode on Exprs (the
    backends say so with a `symbolic` attribute). Such rules keep numbers exact and textbook
    forms; numeric backends take floats and PyTorch's masking."""
    return getattr(F, "symbolic", False) is True  # `is`: some backends answer any attribute


def fit_shape(F: Backend, value: Value, shape: Shape, exact: bool = True) -> Value:
    """A contribution fitted to an argument's `shape`, as every sweep does it.

    Summed over the axes the argument was broadcast along, or broadcast when a rule left it
    smaller than the node. With `exact=False` a value that merely broadcasts to `shape` may
    stay as it is (an elementwise rule multiplies it into the right shape anyway).
    """
    have = F.shape(value)
    if have == shape:
        return value
    if broadcast(have, shape) == shape:
        return F.broadcast_to(value, shape, exact=True) if exact else value
    return F.sum_to(value, shape)


@dataclass(frozen=True, slots=True)
class OpSpec:
    """Everything about one operation: evaluation, derivative, shape, printing, SymPy mapping.

    - `numpy`: `numpy(*values, **params)`; elementwise ops get arrays already aligned for
      broadcasting, other ops (elementwise=False) also get `nb=`, the number of leading batch
      axes every value has.
    - `grad`: the derivative rule, written with symgrad operations so it differentiates again.
    - `shape`: `shape(*arg_shapes, **params)`; elementwise ops broadcast by default.
    - `sympy`: name of the SymPy function, or a callable `(sympy, *args, **params)`.
    - `from_sympy`: name of the SymPy class whose instances convert back to this op (same
      argument order); by default `sympy` when that names a class. A callable `sympy` that
      builds one class (a relation inside a Piecewise) names it here; one that builds a
      composite (sigmoid is `1/(1 + exp(-x))`) leaves it unset.
    - `latex`: a template over `{0}`, `{1}`, ...; every entry gives one except `add`, `mul`
      and `pow`, which printing lays out itself (signs, fractions, roots).
    - `torch`: the stem of PyTorch's backward node name (`Sin` -> `SinBackward0`).
    - `domain`: for tests, an interval `(low, high)` per argument where the op is smooth.
    - `commutative`: the arguments can be swapped (DOT draws their edges unnumbered).
    - `public`: callable by name in the expression language, as `sg.<name>` and as a Tensor
      method (`x.sin()`, `y.atan2(x)`: the tensor is the first argument).
    - `taylor`: the Taylor-mode rule (`TaylorRule`); None for an elementwise op, whose rule
      derives from `grad`. Every non-elementwise op gives one.
    - `exact`: `exact(*fractions, **params)`, the op's exact value at exact rational arguments
      where that is rational (sqrt(4) = 2, log(1) = 0, exp(0) = 1), else None: the node then
      stays symbolic (sqrt(2), log(3)) and only numeric paths give its float.
    - `build`: the canonicalising constructor (simplification while building), if any; it ends
      in `expr.make_node`. Ops without one fold constants when `fold` is set.
    """

    name: str
    arity: int
    numpy: Callable[..., Any]
    grad: GradRule | None
    elementwise: bool = True
    shape: ShapeRule | None = None
    sympy: str | Callable[..., Any] | None = None
    from_sympy: str | None = None
    latex: str | None = None
    torch: str = ""
    domain: tuple[tuple[float, float], ...] = ()
    commutative: bool = False
    public: bool = True
    taylor: TaylorRule | None = None
    build: Callable[..., Any] | None = None
    fold: bool = False
    exact: Callable[..., Any] | None = None
    note: str = ""


OPS: dict[str, OpSpec] = {}


def register(spec: OpSpec) -> OpSpec:
    """Add `spec` to the registry under its name."""
    if spec.name in OPS:
        raise RuntimeError(f"operation {spec.name!r} registered twice")
    OPS[spec.name] = spec
    return spec
