"""Sums, products and powers, with the light simplification done while building.

`a - b` is `a + (-1)*b` and `a / b` is `a * b**-1`, as in SymPy, so like terms and equal
factors are collected in one place. Nested sums and products are flattened up to
FLATTEN_LIMIT arguments; past it they nest, which keeps Python-loop accumulation linear.

A product of many factors differentiates through prefix and suffix products that stay shared
("groups": two-factor products with a product among their factors, see `grouped`); the
flattener leaves a group whole, so the n partials take about 3n multiplications in all.
"""

from __future__ import annotations

import operator
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from ..core import limits
from ..core.expr import (Expr, apply, constant, constant_value, exact_constant, exact_value,
                         is_number, make_node)
from ..core.opspec import Backend, Jets, OpSpec, register, symbolic
from ..core.shapes import Shape, broadcast

FLATTEN_LIMIT = 64
# Products of at least this many factors differentiate through groups; smaller ones give each
# partial as one flat product (`y*z*w`), as SymPy prints it.
GROUP_FROM = 8


def _flattened(op: str, args: tuple[Expr, ...]) -> tuple[Expr, ...] | list[Expr]:
    for arg in args:
        if arg.op == op:
            break
    else:
        return args  # nothing to splice
    flat: list[Expr] = []
    for arg in args:
        if arg.op == op and len(arg.args) < FLATTEN_LIMIT and not (op == "mul" and is_group(arg)):
            flat.extend(arg.args)
        else:
            flat.append(arg)
    return flat


def is_group(node: Expr) -> bool:
    """Whether `node` is a group: a product without a number factor that has a product of
    fewer than FLATTEN_LIMIT factors among its factors. The builders never make one (they
    splice such a factor); only `grouped` does, so the flattener can leave groups whole."""
    if node.op != "mul":
        return False
    nested = False
    for arg in node.args:
        if arg.op == "mul":
            nested = nested or len(arg.args) < FLATTEN_LIMIT
        elif arg.op == "const" and is_number(arg):
            return False
    return nested


def grouped(a: Expr, b: Expr) -> Expr:
    """`a*b` where a product among them stays one shared factor (a group) rather than being
    spliced into a new flat product, so chains of such products stay linear in size."""
    if a is b or is_number(a) or is_number(b) or not (_spliced(a) or _spliced(b)):
        return build_mul(a, b)
    pair = (a, b) if a.sort_key <= b.sort_key else (b, a)
    return make_node("mul", pair, _common_shape(pair, "*"))


def _spliced(node: Expr) -> bool:
    return node.op == "mul" and len(node.args) < FLATTEN_LIMIT and not is_group(node)


def _shaped(node: Expr, shape: Shape) -> Expr:
    """`node` broadcast to `shape` when simplification dropped the operand that set it."""
    if node.shape == shape:
        return node
    if is_number(node):
        return constant(np.broadcast_to(constant_value(node), shape))
    return make_node("broadcast_to", (node,), shape, (("shape", shape),))


def _common_shape(nodes: tuple[Expr, ...], operation: str) -> Shape:
    first = nodes[0].shape
    for node in nodes:
        if node.shape != first:
            return broadcast(*(node.shape for node in nodes), operation=operation)
    return first


# Coefficients are Fractions when exact, Python floats when decimal (both scalar) and numpy
# arrays otherwise. Exact op exact stays exact; exact op decimal is decimal (Python's own rule).
Number = Any


def _number(node: Expr) -> Number:
    params = node.params  # a number node: exact (its Fraction in params) or a decimal
    if params and params[0][0] == "exact":
        exact: Fraction = params[0][1]
        return exact
    value = constant_value(node)
    return float(value) if value.ndim == 0 else value


def _combined(a: Number, b: Number, operation: Callable[[Any, Any], Any]) -> Number:
    if type(a) is Fraction and type(b) is Fraction:
        result: Fraction = operation(a, b)
        limits.check_exact(result.numerator, result.denominator, "an exact coefficient")
        return result
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):  # no object arrays of Fractions
        a, b = (float(v) if type(v) is Fraction else v for v in (a, b))
    return operation(a, b)


