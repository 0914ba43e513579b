"""Reductions over all core (per-point) axes: sum, mean, prod, norm."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.opspec import Backend, Jets, OpSpec, register
from ..core.shapes import Shape, size_of


def core_axes(value: np.ndarray, nb: int) -> tuple[int, ...]:
    """The axes of `value` after its `nb` leading batch axes."""
    return tuple(range(nb, np.ndim(value)))


def _to_scalar(shape: Shape) -> Shape:
    return ()


def _exclusive_products(x: np.ndarray, nb: int) -> np.ndarray:
    # Each element's product of all the others, by prefix and suffix products (exact at zeros).
    batch, core = x.shape[:nb], x.shape[nb:]
    flat = x.reshape(batch + (size_of(core),))
    ones = np.ones(batch + (1,))
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return (before * after).reshape(x.shape)


def _norm_grad(F: Backend, g: Any, out: Any, x: Any) -> tuple[Any]:
    # The norm has no derivative at 0; we take 0 there, as PyTorch does.
    scale = F.where(F.eq(out, 0), 0, g / out)
    return (F.broadcast_to(scale, F.shape(x)) * x,)


def _prod_except_grad(F: Backend, g: Any, out: Any, x: Any) -> tuple[Any]:
    # Second derivatives of prod divide by x, so they are nan where an element is 0.
    total = F.sum(g * out)
    return ((F.broadcast_to(total, F.shape(x)) - g * out) / x,)


def _sympy_prod_except(sympy: Any, x: Any) -> Any:
    items = list(np.ravel(x))
    others = [sympy.Mul(*(items[:i] + items[i + 1:])) for i in range(len(items))]
    return np.array(others, dtype=object).reshape(np.shape(x))


def _element_jets(J: Jets, x: Any) -> tuple[list[Any], Shape]:
    # x's elements as separate jets, in C order, with x's core shape.
    shape = J.F.shape(x[0])
    return [J.backend.index(x, index=position) for position in np.ndindex(*shape)], shape


def _prod_taylor(J: Jets, x: Any) -> Any:
    elements, _ = _element_jets(J, x)
    return J.multiply(*elements) if elements else J.constant(1.0)


def _prod_except_taylor(J: Jets, x: Any) -> Any:
    # Each element's product of the others by prefix and suffix products, placed back.
    elements, shape = _element_jets(J, x)
    count = len(elements)
    prefix, suffix = [J.constant(1)] * count, [J.constant(1)] * count
    for position in range(1, count):
        prefix[position] = J.multiply(prefix[position - 1], elements[position - 1])
    for position in range(count - 2, -1, -1):
        suffix[position] = J.multiply(suffix[position + 1], elements[position + 1])
    placed = [J.backend.scatter(J.multiply(prefix[i], suffix[i]), index=position, shape=shape)
              for i, position in enumerate(np.ndindex(*shape))]
    return J.add(*placed)


register(OpSpec(
    name="sum", arity=1, taylor=lambda J, x: J.coefficientwise("sum", x), elementwise=False, shape=_to_scalar, torch="Sum",
    numpy=lambda x, nb: np.sum(x, axis=core_axes(x, nb)),
    grad=lambda F, g, out, x: (F.broadcast_to(g, F.shape(x)),),
    sympy=lambda sympy, x: sympy.Add(*np.ravel(x)),
    latex=r"\sum {0}", domain=((-3, 3),),
))
register(OpSpec(
    name="mean", arity=1, taylor=lambda J, x: J.coefficientwise("mean", x), elementwise=False, shape=_to_scalar, torch="Mean",
    numpy=lambda x, nb: np.mean(x, axis=core_axes(x, nb)),
    grad=lambda F, g, out, x: (F.broadcast_to(g, F.shape(x)) / size_of(F.shape(x)),),
    sympy=lambda sympy, x: sympy.Add(*np.ravel(x)) / np.size(x),
    latex=r"\operatorname{{mean}}\left({0}\right)", domain=((-3, 3),),
))
register(OpSpec(
    name="prod", arity=1, taylor=_prod_taylor, elementwise=False, shape=_to_scalar, torch="Prod",
    numpy=lambda x, nb: np.prod(x, axis=core_axes(x, nb)),
    grad=lambda F, g, out, x: (F.broadcast_to(g, F.shape(x)) * F.prod_except(x),),
    sympy=lambda sympy, x: sympy.Mul(*np.ravel(x)),
    latex=r"\prod {0}", domain=((-3, 3),),
))
register(OpSpec(
    name="prod_except", arity=1, taylor=_prod_except_taylor, elementwise=False, shape=lambda shape: shape, public=False,
    numpy=_exclusive_products, grad=_prod_except_grad, torch="Prod",
    sympy=_sympy_prod_except, latex=r"\operatorname{{prod\_except}}\left({0}\right)",
    domain=((0.2, 3),), note="each element's product of all the others",
))
register(OpSpec(
    name="norm", arity=1, taylor=lambda J, x: J.backend.sqrt(J.backend.sum(x * x)), elementwise=False, shape=_to_scalar, torch="LinalgVectorNorm",
    numpy=lambda x, nb: np.sqrt(np.sum(x * x, axis=core_axes(x, nb))),
    grad=_norm_grad,
    sympy=lambda sympy, x: sympy.sqrt(sympy.Add(*(item**2 for item in np.ravel(x)))),
    latex=r"\left\|{0}\right\|", domain=((0.2, 3),),
    note="the 2-norm of all elements; its gradient at 0 is taken as 0, as PyTorch",
))
