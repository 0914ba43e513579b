"""Results of grad, jacobian and hessian: a dict and a list as before, shown as mathematics.

`Gradient` is a `dict` (name -> partial) and `DerivativeMatrix` a `list` of rows: they compare
equal to plain dicts and lists and pass `isinstance(g, dict)` / `isinstance(J, list)`; they
only add `_repr_latex_`, so a notebook shows the partials aligned and the matrices as matrices.
"""

from __future__ import annotations

from ..core.expr import Expr
from ..language.display import display_math, latex_matrix, latex_partials


class Gradient(dict[str, Expr]):
    """The partial derivatives by variable name (a plain dict otherwise)."""

    def _repr_latex_(self) -> str:
        return display_math(latex_partials("f", list(self.items())))


class DerivativeMatrix(list[list[Expr]]):
    """A Jacobian or Hessian: a list of rows of partial derivatives (a plain list otherwise)."""

    def _repr_latex_(self) -> str:
        return display_math(latex_matrix(self))