def _plus(a: Number, b: Number) -> Number:
    return _combined(a, b, lambda u, v: u + v)


def _times(a: Number, b: Number) -> Number:
    return _combined(a, b, lambda u, v: u * v)


def _is_zero(value: Number) -> bool:
    if type(value) is float or type(value) is Fraction:
        return value == 0
    return not np.any(value)


def _is_one(value: Number) -> bool:
    # Only the exact 1 disappears from a product: 1.0*x stays, as in SymPy, so that
    # `a - 1.0*x` reads back with its decimal coefficient -1.0.
    return type(value) is Fraction and value == 1


def _as_constant(value: Number, shape: Shape) -> Expr:
    """A coefficient (or total) as a constant node of `shape`."""
    if shape == () and np.ndim(value) == 0:
        return constant(value)
    return constant(np.broadcast_to(np.asarray(float(value) if type(value) is Fraction else value,
                                               dtype=np.float64), shape))


def _coefficient_split(term: Expr) -> tuple[Number, tuple[Expr, ...]]:
    if term.op == "mul" and is_number(term.args[0]):
        return _number(term.args[0]), term.args[1:]
    return Fraction(1), (term,)


def _where_zero_branch(node: Expr) -> int | None:
    """1 or 2: the branch of a `where` node that is a constant zero, else None."""
    if node.op != "where":
        return None
    for branch in (1, 2):
        arg = node.args[branch]
        if is_number(arg) and _is_zero(_number(arg)):
            return branch
    return None


_sort_key = operator.attrgetter("sort_key")


def build_add(*terms: Expr) -> Expr:
    """The canonical sum: constants folded, like terms collected (3*x + 4*x = 7*x)."""
    shape = _common_shape(terms, "+")
    total: Number = _ZERO
    # Terms keyed by what multiplies their number: the factor itself, or the tuple of factors
    # (as `_coefficient_split` splits them); coefficients are read only where terms collect.
    collected: dict[Any, list[Expr]] = {}
    for term in _flattened("add", terms):
        op = term.op
        if op == "const" and is_number(term):
            total = _plus(total, _number(term))
            continue
        if op == "mul" and is_number(term.args[0]):
            key: Any = term.args[1] if len(term.args) == 2 else term.args[1:]
        else:
            key = term
        same = collected.get(key)
        if same is None:
            collected[key] = [term]
        else:
            same.append(term)
    parts: list[Expr] = []
    for same in collected.values():
        if len(same) == 1:
            parts.append(same[0])
            continue
        coefficient, rest = _coefficient_split(same[0])
        for term in same[1:]:
            coefficient = _plus(coefficient, _coefficient_split(term)[0])
        if not _is_zero(coefficient):
            parts.append(build_mul(constant(coefficient), *rest))
    if not _is_zero(total):
        parts.append(constant(total))
    if not parts:
        return _as_constant(total, shape)
    if len(parts) == 1:
        return _shaped(parts[0], shape)
    parts.sort(key=_sort_key)
    return make_node("add", tuple(parts), shape)




def _power_split(factor: Expr) -> tuple[Expr, Number]:
    if factor.op == "pow":
        return factor.args[0], factor.params[0][1]
    return factor, Fraction(1)


def build_mul(*factors: Expr) -> Expr:
    """The canonical product: constants folded, equal bases collected (x*x**2 = x**3).

    A factor `where(c, u, 0)` takes the whole product into its branch, so a derivative that
    is infinite where the other branch was chosen never multiplies a zero adjoint into nan.
    """
    return _product(factors, push=True)


_ONE, _ZERO = Fraction(1), Fraction(0)
_ONE_NODE = exact_constant(_ONE)  # held here, so the interned exact 1 is always this node


def _infinite_constant(factor: Expr) -> bool:
    """Whether `factor` has no free symbols and is infinite or nan somewhere (`0**-1`,
    `log(0)`): zero times it is not zero."""
    if factor.symbols:
        return False
    with np.errstate(all="ignore"):
        return not bool(np.all(np.isfinite(factor.eval())))


