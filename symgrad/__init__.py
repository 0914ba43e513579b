"""symgrad: symbolic-plus-numeric differentiation, checked.

    import symgrad as sg
    e = sg.parse("3*x**2 + 4*x + 2*u*x")
    sg.diff(e, "x")                      # 2*u + 6*x + 4
"""

from __future__ import annotations

from .core.errors import (ArgumentError, ArityError, AutogradError, DomainError, LimitError,
                          NameLookupError, ParseError, ShapeError, SymgradError)
from .core import limits
from .core.expr import Expr, constant, size, symbols
from .ops.functions import (abs, acos, asin, atan, atan2, cbrt, clamp, cos, cosh, dot, erf, exp,
                            expm1, log, log2, log10, matmul, max, mean, min, norm, outer, prod, relu,
                            sigmoid, sign, sin, sinh, softplus, sqrt, sum, tan, tanh, transpose,
                            where)
from .ops.functions import (acosh, acot, acoth, acsc, acsch, asec, asech, asinh, atanh, cot,
                            coth, csc, csch, exp2, log1p, sec, sech, sinc)
from .ops.functions import E, PI as pi
from .calculus.differentiate import diff, grad, hessian, jacobian, vjp
from .language.parse import parse
from .numeric.kernel import Kernel, compile  # noqa: A004  (shadows the builtin in this namespace only)

from .numeric.reverse import reverse
from .eager.tensor import Tensor, no_grad, tensor
from .ops.torch_names import (absolute, arccos, arccosh, arcsin, arcsinh, arctan, arctanh, deg2rad,
                              divide, multiply, negative, pow, rad2deg, reciprocal, square,
                              true_divide)
from .eager.factories import (arange, empty, eye, full, full_like, linspace, normal, ones, ones_like,
                              rand, rand_like, randn, randn_like, zeros, zeros_like)
from .eager.tracing import trace
from .eager import autograd
from .language.sympy_bridge import from_sympy
from .checking.check import CheckReport, check
from .checking.verify import Verdict, verify
from .calculus.steps import Derivation, steps

__version__ = "0.1.0"

__all__ = [
    "CheckReport", "Derivation", "Verdict", "check", "steps", "verify",
    "from_sympy",
    "Tensor", "arange", "autograd", "no_grad", "ones", "randn", "reverse", "tensor", "trace",
    "zeros",
    "Kernel", "compile",
    "ArgumentError", "ArityError", "AutogradError", "DomainError", "Expr", "LimitError",
    "NameLookupError", "limits",
    "ParseError", "ShapeError", "SymgradError", "__version__", "abs", "acos", "asin", "atan",
    "atan2", "cbrt", "clamp", "constant", "cos", "cosh", "diff", "dot", "erf", "exp", "expm1", "grad",
    "hessian", "jacobian", "log", "log2", "log10", "matmul", "max", "mean", "min", "norm",
    "outer", "parse", "prod", "relu", "sigmoid", "sign", "sin", "sinh", "size", "softplus",
    "sqrt", "sum", "symbols", "tan", "tanh", "transpose", "vjp", "where",
    "acosh", "acot", "acoth", "acsc", "acsch", "asec", "asech", "asinh", "atanh", "cot", "coth",
    "csc", "csch", "exp2", "log1p", "sec", "sech", "sinc", "E", "pi",
    "absolute", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "deg2rad", "divide",
    "multiply", "negative", "pow", "rad2deg", "reciprocal", "square", "true_divide",
    "empty", "eye", "full", "full_like", "linspace", "normal", "ones_like", "rand", "rand_like",
    "randn_like", "zeros_like",
]
