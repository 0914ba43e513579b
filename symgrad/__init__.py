"""symgrad: symbolic-plus-numeric differentiation, checked.

    import symgrad as sg
    e = sg.parse("3*x**2 + 4*x + 2*u*x")
    sg.diff(e, "x")                      # 2*u + 6*x + 4
"""

from __future__ import annotations

from .core.errors import (ArgumentError, ArityError, AutogradError, DomainError, InPlaceError, LimitError,
                          NameLookupError, ParseError, ShapeError, SymgradError)
from .core import limits
from .core.expr import Expr, constant, size, symbols
from .ops.functions import (abs, acos, asin, atan, atan2, cbrt, clamp, cos, cosh, dot, erf, exp,
                            expm1, log, log2, log10, matmul, max, mean, min, norm, outer, prod, relu,
                            sigmoid, sign, sin, sinh, softplus, sqrt, sum, tan, tanh, transpose,
                            where)
from .ops.functions import (acosh, acot, acoth, acsc, acsch, asec, asech, asinh, atanh, cot,
                            coth, csc, csch, exp2, fmod, log1p, remainder, sec, sech, sinc)
from .ops.functions import heaviside
from .ops.functions import E, PI as pi
from .calculus.differentiate import diff, grad, hessian, jacobian, vjp
from .calculus.series import series
from .language.parse import parse
from .language.latex import parse_latex
from .numeric.kernel import Kernel, compile  # noqa: A004  (shadows the builtin in this namespace only)

from .numeric.reverse import reverse
from .numeric.taylor import taylor
from .eager.tensor import Tensor, no_grad, tensor
from .ops.torch_names import (absolute, arccos, arccosh, arcsin, arcsinh, arctan, arctanh, deg2rad,
                              divide, multiply, negative, pow, rad2deg, reciprocal, square,
                              true_divide)
from .eager.factories import (arange, empty, eye, full, full_like, linspace, normal, ones, ones_like,
                              rand, rand_like, randn, randn_like, zeros, zeros_like)
from .eager.dtypes import bool_, device, dtype, float32, float64, int64
from .eager.joining import cat, concat, concatenate, meshgrid, stack
from .eager.tracing import trace
from .eager import autograd_namespace as autograd
from .eager.seeding import manual_seed
from . import nn, optim
from .language.sympy_bridge import from_sympy
from .checking.check import CheckReport, check
from .checking.verdict import Verdict
from .checking.verify import verify
from .checking.implicit import verify_implicit
from .checking.grade import GradeReport, Graded, grade, read_answers
from .calculus.steps import Derivation, steps

# PyTorch's other spellings (sg.float is float32 and sg.bool the bool dtype, shadowing the
# builtins inside this namespace only, as torch.float and torch.bool do).
float = float32  # noqa: A001
double = float64
long = int64
bool = bool_  # noqa: A001

__version__ = "0.1.0"

__all__ = [
    "CheckReport", "Derivation", "Verdict", "check", "steps", "verify", "verify_implicit",
    "GradeReport", "Graded", "grade", "read_answers",
    "from_sympy",
    "Tensor", "arange", "autograd", "no_grad", "ones", "randn", "reverse", "tensor", "trace",
    "zeros",
    "Kernel", "compile",
    "ArgumentError", "ArityError", "AutogradError", "DomainError", "Expr", "InPlaceError", "LimitError",
    "NameLookupError", "limits",
    "ParseError", "ShapeError", "SymgradError", "__version__", "abs", "acos", "asin", "atan",
    "atan2", "cbrt", "clamp", "constant", "cos", "cosh", "diff", "dot", "erf", "exp", "expm1", "grad",
    "hessian", "jacobian", "log", "log2", "log10", "matmul", "max", "mean", "min", "norm",
    "outer", "parse", "parse_latex", "prod", "relu", "sigmoid", "sign", "sin", "sinh", "size", "softplus",
    "sqrt", "sum", "symbols", "tan", "tanh", "transpose", "vjp", "where",
    "acosh", "acot", "acoth", "acsc", "acsch", "asec", "asech", "asinh", "atanh", "cot", "coth",
    "csc", "csch", "exp2", "log1p", "sec", "sech", "sinc", "E", "pi",
    "absolute", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "deg2rad", "divide",
    "multiply", "negative", "pow", "rad2deg", "reciprocal", "square", "true_divide",
    "empty", "eye", "full", "full_like", "linspace", "normal", "ones_like", "rand", "rand_like",
    "randn_like", "zeros_like",
    "cat", "concat", "concatenate", "meshgrid", "stack", "fmod", "remainder", "heaviside",
    "bool", "device", "double", "dtype", "float", "float32", "float64", "int64", "long",
    "manual_seed", "nn", "optim",
    "series", "taylor",
]