def _product(factors: tuple[Expr, ...], push: bool) -> Expr:
    shape = _common_shape(factors, "*")
    coefficient: Number = None  # None until a number factor comes
    number_node: Expr | None = None  # the one scalar number factor, reused as it is
    collected: dict[Expr, list[Expr]] = {}
    merging = wheres = False
    for factor in _flattened("mul", factors):
        op = factor.op
        if op == "const" and (not factor.params or factor.params[0][0] == "exact"):  # a number
            if factor is _ONE_NODE:  # times exact 1: nothing to multiply
                continue
            if coefficient is None:
                coefficient = _number(factor)
                number_node = factor if factor.shape == () else None
            else:
                coefficient, number_node = _times(coefficient, _number(factor)), None
            continue
        base = factor.args[0] if op == "pow" else factor
        wheres = wheres or op == "where"
        same_base = collected.get(base)
        if same_base is None:
            collected[base] = [factor]
        else:
            same_base.append(factor)
            merging = True
    if coefficient is None:
        coefficient = _ONE
    elif (coefficient == 0 if type(coefficient) is float else _is_zero(coefficient)):
        if any(_infinite_constant(factor) for same in collected.values() for factor in same):
            return _as_constant(float("nan"), shape)  # 0/0, 0*log(0): nan, as IEEE and SymPy
        return _as_constant(coefficient, shape)
    if merging:
        parts = [part for base, same_base in collected.items() for part in _merged(base, same_base)]
        parts = [part for part in parts if not (is_number(part) and _is_one(_number(part)))]
        wheres = any(part.op == "where" for part in parts)
    else:
        parts = [same_base[0] for same_base in collected.values()]
    if push and wheres:
        masked = _push_into_where(parts, coefficient, shape)
        if masked is not None:
            return masked
    if isinstance(coefficient, np.ndarray) and coefficient.ndim != 0:
        coefficient, number_node = _scalar_if_uniform(coefficient, parts, shape), None
    if coefficient is not _ONE and not _is_one(coefficient):
        parts.append(number_node if number_node is not None else constant(coefficient))
    if not parts:
        return _as_constant(coefficient, shape)
    if len(parts) == 1:
        return _shaped(parts[0], shape)
    parts.sort(key=_sort_key)
    return make_node("mul", tuple(parts), shape)


# Ops whose value is never negative (or nan): powers of them may merge whatever the exponents.
_NEVER_NEGATIVE = frozenset({"exp", "abs", "cosh", "sigmoid", "softplus", "relu", "sqrt"})


def _never_negative(node: Expr) -> bool:
    if node.op == "const":
        return bool(np.all(node.value >= 0))  # type: ignore[operator]
    if node.op == "pow":
        exponent = node.params[0][1]
        return not float(exponent).is_integer() or exponent % 2 == 0
    return node.op in _NEVER_NEGATIVE


def _merged(base: Expr, factors: list[Expr]) -> list[Expr]:
    """Factors with one base as one power where that keeps the value: x**a * x**b is
    x**(a + b) for x > 0, but at x < 0 a non-integer power is nan, so x**0.5 * x**0.5 stays
    nan rather than becoming x. (At x = 0, x * x**-1 is 1 as in SymPy: a removable nan.)"""
    if len(factors) == 1:
        return factors
    exponents = [_power_split(factor)[1] for factor in factors]
    total = sum(exponents)
    if (all(float(e).is_integer() for e in exponents) or not float(total).is_integer()
            or _never_negative(base)):
        return [build_pow(base, total)]
    # Kept as they are (x**0.5*x**0.5): a power of a power, (x**0.5)**2, would group with
    # other powers of x**0.5 when its text is read back, and read back as another node.
    return factors


