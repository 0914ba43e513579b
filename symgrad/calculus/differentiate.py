"""Symbolic differentiation by reverse accumulation over the DAG.

One sweep in reverse topological order builds every adjoint as new DAG nodes, so all partial
derivatives share their common parts and the gradient stays within a small factor of the
function's size. `diff`, `jacobian` and `hessian` are built on this sweep.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..core.errors import ArgumentError, ShapeError
from ..core import limits
from ..core.expr import Expr, apply, as_expr, constant, is_number, symbol as make_symbol, symbol_name
from ..core.opspec import OPS, fit_shape
from ..core.shapes import Shape, broadcast, size_of
from ..core.greek import canonical_name
from ..language.parse import as_expression
from ..core.traverse import topological
from .jets import JetAlgebra, is_zero, propagate
from .results import DerivativeMatrix, Gradient
from .simplify import factor_terms, scales_exactly, simplify_derivatives


class SymbolicBackend:
    """The `F` a derivative rule sees when it builds DAG nodes (a `core.opspec.Backend`)."""

    symbolic = True  # rules that mask numbers (0 * inf) keep the textbook form here

    def __getattr__(self, name: str) -> Callable[..., Expr]:
        def build(*args: Any, **params: Any) -> Expr:
            return apply(name, *args, **params)
        if name in OPS:
            setattr(self, name, build)  # found directly next time: rules call these per node
        return build

    @staticmethod
    def shape(value: Any) -> Shape:
        return as_expr(value).shape

    @staticmethod
    def sum_to(value: Any, shape: Shape) -> Expr:
        return apply("sum_to", value, shape=shape)

    @staticmethod
    def broadcast_to(value: Any, shape: Shape, exact: bool = False) -> Expr:
        # Exprs broadcast by their trailing axes, so unless `exact` only a missing shape
        # needs a node.
        expr = as_expr(value)
        if expr.shape == shape or (not exact and broadcast(expr.shape, shape) == shape):
            return expr
        return apply("broadcast_to", expr, shape=shape)


SYMBOLIC = SymbolicBackend()


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
        seed_expr = fit_shape(SYMBOLIC, as_expr(seed), output.shape)
        parts.setdefault(output, []).append(seed_expr)
    adjoints: dict[Expr, Expr] = {}
    for node in reversed(order):
        pieces = parts.pop(node, None)
        if not pieces or node not in live:
            continue
        adjoint = pieces[0] if len(pieces) == 1 else apply("add", *pieces)
        if node.op == "symbol" or not node.spec.elementwise:
            adjoint = fit_shape(SYMBOLIC, adjoint, node.shape)
        if node.op == "symbol":
            adjoints[node] = adjoint
            continue
        _propagate(node, adjoint, live, parts)
    return [adjoints.get(symbol, constant(np.zeros(symbol.shape)) if symbol.shape else constant(0))
            for symbol in wrt]


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
            piece = fit_shape(SYMBOLIC, fit_shape(SYMBOLIC, piece, node.shape), arg.shape)
        parts.setdefault(arg, []).append(fit_shape(SYMBOLIC, piece, arg.shape, exact=False))


def tangent(expr: Expr, symbol: Expr) -> Expr | None:
    """d expr / d symbol of scalars in one forward sweep (None when a node on the way is not a
    scalar elementwise op): each node's derivative is built from its arguments' as the chain
    rule writes it, f'(u)*(du/dx), so a derivative through a sum keeps the sum whole
    ((12*x**2 + 8)*u**3, SymPy's shape) where the reverse sweep would spread the outer factor
    over its terms (12*x**2*u**3 + 8*u**3)."""
    order = topological([expr])
    live = depends(order, {symbol})
    tangents: dict[Expr, Expr] = {symbol: constant(1)}
    for node in order:
        if node not in live or node is symbol:
            continue
        spec = node.spec
        if node.shape != () or not spec.elementwise or spec.grad is None \
                or any(arg.shape != () for arg in node.args):
            return None
        pieces = [as_expr(piece) for piece in _tangent_pieces(node, live, tangents)
                  if piece is not None]
        tangents[node] = _number_into_sum(pieces[0]) if len(pieces) == 1 \
            else apply("add", *pieces) if pieces else constant(0)
    return tangents.get(expr, constant(0))


def _number_into_sum(piece: Expr) -> Expr:
    """-(cot(x)**2 + 1) -> -cot(x)**2 - 1: a derivative that is a number times a short sum is
    that sum scaled, as SymPy's product of exactly a number and a sum is, so a product rule
    around it prints x*(-cot(x)**2 - 1) as SymPy's does."""
    if piece.op != "mul" or len(piece.args) != 2 or piece.shape != ():
        return piece
    number, total = piece.args
    if number.op != "const" or not is_number(number) or total.op != "add" \
            or len(total.args) > _DISTRIBUTED_TERMS \
            or not all(scales_exactly(number, term) for term in total.args):
        return piece
    return apply("add", *(term * number for term in total.args))


# Up to this many arguments a node's rule is called once per live argument with that argument's
# derivative as the adjoint (the rule's own shape: where(x > 0, t, 0)); a wider node (a long sum
# or product) calls it once with 1 and scales each partial, so its cost stays linear.
_PER_ARGUMENT = 3


# The chain rule of a power of u, n*u**(n - 1)*u', takes its number into u' when u' is a sum of
# at most this many terms: SymPy's Pow derivative multiplies n by u' first and its product of a
# number and a sum distributes ((6*x**2 - 2)*(x**3 - x), (-2*x - 1)/(x**2 + x)**2).
_DISTRIBUTED_TERMS = 4


def _power_tangent(node: Expr, inner: Expr) -> Expr | None:
    """n*u**(n - 1) times u' = `inner`, the number multiplied into the short sum u'."""
    exponent = node.params[0][1]
    if inner.op != "add" or len(inner.args) > _DISTRIBUTED_TERMS or exponent == 0 \
            or not all(scales_exactly(constant(exponent), term) for term in inner.args):
        return None
    scaled = apply("add", *(term * exponent for term in inner.args))
    chained: Expr = scaled * node.args[0] ** (exponent - 1)
    return chained


def _tangent_pieces(node: Expr, live: set[Expr], tangents: dict[Expr, Expr]) -> list[Any]:
    spec, args, params = node.spec, node.args, node.kwargs
    assert spec.grad is not None
    if node.op == "pow" and (power := _power_tangent(node, tangents[args[0]])) is not None:
        return [power]
    if len(args) <= _PER_ARGUMENT:
        return [spec.grad(SYMBOLIC, tangents[arg], node, *args, **params)[i]
                for i, arg in enumerate(args) if arg in live]
    partials = spec.grad(SYMBOLIC, constant(1), node, *args, **params)
    return [None if partial is None else partial * tangents[arg]
            for arg, partial in zip(args, partials) if arg in live]


Wrt = str | Expr | Sequence[str | Expr] | None


def resolve_symbols(expr_or_exprs: Expr | Sequence[Expr], wrt: Wrt,
                    shapes: Mapping[str, Shape] | None = None) -> list[Expr]:
    """The symbols to differentiate by: the one rule for names that every entry point follows
    (grad, diff, jacobian, hessian, reverse, check, verify, steps and the CLI; `compile`
    resolves its `wrt` this way too, and takes a value for every name it differentiates by).

    - `wrt=None`: every free symbol of the expression(s), sorted by name.
    - A name in `wrt` that the expression uses: that symbol; a Greek letter also names the
      symbol it parses to (`"θ"` is `theta`).
    - A name in `wrt` that the expression does not use: a symbol of that name, whose partial
      is zero; scalar unless `shapes` gives its shape (a symbol passed as an Expr keeps its own).
    - A name given only in a point (`at=`) is never differentiated: it is ignored, as `eval`
      ignores it.
    """
    roots = [expr_or_exprs] if isinstance(expr_or_exprs, Expr) else list(expr_or_exprs)
    present = {symbol_name(node): node for node in topological(roots) if node.op == "symbol"}
    if wrt is None:
        return [present[name] for name in sorted(present)]
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
            result.append(present[name])
        elif canonical_name(name) in present:  # wrt="θ" for the symbol theta that "θ" parses to
            result.append(present[canonical_name(name)])
        else:
            result.append(make_symbol(name, (shapes or {}).get(name, ())))  # absent: its partial is 0
    return result


def sole_symbol(expr: Expr, wrt: str | Expr | None, how: str = "wrt=") -> Expr:
    """The one symbol to differentiate `expr` by: `wrt` resolved as `resolve_symbols` does,
    or, when `wrt` is None, the expression's only variable (`how` says how to name one)."""
    if wrt is None:
        names = expr.symbols
        if len(names) != 1:
            listed = ", ".join(names) or "none"
            raise ArgumentError(f"say which variable to differentiate by ({how}); "
                                f"the expression's variables: {listed}")
    elif not isinstance(wrt, (str, Expr)):
        raise ArgumentError(f"wrt takes one symbol name, not {wrt!r}")
    (found,) = resolve_symbols(expr, wrt)
    return found


def grad(expr: Expr | str, wrt: Sequence[str | Expr] | str | None = None) -> dict[str, Expr]:
    """All partial derivatives of scalar `expr`, built in one reverse sweep.

    The partials share nodes with `expr` and with each other, so their total size stays
    within a small factor of `expr.size`. For a vector symbol the partial has its shape.
    `wrt` defaults to every free symbol; a name in `wrt` that `expr` does not use gets a
    zero partial (the rule of `resolve_symbols`).
    """
    expr = as_expression(expr)
    if expr.shape != ():
        raise ShapeError(f"grad needs a scalar expression, not one of shape {expr.shape}; "
                         "use jacobian, or vjp with a seed")
    symbols = resolve_symbols(expr, wrt)
    partials = simplify_derivatives(vjp([expr], [constant(1)], symbols))
    return Gradient({symbol.name: partial for symbol, partial in zip(symbols, partials)})  # type: ignore[misc]


_PROBE = "symgrad_probe"


def _derivative(expr: Expr, symbol: Expr) -> Expr:
    if expr.shape == ():
        forward = tangent(expr, symbol)
        return forward if forward is not None else vjp([expr], [constant(1)], [symbol])[0]
    if symbol.shape != ():
        raise ShapeError(f"diff of an expression of shape {expr.shape} with respect to "
                         f"{symbol.name} of shape {symbol.shape}: use jacobian")
    if size_of(expr.shape) <= _SEEDED:
        pieces = [vjp([expr], [seed], [symbol])[0] for seed in _element_seeds(expr.shape)]
        return _reshape(apply("stack", *pieces), expr.shape)
    return _elementwise_derivative(expr, symbol)


# Up to this many elements, one seed per element: n sweeps, but the result reads as an array
# literal of the elements' derivatives; beyond it, two sweeps whatever the size.
_SEEDED = 64


def _element_seeds(shape: Shape) -> list[Expr]:
    seeds = []
    for position in np.ndindex(*shape):
        seed = np.zeros(shape)
        seed[position] = 1.0
        seeds.append(constant(seed))
    return seeds


def _reshape(flat: Expr, shape: Shape) -> Expr:
    if len(shape) == 1:
        return flat
    rows = [apply("index", flat, index=(slice(i * shape[-1], (i + 1) * shape[-1], 1).indices(flat.shape[0]),))
            for i in range(flat.shape[0] // shape[-1])]
    return apply("stack", *(_reshape(row, shape[1:]) for row in rows))


def _elementwise_derivative(expr: Expr, symbol: Expr) -> Expr:
    """d expr / d symbol elementwise, for a scalar symbol, in two reverse sweeps.

    `p . d expr/d symbol` for a probe symbol `p` of expr's shape is linear in `p`; its gradient
    with respect to `p` is the wanted derivative, so no one-hot seed per element is built
    (those would make n constants of n elements each).
    """
    name = _PROBE
    while name in expr.symbols:
        name += "_"
    probe = make_symbol(name, expr.shape)
    along = vjp([expr], [probe], [symbol])[0]
    (derivative,) = vjp([along], [constant(1)], [probe])
    fitted: Expr = fit_shape(SYMBOLIC, derivative, expr.shape)
    return fitted


# Repeated reverse sweeps give the forms textbooks print, but grow geometrically with the
# order. Once a repeated derivative of a scalar outgrows SWELL_SIZE nodes (and more orders are
# still to come), the n-th derivative is built in Taylor mode instead: n! times the n-th Taylor
# coefficient at x itself, whose size grows as n**2 times the function's.
SWELL_SIZE = 200


def _by_taylor_mode(expr: Expr, symbol: Expr, order: int) -> Expr:
    algebra = JetAlgebra(SYMBOLIC)
    (coefficients,) = propagate(
        algebra, [expr], lambda node: algebra.variable(node) if node is symbol
        else algebra.constant(node), order)
    coefficient = coefficients[order]
    if is_zero(coefficient):
        return constant(0)
    scale = math.factorial(order)
    result = as_expr(coefficient)
    # n! distributed over a sum, as SymPy writes a number times a sum.
    terms = result.args if result.op == "add" else (result,)
    derivative = apply("add", *(term * scale for term in terms)) if len(terms) > 1 else result * scale
    limits.check("MAX_NODES", derivative.size, f"the derivative of order {order}")
    return derivative


def diff(expr: Expr | str, wrt: str | Expr | None = None, order: int = 1) -> Expr:
    """The derivative of `expr` with respect to `wrt`, `order` times (without `wrt`, by the
    expression's only variable, as `sympy.diff` does).

    High orders of a scalar stay compact: past `SWELL_SIZE` nodes the rest is built in Taylor
    mode.

    A scalar expression of a vector symbol gives its gradient (the symbol's shape); a vector
    expression of a scalar symbol gives the elementwise derivative (the expression's shape).
    A `wrt` that `expr` does not use gives 0.
    """
    expr = as_expression(expr)
    if not isinstance(order, int) or isinstance(order, bool) or order < 0:
        raise ArgumentError(f"order must be a non-negative whole number, not {order!r}")
    limits.check("MAX_ORDER", order, "the derivative order")
    symbol = sole_symbol(expr, wrt)
    function, scalar = expr, symbol.shape == () and expr.shape == ()
    for done in range(order):
        expr = simplify_derivatives([_derivative(expr, symbol)])[0]
        if done + 1 < order:
            size = expr.size
            if scalar and size > SWELL_SIZE:
                return _by_taylor_mode(function, symbol, order)
            limits.check("MAX_NODES", size, f"the derivative of order {done + 1}")
    # SymPy takes out what the terms of a repeated derivative share: its printed form.
    return factor_terms(expr) if order > 1 and scalar else expr


def jacobian(functions: Expr | str | Sequence[Expr | str], wrt: Sequence[str | Expr] | str | None = None) -> list[list[Expr]]:
    """Rows of partial derivatives: `[[df1/dx, df1/dy], [df2/dx, df2/dy]]`.

    `functions` is a list of scalar expressions, or one vector expression (a row per element).
    A name in `wrt` that no function uses gets a column of zeros.
    """
    if isinstance(functions, str):
        functions = as_expression(functions)
    if isinstance(functions, Expr):
        limits.check("MAX_NODES", size_of(functions.shape), "the Jacobian's rows")
    rows = _scalar_outputs(functions)
    symbols = resolve_symbols(rows, wrt)
    entries = len(rows) * sum(size_of(symbol.shape) for symbol in symbols)
    limits.check("MAX_NODES", entries, "the Jacobian's entries")
    return DerivativeMatrix([vjp([row], [constant(1)], symbols) for row in rows])


def _scalar_outputs(functions: Expr | Sequence[Expr | str]) -> list[Expr]:
    if isinstance(functions, Expr):
        if functions.shape == ():
            return [functions]
        return [apply("index", functions, index=tuple(position))
                for position in np.ndindex(*functions.shape)]
    outputs = [as_expression(function) for function in functions]
    for output in outputs:
        if output.shape != ():
            raise ShapeError(f"jacobian takes scalar expressions; got one of shape {output.shape}")
    return outputs


def hessian(expr: Expr | str, wrt: Sequence[str | Expr] | str | None = None) -> list[list[Expr]]:
    """The matrix of second partial derivatives, as symmetric rows (zero for a name in `wrt`
    that `expr` does not use)."""
    expr = as_expression(expr)
    symbols = resolve_symbols(expr, wrt)
    for symbol in symbols:
        if symbol.shape != ():
            raise ShapeError(f"hessian takes scalar symbols; {symbol.name} has shape {symbol.shape}")
    first = vjp([expr], [constant(1)], symbols) if expr.shape == () else None
    if first is None:
        raise ShapeError(f"hessian needs a scalar expression, not shape {expr.shape}")
    rows: list[list[Expr]] = []
    for i, partial in enumerate(first):
        later = vjp([partial], [constant(1)], symbols[i:])
        rows.append([rows[j][i] for j in range(i)] + later)
    return DerivativeMatrix(rows)
