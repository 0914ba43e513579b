"""PyTorch's and numpy's names for elementwise functions symgrad already has (`sg.arccos`,
`sg.divide`, `sg.square`, ...). They are aliases and compositions of table operations, not
table entries of their own, and take Exprs, Tensors and numbers like every public function.

(`functions.multiply` and `functions.divide` are the parser's n-ary builders, so the public
functions of those names live here.)
"""

from __future__ import annotations

import math
import operator
from typing import Any, Callable, cast

import numpy as np

from ..core.expr import Expr
from .functions import PI, Binary, Elementwise, acos, acosh, asin, asinh, atan, atanh
from .functions import abs as _abs

absolute: Elementwise = _abs
arccos, arcsin, arctan = acos, asin, atan
arccosh, arcsinh, arctanh = acosh, asinh, atanh


def _symbolic(value: Any) -> bool:
    """An Expr, or a Tensor (anything with symgrad's dispatch hook): Python's operators record."""
    return isinstance(value, Expr) or hasattr(type(value), "__symgrad_apply__")


def _numeric(value: Any) -> Any:
    return float(value) if np.ndim(value) == 0 else value


def _binary_operator(name: str, symbolic: Callable[[Any, Any], Any],
                     numeric: Callable[[Any, Any], Any], doc: str) -> Binary:
    def function(a: Any, b: Any) -> Any:
        if _symbolic(a) or _symbolic(b):
            return symbolic(a, b)
        with np.errstate(all="ignore"):  # as torch: inf and nan, not warnings
            return _numeric(numeric(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)))
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return cast(Binary, function)


def _unary_operator(name: str, symbolic: Callable[[Any], Any], doc: str) -> Elementwise:
    def function(x: Any) -> Any:
        if _symbolic(x):
            return symbolic(x)
        with np.errstate(all="ignore"):
            return _numeric(symbolic(np.asarray(x, dtype=np.float64)))
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return cast(Elementwise, function)


divide = _binary_operator("divide", operator.truediv, np.true_divide, "a / b, elementwise (torch.divide).")
true_divide = divide
multiply = _binary_operator("multiply", operator.mul, np.multiply, "a * b, elementwise (torch.multiply).")
pow = _binary_operator("pow", operator.pow, np.power,  # noqa: A001
                       "a ** b, elementwise (torch.pow); the power's derivative rules apply.")
negative = _unary_operator("negative", operator.neg, "-x, elementwise (torch.negative).")
reciprocal = _unary_operator("reciprocal", lambda x: 1 / x, "1 / x, elementwise (torch.reciprocal).")
square = _unary_operator("square", lambda x: x ** 2, "x ** 2, elementwise (torch.square).")
# An Expr keeps pi symbolic (x*pi/180); numbers and tensors multiply by the float64 ratio.
deg2rad = _unary_operator("deg2rad", lambda x: x * PI / 180 if isinstance(x, Expr) else x * (math.pi / 180.0),
                          "Degrees to radians: x * pi / 180.")
rad2deg = _unary_operator("rad2deg", lambda x: x * 180 / PI if isinstance(x, Expr) else x * (180.0 / math.pi),
                          "Radians to degrees: x * 180 / pi.")