def _scalar_if_uniform(coefficient: Any, parts: list[Expr], shape: Shape) -> Any:
    """[8, 8, 8]*x is 8*x when the other factors already have the product's shape."""
    if np.ndim(coefficient) == 0 or not parts:
        return coefficient
    flat = np.ravel(coefficient)
    if flat.size and np.all(flat == flat[0]) and broadcast(*(p.shape for p in parts)) == shape:
        return float(flat[0])
    return coefficient


def _push_into_where(parts: list[Expr], coefficient: Any, shape: Shape) -> Expr | None:
    for position, part in enumerate(parts):
        branch = _where_zero_branch(part)
        if branch is None or len(parts) + (not _is_one(coefficient)) < 2:
            continue
        others = parts[:position] + parts[position + 1:]
        live = part.args[3 - branch]
        # One level only: the branch's product is not pushed again, so nested `where`s (a
        # chain of them in a deep gradient) cost constant work and no recursion.
        product = _product((constant(coefficient), live, *others), push=False)
        branches = [part.args[1], part.args[2]]
        branches[2 - branch] = product
        zero = constant(0)
        branches[branch - 1] = zero
        return _shaped(apply("where", part.args[0], *branches), shape)
    return None


def exponent_number(exponent: Any) -> Number:
    """A pow's exponent as stored: a Fraction when exact (2, 1/3), a float when decimal."""
    if type(exponent) is Fraction or type(exponent) is float:
        return exponent
    if isinstance(exponent, (int, np.integer)) and not isinstance(exponent, (bool, np.bool_)):
        return Fraction(int(exponent))
    if isinstance(exponent, Fraction):
        return Fraction(exponent)
    return float(exponent)


def _is_integer(value: Number) -> bool:
    return value.denominator == 1 if type(value) is Fraction else float(value).is_integer()


def build_pow(base: Expr, exponent: Any) -> Expr:
    """`base ** exponent` for a constant scalar exponent, simplified."""
    exponent = exponent_number(exponent)
    if type(exponent) is Fraction:  # compared by its integers: Fraction.__eq__ is slow Python
        whole = exponent.denominator == 1
        one, zero = whole and exponent.numerator == 1, whole and exponent.numerator == 0
    else:
        one, zero = exponent == 1, exponent == 0
    if one:
        return base
    if zero:
        return _as_constant(Fraction(1), base.shape)
    if is_number(base):
        folded = _constant_power(base, exponent)
        if folded is not None:
            return folded
    inner = base.params[0][1] if base.op == "pow" else None
    if inner is not None and _is_integer(exponent) and (_is_integer(inner) or (
            type(inner) is Fraction and not _is_integer(inner * exponent))):
        return build_pow(base.args[0], inner * exponent)  # (x**(2/3))**-1 = x**(-2/3)
    exact = type(exponent) is Fraction
    if exact and abs(exponent) == Fraction(1, 2):  # sqrt(x) and 1/sqrt(x), as SymPy prints them
        root = apply("sqrt", base)
        return root if exponent > 0 else build_pow(root, -1)
    if exact and base.op == "sqrt" and exponent.denominator == 1 and exponent % 2 and abs(exponent) > 1:
        return build_pow(base.args[0], Fraction(exponent) / 2)  # sqrt(x)**-3 = x**(-3/2)
    if base.op == "mul" and _is_integer(exponent):  # (2*x*y)**-1 = x**-1*y**-1/2, as SymPy holds it
        return build_mul(*(build_pow(factor, exponent) for factor in base.args))
    return make_node("pow", (base,), base.shape, (("exponent", exponent),))


def _constant_power(base: Expr, exponent: Number) -> Expr | None:
    exact = exact_value(base)
    if exact is not None and type(exponent) is Fraction:
        result = exact_power(exact, exponent)
        return None if result is None else exact_constant(result)
    with np.errstate(all="ignore"):
        value = np.power(constant_value(base), float(exponent))
    return constant(value) if np.all(np.isfinite(value)) else None


