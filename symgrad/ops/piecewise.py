"""Piecewise operations and comparisons.

Where a derivative does not exist, symgrad takes PyTorch's choice: abs'(0) = 0, relu'(0) = 0,
clamp passes the gradient at its bounds, min/max split it 0.5/0.5 at a tie, and `where`
differentiates only the selected branch. The rules of relu, min, max and clamp are written
with `heaviside(u, h0)` (SymPy's `Heaviside(u, h0)`), its value at u = 0 carrying the choice:
d/dx max(x, y) is heaviside(x - y, 1/2), as SymPy's diff(Max(x, y), x) = Heaviside(x - y).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..core.expr import Expr, build_plain, constant_value
from ..core.opspec import OPS, Backend, Jets, OpSpec, register, symbolic

_NO_GRAD = lambda F, g, out, *args: tuple(None for _ in args)  # noqa: E731


def float_type(*values: Any) -> np.dtype:
    """The floating type values of these types compute in: float32 only when every float
    among them is float32 (Python numbers adapt), otherwise float64."""
    found = np.result_type(*values)
    return found if found.kind == "f" else np.dtype(np.float64)


def _comparison(name: str, numpy: Any, relation: str, latex: str, sympy_class: str) -> None:
    register(OpSpec(
        name=name, arity=2, numpy=lambda a, b: numpy(a, b).astype(float_type(a, b)), grad=_NO_GRAD,
        fold=True, public=False, latex="{0} " + latex + " {1}", torch=name.capitalize(),
        commutative=name in ("eq", "ne"), from_sympy=sympy_class,
        sympy=lambda sympy, a, b: sympy.Piecewise((1, getattr(sympy, relation)(a, b)), (0, True)),
        domain=((-3, 3), (-3, 3)), note="1.0 where the relation holds, else 0.0",
        exact=lambda a, b: Fraction(int(bool(numpy(a, b)))),
    ))


# SymPy's Lt(a, b) is an instance of StrictLessThan, and so on: the classes name the way back.
_comparison("lt", np.less, "Lt", "<", "StrictLessThan")
_comparison("le", np.less_equal, "Le", r"\le", "LessThan")
_comparison("gt", np.greater, "Gt", ">", "StrictGreaterThan")
_comparison("ge", np.greater_equal, "Ge", r"\ge", "GreaterThan")
_comparison("eq", np.equal, "Eq", "=", "Equality")
_comparison("ne", np.not_equal, "Ne", r"\ne", "Unequality")


def _exact(F: Backend, value: Fraction) -> Fraction | float:
    # Exact on expressions (prints 1/2), a float where numbers compute (numpy takes no Fraction).
    return value if symbolic(F) else float(value)


def _minus(a: Any, b: Any) -> Any:
    """a - b; on expressions a sum b is subtracted term by term (x + y - 1, not x - (1 - y)),
    as SymPy writes it, so the argument of heaviside reads as one sum."""
    if isinstance(b, Expr) and b.op == "add":
        return sum((-term for term in b.args), start=a)
    return a - b


def _tie_split(F: Backend, g: Any, winner: Any, loser: Any) -> tuple[Any, Any]:
    # The argument that is larger (max) or smaller (min) takes the gradient; at a tie each
    # takes half of it, as PyTorch does. winner - loser > 0 where the first argument wins.
    half = _exact(F, Fraction(1, 2))
    return (g * F.heaviside(_minus(winner, loser), half),
            g * F.heaviside(_minus(loser, winner), half))


def sympy_condition(sympy: Any, condition: Any) -> Any:
    """The SymPy relation behind a 0/1 comparison value (or `condition != 0`)."""
    if isinstance(condition, sympy.Piecewise) and len(condition.args) == 2:
        (one, relation), (zero, _) = condition.args
        if one == 1 and zero == 0:
            return relation
    return sympy.Ne(condition, 0)


def build_where(condition: Expr, chosen: Expr, other: Expr) -> Expr:
    """`where(condition, chosen, other)`; a constant condition picks its branch at once."""
    if chosen is other or (condition.op == "const" and constant_value(condition).size and
                           (np.all(condition.value) or not np.any(condition.value))):
        picked = chosen if chosen is other or np.all(condition.value) else other
        if picked.shape == condition.shape or condition.shape == ():
            return picked
    return build_plain(OPS["where"], (condition, chosen, other), {})


def _clamp_grad(F: Backend, g: Any, out: Any, x: Any, low: Any, high: Any) -> tuple[Any, Any, Any]:
    # clamp = min(max(x, low), high): the gradient goes to whichever argument the value is,
    # x at the bounds (as PyTorch: low <= x <= high), low where x < low <= high, and high
    # where max(x, low) > high (which holds everywhere when low > high).
    return (g * (F.heaviside(_minus(x, low), 1) * F.heaviside(_minus(high, x), 1)),
            g * (F.heaviside(_minus(low, x), 0) * F.heaviside(_minus(high, low), 1)),
            g * F.heaviside(_minus(F.max(x, low), high), 0))


def _heaviside_exact(x: Fraction, h0: Fraction) -> Fraction:
    return Fraction(1) if x > 0 else Fraction(0) if x < 0 else h0


_HEAVISIDE_CLASSES: dict[int, Any] = {}


def _heaviside_sympy(sympy: Any, x: Any, h0: Any) -> Any:
    """SymPy's Heaviside(x, h0). An h0 with symbols gets the derivative in h0 that SymPy leaves
    unevaluated: 0, as symgrad's (a subclass, so it prints, lambdifies and converts back as
    Heaviside); a number h0 (every derivative rule's) gives SymPy's own class."""
    if not getattr(h0, "free_symbols", None):
        return sympy.Heaviside(x, h0)
    kind = _HEAVISIDE_CLASSES.get(id(sympy))
    if kind is None:
        def fdiff(self: Any, argindex: int = 1) -> Any:
            return sympy.Heaviside.fdiff(self, argindex) if argindex == 1 else sympy.Integer(0)

        def new(cls: Any, arg: Any, h0: Any = sympy.S.Half, **options: Any) -> Any:
            # Heaviside.__new__ calls super(cls, cls), which recurses in a subclass.
            return sympy.Function.__new__(cls, arg, h0, **options)
        kind = type("Heaviside", (sympy.Heaviside,), {"fdiff": fdiff, "__new__": new})
        _HEAVISIDE_CLASSES[id(sympy)] = kind
    return kind(x, h0)


def _heaviside_taylor(J: Jets, x: Any, h0: Any) -> Any:
    # Constant on each side of 0: the jet is its value, every higher coefficient 0.
    return J.constant(J.F.heaviside(x[0], h0[0]))


register(OpSpec(
    name="heaviside", arity=2, numpy=np.heaviside, grad=_NO_GRAD, taylor=_heaviside_taylor,
    sympy=_heaviside_sympy, from_sympy="Heaviside", torch="Heaviside", exact=_heaviside_exact,
    # The template says what it means; printing writes the sides of a difference (x > y).
    latex=r"\begin{{cases}} 1 & {0} > 0 \\ {1} & {0} = 0 \\ 0 & \text{{otherwise}} \end{{cases}}",
    domain=((-3, 3), (0, 1)),  # both sides of the jump (random points never land on 0)
    note="0 where x < 0, h0 where x == 0, 1 where x > 0 (numpy's and torch's heaviside, "
         "SymPy's Heaviside(x, h0)); its derivative is 0 in both arguments (everywhere "
         "but x = 0, where it does not exist)",
))
register(OpSpec(
    name="abs", arity=1, numpy=np.abs, grad=lambda F, g, out, x: (g * F.sign(x),),
    sympy="Abs", latex=r"\left|{0}\right|", torch="Abs", domain=((0.2, 3),), exact=abs,
    note="abs'(0) = 0, as PyTorch",
))
register(OpSpec(
    name="sign", arity=1, numpy=np.sign, grad=_NO_GRAD, sympy="sign", torch="Sign",
    latex=r"\operatorname{{sgn}}\left({0}\right)", domain=((0.2, 3),),
    exact=lambda x: Fraction((x > 0) - (x < 0)),
))
register(OpSpec(
    name="relu", arity=1, numpy=lambda x: np.maximum(x, 0.0),
    grad=lambda F, g, out, x: (g * F.heaviside(x, 0),), torch="Relu",
    exact=lambda x: max(x, Fraction(0)),
    sympy=lambda sympy, x: sympy.Piecewise((x, x > 0), (0, True)),
    latex=r"\operatorname{{relu}}\left({0}\right)", domain=((0.2, 3),),
    note="relu'(0) = 0, as PyTorch",
))
register(OpSpec(
    name="min", arity=2, numpy=np.minimum, torch="Minimum", commutative=True,
    grad=lambda F, g, out, a, b: _tie_split(F, g, b, a),
    sympy="Min", latex=r"\min\left({0}, {1}\right)", domain=((-3, -0.5), (0.5, 3)), exact=min,
    note="at a tie each argument gets half of the gradient",
))
register(OpSpec(
    name="max", arity=2, numpy=np.maximum, torch="Maximum", commutative=True,
    grad=lambda F, g, out, a, b: _tie_split(F, g, a, b),
    sympy="Max", latex=r"\max\left({0}, {1}\right)", domain=((-3, -0.5), (0.5, 3)), exact=max,
    note="at a tie each argument gets half of the gradient",
))
register(OpSpec(
    name="clamp", arity=3, numpy=lambda x, low, high: np.minimum(np.maximum(x, low), high),
    grad=_clamp_grad,
    sympy=lambda sympy, x, low, high: sympy.Min(sympy.Max(x, low), high), torch="Clamp",
    latex=r"\operatorname{{clamp}}\left({0}, {1}, {2}\right)",
    exact=lambda x, low, high: min(max(x, low), high),
    domain=((-0.9, 0.9), (-3, -1), (1, 3)),
    note="the gradient passes to x at its bounds, as PyTorch",
))
def _where_taylor(J: Jets, condition: Any, chosen: Any, other: Any) -> Any:
    # Coefficient by coefficient, on the condition at the expansion point: the branch not
    # taken never contributes, so its nan or inf stays out (as in the derivative rule).
    def coefficient(k: int) -> Any:
        a, b = chosen[k], other[k]
        if _known_zero(a) and _known_zero(b):
            return 0
        return J.F.where(condition[0], 0 if _known_zero(a) else a, 0 if _known_zero(b) else b)
    return J.series(coefficient)


def _known_zero(value: Any) -> bool:
    return type(value) is int and value == 0


def _where_numpy(c: Any, a: Any, b: Any) -> Any:
    picked = np.where(c != 0, a, b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        # Two literal branches (a derivative's where(c, 1.0, 0.0)) take the condition's float
        # dtype, as an operation with one literal does: float32 stays float32.
        own = float_type(c)
        if picked.dtype != own:
            return picked.astype(own)
    return picked


register(OpSpec(
    name="where", taylor=_where_taylor, arity=3, numpy=_where_numpy, build=build_where,
    grad=lambda F, g, out, c, a, b: (None, F.where(c, g, 0), F.where(c, 0, g)),
    sympy=lambda sympy, c, a, b: sympy.Piecewise((a, sympy_condition(sympy, c)), (b, True)),
    latex=r"\begin{{cases}} {1} & {0} \\ {2} & \text{{otherwise}} \end{{cases}}", torch="Where",
    domain=((-3, 3), (-3, 3), (-3, 3)),
    note="only the selected branch is differentiated: a nan in the other never leaks",
))
