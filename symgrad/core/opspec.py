"""The OpSpec record and the OPS registry: everything about one operation, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .shapes import Shape

# A derivative rule: rule(F, g, out, *args, **params) -> one adjoint (or None) per argument.
# `F` is a backend (symbolic, numeric or eager) offering every registered op as a method, so a
# rule written once builds DAG nodes, computes numbers, or records tensors.
GradRule = Callable[..., tuple[Any, ...]]
ShapeRule = Callable[..., Shape]


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
    build: Callable[..., Any] | None = None
    fold: bool = False
    note: str = ""


OPS: dict[str, OpSpec] = {}


def register(spec: OpSpec) -> OpSpec:
    """Add `spec` to the registry under its name."""
    if spec.name in OPS:
        raise RuntimeError(f"operation {spec.name!r} registered twice")
    OPS[spec.name] = spec
    return spec