def exact_power(base: Fraction, exponent: Fraction) -> Fraction | None:
    """`base ** exponent` when it is rational and within `limits.MAX_EXACT_BITS`, else None
    (4**(1/2) is 2; 2**(1/2), (-8)**(1/3) (nan in numpy) and 10**10**10 are None)."""
    p, q = exponent.numerator, exponent.denominator
    if base == 0:
        return Fraction(0) if exponent > 0 else None
    if abs(base) == 1 and q == 1:
        return base ** p
    if q > 1:
        if base < 0:
            return None
        top, bottom = integer_root(base.numerator, q), integer_root(base.denominator, q)
        if top is None or bottom is None:
            return None
        base = Fraction(top, bottom)
    bits = max(base.numerator.bit_length(), base.denominator.bit_length()) * abs(p)
    if bits > limits.MAX_EXACT_BITS:
        return None
    result: Fraction = base ** p
    return result


def integer_root(n: int, q: int) -> int | None:
    """The exact q-th root of the natural number n, or None when it is not a whole number."""
    if n < 2:
        return n
    if q > n.bit_length():
        return None
    root = 1 << -(-n.bit_length() // q)  # at least the root; Newton's steps come down to it
    while True:
        lower = ((q - 1) * root + n // root ** (q - 1)) // q
        if lower >= root:
            break
        root = lower
    return root if root ** q == n else None


def _times_values(a: Any, b: Any) -> Any:
    return a * b


def _product_of_others(args: tuple[Any, ...],
                       times: Callable[[Any, Any], Any] = _times_values) -> list[Any]:
    # Prefix and suffix products: linear size, and no division (exact at zeros).
    count = len(args)
    prefix: list[Any] = [None] * count
    suffix: list[Any] = [None] * count
    for position in range(1, count):
        previous = prefix[position - 1]
        prefix[position] = args[0] if previous is None else times(previous, args[position - 1])
    for position in range(count - 2, -1, -1):
        following = suffix[position + 1]
        suffix[position] = args[-1] if following is None else times(args[position + 1], following)
    return [p if s is None else s if p is None else times(p, s) for p, s in zip(prefix, suffix)]


def _groups_apply(args: tuple[Any, ...]) -> bool:
    # Not with a `where` factor: the flat builder pushes the other factors into its branch.
    return (len(args) >= GROUP_FROM and all(isinstance(arg, Expr) for arg in args)
            and not any(_where_zero_branch(arg) is not None for arg in args))


def _mul_grad(F: Backend, g: Any, out: Any, *args: Any) -> tuple[Any, ...]:
    if len(args) > 1 and isinstance(args[0], Expr) and is_number(args[0]):
        # A number factor (sorted first) has no adjoint to build: it scales the adjoint once
        # rather than entering every product of the others. (The rule never reads `out`: eager
        # autograd looks for that name in its code.)
        return (None, *_mul_grad(F, g * args[0], None, *args[1:]))
    if len(args) == 1:
        return (g,)
    if len(args) == 2:
        return (g * args[1], g * args[0])
    if _groups_apply(args):
        return tuple(g * others for others in _product_of_others(args, grouped))
    return tuple(g * others for others in _product_of_others(args))


def _add_numpy(*values: np.ndarray) -> np.ndarray:
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


def _mul_numpy(*values: np.ndarray) -> np.ndarray:
    total = values[0]
    for value in values[1:]:
        total = total * value
    return total


def _sympy_pow(sympy: Any, base: Any, exponent: Any) -> Any:
    # An exact exponent is a Rational, a decimal one a Float (as SymPy reads `x**2.0`).
    if type(exponent) is Fraction:
        exponent = sympy.Rational(exponent.numerator, exponent.denominator)
    elif isinstance(exponent, float):
        exponent = sympy.Float(exponent)
    return sympy.Pow(base, exponent)


def _pow_grad(F: Backend, g: Any, out: Any, x: Any, exponent: Number) -> tuple[Any]:
    # x**0 is the constant 1, so its derivative is 0 everywhere, 0 included (PyTorch's
    # choice too); the general rule would give 0 * 0**-1 = nan there.
    if exponent == 0:
        return (g * 0,)
    if not (symbolic(F) or isinstance(x, Expr)):  # numbers and tensors compute in float64
        exponent = float(exponent)
    return (g * exponent * x ** (exponent - 1),)


def _power_grad(F: Backend, g: Any, out: Any, base: Any, exponent: Any) -> tuple[Any, Any]:
    by_base = g * exponent * base ** (exponent - 1)
    by_exponent = g * out * F.log(base)
    if symbolic(F) or isinstance(by_exponent, Expr) or isinstance(by_base, Expr):
        return by_base, by_exponent  # the textbook form, for printing (Taylor mode on Exprs too)
    # PyTorch's values where the formulas are 0 * inf: an exponent 0 contributes nothing to
    # d/dx (masked only at base 0, where the formula is 0 * inf: elsewhere it is 0 already, and
    # unmasked it keeps its own derivative right under create_graph), and at base 0 with
    # exponent >= 0 the exponent's partial is 0 (0**y is constant 0).
    by_base = F.where(F.eq(exponent, 0.0) * F.eq(base, 0.0), 0.0, by_base)
    at_zero = F.where(F.eq(base, 0.0), F.ge(exponent, 0.0), 0.0 * base)
    by_exponent = F.where(at_zero, 0.0, by_exponent)
    return by_base, by_exponent


def _pow_taylor(J: Jets, x: Any, exponent: Any) -> Any:
    # Whole exponents multiply (exact, and right where x is 0); others follow the recurrence
    # of x*y' = a*x'*y: y_k = sum_{j=1..k} (a*j - (k - j)) x_j y_{k-j} / (k x_0).
    if float(exponent).is_integer():
        whole = int(exponent)
        if whole == 0:
            return J.constant(J.F.pow(x[0], exponent=exponent))
        if whole < 0:
            return J.divide(1, _pow_taylor(J, x, -whole))
        power, factor, result = whole, x, None
        while power:
            if power & 1:
                result = factor if result is None else J.multiply(result, factor)
            power >>= 1
            if power:
                factor = J.multiply(factor, factor)
        return result

    def coefficient(k: int) -> Any:
        if k == 0:
            return J.F.pow(x[0], exponent=exponent)
        total: Any = 0
        for j in range(1, k + 1):
            weight = exponent * j - (k - j)
            if weight != 0 and not (type(x[j]) is int and x[j] == 0):
                total = total + weight * x[j] * y[k - j]
        return total / (k * x[0])
    y = J.series(coefficient)
    return y


register(OpSpec(
    name="add", arity=-1, numpy=_add_numpy, build=build_add, public=False,
    grad=lambda F, g, out, *args: tuple(g for _ in args), commutative=True,
    taylor=lambda J, *args: J.add(*args),
    sympy="Add", torch="Add", domain=((-3, 3), (-3, 3)),
))
register(OpSpec(
    name="mul", arity=-1, numpy=_mul_numpy, build=build_mul, public=False,
    grad=_mul_grad, taylor=lambda J, *args: J.multiply(*args), commutative=True, sympy="Mul", torch="Mul", domain=((-3, 3), (-3, 3)),
))
register(OpSpec(
    name="pow", arity=1, public=False,
    numpy=lambda x, exponent: np.power(x, float(exponent)),
    build=build_pow,
    grad=_pow_grad, taylor=_pow_taylor, sympy=_sympy_pow, torch="Pow", domain=((0.2, 3),),
    note="x**n with a constant n; 0**0 is 1 as in numpy",
))
register(OpSpec(
    name="power", arity=2, numpy=np.power, fold=True, public=False,
    grad=_power_grad,
    sympy="Pow", latex=r"{0}^{{{1}}}", torch="Pow", domain=((0.2, 3), (-2, 2)),
    note="numerically (eager backward, sg.reverse) d/dy 0**y is 0 for y >= 0 and d/dx x**0 is "
         "0, as PyTorch; the symbolic derivative stays the textbook x**y*log(x) (nan at x = 0 "
         "when evaluated), so x**x differentiates to x**x*log(x) + x*x**(x - 1)",
))
