"""Numeric Taylor coefficients: `sg.taylor`, batched over points like `eval`."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..calculus.differentiate import sole_symbol
from ..calculus.jets import JetAlgebra, Jet, is_zero, propagate
from ..core.errors import ShapeError
from ..core.expr import Expr, constant_value, symbol_name
from ..core.traverse import topological
from ..language.parse import as_expression
from .backend import NumericBackend, align
from .evaluate import batch_inputs, check_batch, largest_core


def taylor(expr: Expr | str, wrt: str | Expr | None = None, at: Any = 0.0, order: int = 6,
           values: Mapping[str, Any] | None = None) -> np.ndarray:
    """The Taylor coefficients f^(k)(a)/k! of `expr` in `wrt` at `at`, for k = 0..`order`.

    Computed in Taylor mode (truncated Taylor arithmetic through the DAG, O(order**2) per
    node), not by building derivatives. `at` may be an array of points and `values` gives the
    other variables (arrays broadcast as in `eval`); the result has shape
    `(order + 1, *batch, *expr.shape)`, so `taylor(...)[k]` is the k-th coefficient.
    """
    expr = as_expression(expr)
    variable = sole_symbol(expr, wrt, how="wrt=")
    if variable.shape != ():
        raise ShapeError(f"taylor expands in a scalar variable; {variable.name} has shape "
                         f"{variable.shape}")
    if not isinstance(order, int) or isinstance(order, bool) or order < 0:
        raise ShapeError(f"order must be a non-negative integer, not {order!r}")
    name = symbol_name(variable)
    point_values = {**(values or {}), name: at}
    nodes = topological([expr])
    symbols = [node for node in nodes if node.op == "symbol"]
    if variable not in symbols:
        symbols.append(variable)
    inputs, batch = batch_inputs(symbols, point_values)
    check_batch(batch, largest_core(nodes) * (order + 1))
    nb = len(batch)
    algebra = JetAlgebra(NumericBackend(nb), align=lambda value, rank: (
        align(value, nb, rank) if type(value) is np.ndarray else value))

    def leaf(node: Expr) -> Jet:
        if node.op == "const":
            return algebra.constant(constant_value(node).reshape((1,) * nb + node.shape))
        value = inputs[symbol_name(node)]
        return algebra.variable(value) if node is variable else algebra.constant(value)

    with np.errstate(all="ignore"):
        (coefficients,) = propagate(algebra, [expr], leaf, order, elementwise_rank=True)
    full = batch + expr.shape
    return np.stack([np.zeros(full) if is_zero(c) else np.broadcast_to(np.asarray(c, dtype=np.float64), full)
                     for c in coefficients])
