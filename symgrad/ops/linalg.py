"""Linear algebra and structure: matmul, transpose, outer, array literals, indexing, and the
broadcasting pair `broadcast_to` / `sum_to` that gradients of broadcast operands use."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import ShapeError
from ..core.expr import Expr, build_plain, constant, constant_value, is_number
from ..core.opspec import OPS, Backend, Jets, OpSpec, register
from ..core.shapes import Shape, broadcast, summed_axes

MAX_RANK = 32  # numpy's limit on array dimensions is 64; nobody differentiates past 32

_MATMUL_SUBSCRIPTS = {(1, 1): "...i,...i->...", (2, 1): "...ij,...j->...i",
                      (1, 2): "...i,...ij->...j", (2, 2): "...ij,...jk->...ik"}


def _matmul_shape(left: Shape, right: Shape) -> Shape:
    if (len(left), len(right)) not in _MATMUL_SUBSCRIPTS:
        raise ShapeError(f"@ takes vectors and matrices, not shapes {left} and {right}")
    if left[-1] != right[0]:
        raise ShapeError(f"shapes {left} and {right} do not align in @ "
                         f"({left[-1]} != {right[0]})")
    return left[:-1] + right[1:]


def _matmul_numpy(a: np.ndarray, b: np.ndarray, nb: int) -> np.ndarray:
    product: np.ndarray = np.einsum(_MATMUL_SUBSCRIPTS[(a.ndim - nb, b.ndim - nb)], a, b)
    return product


def _matmul_grad(F: Backend, g: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    ranks = (len(F.shape(a)), len(F.shape(b)))
    if ranks == (1, 1):
        return F.broadcast_to(g, F.shape(b)) * b, F.broadcast_to(g, F.shape(a)) * a
    if ranks == (2, 1):
        return F.outer(g, b), F.matmul(F.transpose(a), g)
    if ranks == (1, 2):
        return F.matmul(b, g), F.outer(a, g)
    return F.matmul(g, F.transpose(b)), F.matmul(F.transpose(a), g)


def _sympy_matmul(sympy: Any, a: Any, b: Any) -> Any:
    product = np.tensordot(np.asarray(a, dtype=object), np.asarray(b, dtype=object), axes=1)
    return product if np.ndim(product) else product.item()


def _transpose_numpy(x: np.ndarray, nb: int) -> np.ndarray:
    return np.swapaxes(x, -1, -2) if x.ndim - nb >= 2 else x


def build_transpose(x: Expr) -> Expr:
    """The transpose; a scalar or vector is its own, and transposing twice gives x back."""
    if x.ndim < 2:
        return x
    if x.op == "transpose":
        return x.args[0]
    return build_plain(OPS["transpose"], (x,), {})


def _outer_shape(left: Shape, right: Shape) -> Shape:
    if len(left) != 1 or len(right) != 1:
        raise ShapeError(f"outer takes two vectors, not shapes {left} and {right}")
    return left + right


def _sum_to_numpy(x: np.ndarray, nb: int, shape: Shape) -> np.ndarray:
    axes = summed_axes(x.shape[nb:], shape)
    summed = np.sum(x, axis=axes, keepdims=True) if axes else x
    return summed.reshape(x.shape[:nb] + shape)


def _broadcast_to_numpy(x: np.ndarray, nb: int, shape: Shape) -> np.ndarray:
    core = x.shape[nb:]
    aligned = x.reshape(x.shape[:nb] + (1,) * (len(shape) - len(core)) + core)
    return np.broadcast_to(aligned, x.shape[:nb] + shape)


def _check_sum_to(source: Shape, shape: Shape) -> Shape:
    if broadcast(source, shape, operation="sum_to") != source:
        raise ShapeError(f"cannot sum shape {source} down to {shape}")
    return shape


def _check_broadcast_to(source: Shape, shape: Shape) -> Shape:
    if broadcast(source, shape, operation="broadcast_to") != shape:
        raise ShapeError(f"cannot broadcast shape {source} to {shape}")
    return shape


def build_reshaping(name: str) -> Any:
    """Builder for sum_to / broadcast_to: the identity when the shape already fits."""
    def build(x: Expr, shape: Shape) -> Expr:
        shape = tuple(int(extent) for extent in shape)
        if x.shape == shape:
            return x
        if name == "sum_to" and shape == ():
            return build_plain(OPS["sum"], (x,), {})
        return build_plain(OPS[name], (x,), {"shape": shape})
    return build


def index_items(index: tuple[Any, ...]) -> tuple[Any, ...]:
    """numpy index items from a normalized index (ints and (start, stop, step) range triples).

    A range that runs down past 0 has stop -1, which numpy would read as the last element.
    """
    return tuple(item if isinstance(item, int) else
                 slice(item[0], item[1] if item[1] >= 0 else None, item[2]) for item in index)


def _indexed_shape(shape: Shape, index: tuple[Any, ...]) -> Shape:
    kept = [len(range(*item)) for item in index if not isinstance(item, int)]
    return tuple(kept) + shape[len(index):]


def _index_numpy(x: np.ndarray, nb: int, index: tuple[Any, ...]) -> np.ndarray:
    return x[(slice(None),) * nb + index_items(index)]


def _scatter_numpy(x: np.ndarray, nb: int, index: tuple[Any, ...], shape: Shape) -> np.ndarray:
    result = np.zeros(x.shape[:nb] + shape)
    result[(slice(None),) * nb + index_items(index)] = x
    return result


def _stack_shape(*shapes: Shape) -> Shape:
    return (len(shapes),) + broadcast(*shapes, operation="array literal")


def _stack_numpy(*values: np.ndarray, nb: int) -> np.ndarray:
    rank = max(value.ndim for value in values)
    aligned = [value.reshape(value.shape[:nb] + (1,) * (rank - value.ndim) + value.shape[nb:])
               for value in values]
    return np.stack(np.broadcast_arrays(*aligned), axis=nb)


def _sympy_stack(items: tuple[Any, ...]) -> np.ndarray:
    # Filled element by element: np.array of 0-d object arrays would nest arrays, not elements.
    shape = np.broadcast_shapes(*(np.shape(item) for item in items))
    result = np.empty((len(items),) + shape, dtype=object)
    for position, item in enumerate(items):
        result[position, ...] = np.broadcast_to(np.asarray(item, dtype=object), shape)
    return result


def build_stack(*items: Expr) -> Expr:
    """An array literal; all-constant items fold into one constant."""
    if not items:
        raise ShapeError("an array literal needs at least one element")
    if 1 + max(item.ndim for item in items) > MAX_RANK:
        raise ShapeError(f"an array literal nested more than {MAX_RANK} levels deep")
    shapes = {item.shape for item in items}
    if len(shapes) > 1:
        listed = " and ".join(str(shape) for shape in sorted(shapes))
        raise ShapeError(f"the rows of an array literal must have one shape, not {listed}")
    if all(is_number(item) for item in items):
        shape = broadcast(*(item.shape for item in items), operation="array literal")
        return constant(np.stack([np.broadcast_to(constant_value(item), shape) for item in items]))
    return build_plain(OPS["stack"], items, {})


def _linear(name: str) -> Any:
    """The Taylor rule of an op linear in its arguments: it acts on each coefficient."""
    return lambda J, *args, **params: J.coefficientwise(name, *args, **params)


def _bilinear(name: str) -> Any:
    """The Taylor rule of an op linear in each argument: a Cauchy product through it."""
    return lambda J, a, b, **params: J.bilinear(name, a, b, **params)


register(OpSpec(
    name="matmul", taylor=_bilinear("matmul"), arity=2, elementwise=False, shape=_matmul_shape, numpy=_matmul_numpy,
    grad=_matmul_grad, sympy=_sympy_matmul, fold=True, public=False, torch="Dot",
    latex=r"{0} \cdot {1}", domain=((-3, 3), (-3, 3)),
))
register(OpSpec(
    name="transpose", taylor=_linear("transpose"), arity=1, elementwise=False, numpy=_transpose_numpy, build=build_transpose,
    shape=lambda shape: shape[:-2] + shape[:-3:-1], grad=lambda F, g, out, x: (F.transpose(g),),
    sympy=lambda sympy, x: np.swapaxes(x, -1, -2) if np.ndim(x) >= 2 else x, fold=True,
    latex=r"{0}^{{T}}", torch="T", domain=((-3, 3),),
))
register(OpSpec(
    name="outer", taylor=_bilinear("outer"), arity=2, elementwise=False, shape=_outer_shape, fold=True,
    numpy=lambda a, b, nb: a[..., :, None] * b[..., None, :],
    grad=lambda F, g, out, a, b: (F.matmul(g, b), F.matmul(a, g)),
    sympy=lambda sympy, a, b: np.multiply.outer(np.asarray(a, dtype=object),
                                                np.asarray(b, dtype=object)),
    latex=r"{0} \otimes {1}", torch="Mul", domain=((-3, 3), (-3, 3)),  # torch.outer records a Mul
))
register(OpSpec(
    name="sum_to", taylor=_linear("sum_to"), arity=1, elementwise=False, numpy=_sum_to_numpy, fold=True, public=False,
    build=build_reshaping("sum_to"), shape=_check_sum_to,
    grad=lambda F, g, out, x, shape: (F.broadcast_to(g, F.shape(x)),),
    sympy=lambda sympy, x, shape: _sympy_sum_to(x, shape), torch="SumTo",
    latex=r"\operatorname{{sum\_to}}\left({0}\right)", domain=((-3, 3),),
    note="sums broadcast axes away: the adjoint of broadcasting",
))
register(OpSpec(
    name="broadcast_to", taylor=_linear("broadcast_to"), arity=1, elementwise=False, numpy=_broadcast_to_numpy, fold=True,
    public=False, build=build_reshaping("broadcast_to"), shape=_check_broadcast_to,
    grad=lambda F, g, out, x, shape: (F.sum_to(g, F.shape(x)),),
    sympy=lambda sympy, x, shape: np.broadcast_to(np.asarray(x, dtype=object), shape),
    latex=r"{0}", torch="Expand", domain=((-3, 3),),
))
register(OpSpec(
    name="index", taylor=_linear("index"), arity=1, elementwise=False, numpy=_index_numpy, fold=True, public=False,
    shape=_indexed_shape, torch="Select",
    grad=lambda F, g, out, x, index: (F.scatter(g, index=index, shape=F.shape(x)),),
    sympy=lambda sympy, x, index: _sympy_item(np.asarray(x, dtype=object)[index_items(index)]),
    latex=r"{0}_{{\ldots}}", domain=((-3, 3),),
))
register(OpSpec(
    name="scatter", taylor=_linear("scatter"), arity=1, elementwise=False, numpy=_scatter_numpy, fold=True, public=False,
    shape=lambda source, index, shape: shape, torch="Scatter",
    grad=lambda F, g, out, x, index, shape: (F.index(g, index=index),),
    sympy=lambda sympy, x, index, shape: _sympy_scatter(x, index, shape),
    latex=r"\operatorname{{scatter}}\left({0}\right)", domain=((-3, 3),),
    note="zeros of `shape` with x placed at `index`: the adjoint of indexing",
))
register(OpSpec(
    name="stack", taylor=_linear("stack"), arity=-1, elementwise=False, numpy=_stack_numpy, build=build_stack,
    shape=_stack_shape, public=False, torch="Stack",
    grad=lambda F, g, out, *items: tuple(F.index(g, index=(position,))
                                         for position in range(len(items))),
    sympy=lambda sympy, *items: _sympy_stack(items),
    latex=r"\left[{0}\right]", domain=((-3, 3), (-3, 3)),
))


def _sympy_item(value: Any) -> Any:
    return value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value


def _sympy_sum_to(x: Any, shape: Shape) -> Any:
    array = np.asarray(x, dtype=object)
    axes = summed_axes(array.shape, shape)
    summed = array.sum(axis=axes, keepdims=True) if axes else array
    return _sympy_item(summed.reshape(shape))


def _sympy_scatter(x: Any, index: tuple[Any, ...], shape: Shape) -> Any:
    result = np.zeros(shape, dtype=object)
    result[index_items(index)] = x
    return result
