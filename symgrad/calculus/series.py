"""`sg.series`: the Taylor polynomial as an exact expression, by Taylor mode on Exprs."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import DomainError, ShapeError
from ..core.expr import Expr, as_expr
from ..language.parse import as_expression
from .differentiate import SYMBOLIC, sole_symbol
from .jets import Jet, JetAlgebra, is_zero, propagate


def series(expr: Expr | str, wrt: str | Expr | None = None, at: Any = 0, order: int = 6) -> Expr:
    """The Taylor polynomial of `expr` in `wrt` about `at`, through (x - at)**order.

    Coefficients are exact where the expression's numbers are (rationals, pi, e, sqrt(2)):
    they are computed in Taylor mode on expressions, with `at` put in for the variable. At a
    point where the expression or a coefficient is not finite (`log(x)` at 0, `1/x` at 0) it
    raises `DomainError`: symgrad does not give Laurent or logarithmic terms.
    """
    expr = as_expression(expr)
    variable = sole_symbol(expr, wrt, how="wrt=")
    if variable.shape != () or expr.shape != ():
        raise ShapeError("series expands a scalar expression in a scalar variable")
    if not isinstance(order, int) or isinstance(order, bool) or order < 0:
        raise ShapeError(f"order must be a non-negative integer, not {order!r}")
    point = as_expression(at) if isinstance(at, str) else as_expr(at)
    if point.symbols or point.shape != ():
        raise ShapeError(f"series expands about a number, not {at!r}")
    algebra = JetAlgebra(SYMBOLIC)

    def leaf(node: Expr) -> Jet:
        return algebra.variable(point) if node is variable else algebra.constant(node)

    _check_regular(expr, variable, point, order)
    (coefficients,) = propagate(algebra, [expr], leaf, order)
    terms: list[Expr] = []
    for k, coefficient in enumerate(coefficients):
        if is_zero(coefficient):
            continue
        coefficient = as_expr(coefficient)
        terms.append(coefficient if k == 0 else coefficient * (variable - point) ** k)
    if not terms:
        return as_expr(0)
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _check_regular(expr: Expr, variable: Expr, point: Expr, order: int) -> None:
    """`DomainError` unless every coefficient is finite at `point` (numbers decide this: the
    exact coefficients of a singular point can fold to a wrong finite value, as 0 * 0**-1)."""
    from ..numeric.taylor import taylor  # a facade: the numeric layer checks the point

    others = {name: _GENERIC_VALUE + index / 7 for index, name in enumerate(expr.symbols)
              if name != variable.name}
    coefficients = taylor(expr, variable, at=float(point.eval()), order=order, values=others)
    bad = np.flatnonzero(~np.isfinite(coefficients))
    if len(bad):
        raise DomainError(f"{expr} has no Taylor series about {variable.name} = {point}: its "
                          f"coefficient of order {bad[0]} is not finite there")


_GENERIC_VALUE = 0.6180339887  # other variables take values no special point is likely at
