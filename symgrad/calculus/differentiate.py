"""Symbolic differentiation by reverse accumulation over the DAG.

One sweep in reverse topological order builds every adjoint as new DAG nodes, so all partial
derivatives share their common parts and the gradient stays within a small factor of the
function's size. `diff`, `jacobian` and `hessian` are built on this sweep.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..core.errors import ArgumentError, ShapeError
from ..core.expr import Expr, apply, as_expr, constant, symbol
from ..core.shapes import Shape, broadcast
from ..core.traverse import topological


class SymbolicBackend:
    """The `F` a derivative rule sees when it builds DAG nodes."""

    def __getattr__(self, name: str) -> Callable[..., Expr]:
        return lambda *args, **params: apply(name, *args, **params)

    @staticmethod
    def shape(value: Expr) -> Shape:
        return value.shape

    @staticmethod
    def sum_to(value: Any, shape: Shape) -> Expr:
        return apply("sum_to", value, shape=shape)

    @staticmethod
    def broadcast_to(value: Any, shape: Shape) -> Expr:
        # Exprs broadcast by their trailing axes, so only a missing shape needs a node.
        value = as_expr(value)
        return value if broadcast(value.shape, shape) == shape else apply(
            "broadcast_to", value, shape=shape)


SYMBOLIC = SymbolicBackend()


def fit_shape(adjoint: Expr, shape: Shape, exact: bool = True) -> Expr:
    """An adjoint summed or broadcast to its operand's `shape` (the rule for broadcasting).

    With `exact=False` an adjoint that merely broadcasts to `shape` is left as it is: an
    elementwise rule multiplies it into the right shape anyway, and the result stays small.
    """
    if adjoint.shape == shape:
        return adjoint
    if broadcast(adjoint.shape, shape) == shape:
        return apply("broadcast_to", adjoint, shape=shape) if exact else adjoint
    return apply("sum_to", adjoint, shape=shape)


def depends(order: list[Expr], targets: set[Expr]) -> set[Expr]:
    """The nodes of topological `order` that are or use one of `targets`."""
    found: set[Expr] = set()
    for node in order:
        if node in targets or any(arg in found for arg in node.args):
            found.add(node)
    return found


def vjp(outputs: Sequence[Expr], seeds: Sequence[Any], wrt: Sequence[Expr]) -> list[Expr]:
    """The vector-Jacobian products `sum_k seed_k^T d outputs_k / d w` for each symbol w in `wrt`.

    Each seed has its output's shape; the result has each symbol's shape.
    """
    order = topological(outputs)
    live = depends(order, set(wrt))
    parts: dict[Expr, list[Expr]] = {}
    for output, seed in zip(outputs, seeds):
        seed_expr = fit_shape(as_expr(seed), output.shape)
        parts.setdefault(output, []).append(seed_expr)
    adjoints: dict[Expr, Expr] = {}
    for node in reversed(order):
        pieces = parts.pop(node, None)
        if not pieces or node not in live:
            continue
        adjoint = pieces[0] if len(pieces) == 1 else apply("add", *pieces)
        if node.op == "symbol" or not node.spec.elementwise:
            adjoint = fit_shape(adjoint, node.shape)
        if node.op == "symbol":
            adjoints[node] = adjoint
            continue
        _propagate(node, adjoint, live, parts)
    return [adjoints.get(symbol, constant(np.zeros(symbol.shape))) for symbol in wrt]


def _propagate(node: Expr, adjoint: Expr, live: set[Expr], parts: dict[Expr, list[Expr]]) -> None:
    spec = node.spec
    if spec.grad is None:
        raise ArgumentError(f"{node.op} has no derivative rule")
    contributions = spec.grad(SYMBOLIC, adjoint, node, *node.args, **node.kwargs)
    for arg, contribution in zip(node.args, contributions):
        if contribution is None or arg not in live:
            continue
        piece = as_expr(contribution)
        if spec.elementwise and arg.shape != node.shape:
            # The argument was broadcast into the node: sum over the node's full shape, so a
            # contribution left lazily smaller than the node must be broadcast first.
            piece = fit_shape(fit_shape(piece, node.shape), arg.shape)
        parts.setdefault(arg, []).append(fit_shape(piece, arg.shape, exact=False))


def resolve_symbols(expr_or_exprs: Expr | Sequence[Expr], wrt: str | Expr | Sequence[str | Expr] | None) -> list[Expr]:
    """The symbol nodes named by `wrt` (all free symbols, sorted, when None)."""
    roots = [expr_or_exprs] if isinstance(expr_or_exprs, Expr) else list(expr_or_exprs)
    present = {node.name: node for node in topological(roots) if node.op == "symbol"}
    if wrt is None:
        return [present[name] for name in sorted(present)]  # type: ignore[index]
    names = [wrt] if isinstance(wrt, (str, Expr)) else list(wrt)
    result = []
    for name in names:
        if isinstance(name, Expr):
            if name.op != "symbol":
                raise ArgumentError(f"can only differentiate with respect to a symbol, not {name}")
            result.append(name)
        elif not isinstance(name, str):
            raise ArgumentError(f"wrt takes symbol names, not {name!r}")
        elif name in present:
            result.append(present[name])  # type: ignore[arg-type]
        else:
            result.append(symbol(name))  # absent: every derivative is 0
    return result


def grad(expr: Expr, wrt: Sequence[str | Expr] | str | None = None) -> dict[str, Expr]:
    """All partial derivatives of scalar `expr`, built in one reverse sweep.

    The partials share nodes with `expr` and with each other, so their total size stays
    within a small factor of `expr.size`. For a vector symbol the partial has its shape.
    """
    expr = as_expr(expr)
    if expr.shape != ():
        raise ShapeError(f"grad needs a scalar expression, not one of shape {expr.shape}; "
                         "use jacobian, or vjp with a seed")
    symbols = resolve_symbols(expr, wrt)
    partials = vjp([expr], [constant(1.0)], symbols)
    return {symbol.name: partial for symbol, partial in zip(symbols, partials)}  # type: ignore[misc]


def _element_seeds(shape: Shape) -> list[tuple[tuple[int, ...], Expr]]:
    seeds = []
    for position in np.ndindex(*shape):
        seed = np.zeros(shape)
        seed[position] = 1.0
        seeds.append((position, constant(seed)))
    return seeds


def _derivative(expr: Expr, symbol: Expr) -> Expr:
    if expr.shape == ():
        return vjp([expr], [constant(1.0)], [symbol])[0]
    if symbol.shape != ():
        raise ShapeError(f"diff of an expression of shape {expr.shape} with respect to "
                         f"{symbol.name} of shape {symbol.shape}: use jacobian")
    pieces = [vjp([expr], [seed], [symbol])[0] for _, seed in _element_seeds(expr.shape)]
    return _reshape(apply("stack", *pieces), expr.shape)


def _reshape(flat: Expr, shape: Shape) -> Expr:
    if len(shape) == 1:
        return flat
    rows = [apply("index", flat, index=(slice(i * shape[-1], (i + 1) * shape[-1], 1).indices(flat.shape[0]),))
            for i in range(flat.shape[0] // shape[-1])]
    return apply("stack", *(_reshape(row, shape[1:]) for row in rows))


def diff(expr: Expr, wrt: str | Expr, order: int = 1) -> Expr:
    """The derivative of `expr` with respect to `wrt`, `order` times.

    A scalar expression of a vector symbol gives its gradient (the symbol's shape); a vector
    expression of a scalar symbol gives the elementwise derivative (the expression's shape).
    """
    expr = as_expr(expr)
    if not isinstance(order, int) or isinstance(order, bool) or order < 0:
        raise ArgumentError(f"order must be a non-negative whole number, not {order!r}")
    if not isinstance(wrt, (str, Expr)):
        raise ArgumentError(f"wrt takes one symbol name, not {wrt!r}")
    (symbol,) = resolve_symbols(expr, wrt)
    for _ in range(order):
        expr = _derivative(expr, symbol)
    return expr


def jacobian(functions: Expr | Sequence[Expr], wrt: Sequence[str | Expr] | str | None = None) -> list[list[Expr]]:
    """Rows of partial derivatives: `[[df1/dx, df1/dy], [df2/dx, df2/dy]]`.

    `functions` is a list of scalar expressions, or one vector expression (a row per element).
    """
    rows = _scalar_outputs(functions)
    symbols = resolve_symbols(rows, wrt)
    return [vjp([row], [constant(1.0)], symbols) for row in rows]


def _scalar_outputs(functions: Expr | Sequence[Expr]) -> list[Expr]:
    if isinstance(functions, Expr):
        if functions.shape == ():
            return [functions]
        return [apply("index", functions, index=tuple(position))
                for position in np.ndindex(*functions.shape)]
    outputs = [as_expr(function) for function in functions]
    for output in outputs:
        if output.shape != ():
            raise ShapeError(f"jacobian takes scalar expressions; got one of shape {output.shape}")
    return outputs


def hessian(expr: Expr, wrt: Sequence[str | Expr] | str | None = None) -> list[list[Expr]]:
    """The matrix of second partial derivatives, as symmetric rows."""
    expr = as_expr(expr)
    symbols = resolve_symbols(expr, wrt)
    for symbol in symbols:
        if symbol.shape != ():
            raise ShapeError(f"hessian takes scalar symbols; {symbol.name} has shape {symbol.shape}")
    first = vjp([expr], [constant(1.0)], symbols) if expr.shape == () else None
    if first is None:
        raise ShapeError(f"hessian needs a scalar expression, not shape {expr.shape}")
    rows: list[list[Expr]] = []
    for i, partial in enumerate(first):
        later = vjp([partial], [constant(1.0)], symbols[i:])
        rows.append([rows[j][i] for j in range(i)] + later)
    return rows
