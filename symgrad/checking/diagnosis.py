"""What went wrong in a wrong derivative: the usual mistakes, each recognised by its numbers.

`diagnose` compares the claimed and the true derivative at the sample points with what each
usual mistake would give (a constant factor, a sign, a missing chain-rule factor, a reversed
quotient rule, the derivative of a constant term, a missing or extra term, ...) and names the
first that fits. Each diagnosis is a function of a `_Context`, tried in the order of `DIAGNOSES`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from ..calculus.differentiate import diff
from ..core.errors import SymgradError
from ..numeric.evaluate import evaluate
from ..core.expr import Expr, constant, constant_value
from ..language.printing import to_text
from ..language.sympy_bridge import SympyTimeout, from_sympy, to_sympy, within
from .sampling import format_point, point_dict
from ..core.traverse import topological

RTOL, ATOL = 1e-6, 1e-9
SYMPY_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Samples:
    """The sample points (batched) and the derivative's and the claim's values there, flattened."""

    batch: dict[str, np.ndarray]
    expected: np.ndarray     # (points, elements)
    claimed: np.ndarray

    def values(self, expr: Expr) -> np.ndarray:
        """`expr` at the points, shaped like `expected`."""
        count = len(self.expected)
        with np.errstate(all="ignore"):
            value = evaluate(expr, {name: self.batch[name] for name in expr.symbols})
        flat = np.broadcast_to(value, (count, *expr.shape)).reshape(count, -1)
        # A scalar helper (an inner derivative, say) multiplies every element alike.
        return np.broadcast_to(flat, self.expected.shape)


def close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise agreement within RTOL (relative to the larger) and ATOL."""
    with np.errstate(all="ignore"):
        agree: np.ndarray = (np.abs(a - b) <= ATOL + RTOL * np.maximum(np.abs(a), np.abs(b))) | (a == b)
        return agree


def shown(value: Any) -> str:
    """A value to 6 significant digits; an array as nested lists."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim:
        return "[" + ", ".join(shown(item) for item in array) + "]"
    return f"{float(array):.6g}"


# -- SymPy's view -------------------------------------------------------------------------------
def load_sympy() -> None:
    """Import SymPy (a second or more, once per process) before a time limit starts, so the
    limit measures the work and not the import."""
    import sympy  # noqa: F401
    import sympy.calculus.util  # noqa: F401


def sympy_difference(derivative: Expr, claim: Expr) -> Any:
    """SymPy's simplified `claim - derivative`, or None (unmappable, too big, out of time)."""
    if derivative.size + claim.size > 400:
        return None
    load_sympy()

    def work() -> Any:
        import sympy
        difference = to_sympy(claim, real=True) - to_sympy(derivative, real=True)
        if isinstance(difference, sympy.NDimArray):
            # Arrays: only "all zero" is of use (to prove the claim); no expression to show.
            return 0 if all(sympy.simplify(item) == 0 for item in difference) else None
        return sympy.simplify(difference)
    try:
        result = within(SYMPY_SECONDS, work)
    except (SympyTimeout, SymgradError, RecursionError, ValueError, TypeError, ArithmeticError,
            AttributeError, NotImplementedError):
        return None
    if result is not None and not isinstance(result, (int, float)) and hasattr(result, "is_zero"):
        return 0 if result.is_zero is True or result == 0 else result
    return 0 if result is not None else None


# -- what went wrong --------------------------------------------------------------------------------
Diagnosis = Callable[["_Context"], str | None]


@dataclass(frozen=True, slots=True)
class _Context:
    """What every diagnosis needs: the function, the variable, values where both are finite."""

    function: Expr
    name: str
    claim: Expr
    derivative: Expr
    samples: Samples
    valid: np.ndarray          # points where the derivative and the claim are both finite
    use_sympy: bool
    variables: tuple[str, ...] = ()   # differentiated by, in order (one name: first derivative)

    @property
    def expected(self) -> np.ndarray:
        kept: np.ndarray = self.samples.expected[self.valid]
        return kept

    @property
    def claimed(self) -> np.ndarray:
        kept: np.ndarray = self.samples.claimed[self.valid]
        return kept

    def values(self, expr: Expr) -> np.ndarray:
        kept: np.ndarray = self.samples.values(expr)[self.valid]
        return kept

    def agrees(self, left: np.ndarray, right: np.ndarray) -> bool:
        """`left` equals `right` at every valid point (there being some)."""
        return bool(self.valid.any() and np.all(close(left, right)))

    def matches(self, expected: np.ndarray) -> bool:
        """The claim equals `expected` (values at the valid points)."""
        return self.agrees(self.claimed, expected)


def diagnose(function: Expr, variables: str | tuple[str, ...], claim: Expr, derivative: Expr,
             samples: Samples, use_sympy: bool = True) -> str:
    """A sentence on how the claim differs from the derivative (by `variables`, in order: one
    name for a first derivative)."""
    names = (variables,) if isinstance(variables, str) else variables
    valid = np.all(np.isfinite(samples.expected) & np.isfinite(samples.claimed), axis=1)
    context = _Context(function, names[-1], claim, derivative, samples, valid, use_sympy, names)
    for diagnosis in DIAGNOSES if len(names) == 1 else HIGHER_DIAGNOSES:
        with np.errstate(all="ignore"):  # values far out overflow; such points just do not fit
            message = diagnosis(context)
        if message is not None:
            return "wrong: " + message
    return "wrong: your answer differs from the derivative"


def _undefined(c: _Context) -> str | None:
    undefined = ~c.valid & np.all(np.isfinite(c.samples.expected), axis=1)
    if not undefined.any() or not c.matches(c.expected):
        return None
    first = int(np.argmax(undefined))
    where = point_dict(c.samples.batch, first)
    return (f"your answer is not defined at {format_point(where)}, where the derivative is "
            f"{shown(c.samples.expected[first])} (elsewhere they agree)")


def _near_miss(c: _Context) -> str | None:
    """A claim within RTOL of the derivative everywhere (yet confirmed wrong) is a rounded or
    mistyped number, not a mistake of method: every other diagnosis would fit it too."""
    if not c.matches(c.expected):
        return None
    difference = np.max(np.abs(c.claimed - c.expected), axis=1)
    scale = np.max(np.maximum(np.abs(c.expected), np.abs(c.claimed)), axis=1)
    sized = scale > ATOL  # where the derivative is about 0, say the difference itself
    with np.errstate(all="ignore"):
        relative = np.where(sized, difference / np.where(sized, scale, 1.0), -1.0)
    worst = int(np.argmax(relative)) if sized.any() else int(np.argmin(difference))
    amount = (f"a relative {relative[worst]:.1e}" if sized.any() else
              f"{difference[worst]:.1e} where the derivative is about 0")
    where = point_dict({name: array[c.valid] for name, array in c.samples.batch.items()}, worst)
    return (f"your answer is close to the derivative but not equal: they differ by {amount} "
            f"at {format_point(where)}, beyond rounding (a rounded or mistyped number?)")


def _zero(c: _Context) -> str | None:
    if not c.matches(np.zeros_like(c.expected)):
        return None
    return "your answer is 0, but the derivative is not"


def _function_itself(c: _Context) -> str | None:
    if c.function.shape != c.derivative.shape or not c.matches(c.values(c.function)):
        return None
    return "your answer is the function itself, not its derivative"


def _other_variable(c: _Context) -> str | None:
    for other, shape in c.function.symbol_shapes.items():
        if other != c.name and shape == () and c.matches(c.values(diff(c.function, other))):
            return f"that is the derivative with respect to {other}, not {c.name}"
    return None


def _sign(c: _Context) -> str | None:
    if not c.matches(-c.expected):
        return None
    parts = _quotient(c.function, c.name)
    if parts is not None and c.name in parts[0].symbols:
        return ("your answer is the negative of the derivative: the quotient rule is "
                "(u/v)' = (u'*v - u*v')/v**2; did you swap the two terms?")
    return "your answer has the wrong sign: it is the negative of the derivative"


def _chain_factor(c: _Context) -> str | None:
    for inner in _inner_functions(c.function, c.name):
        inner_derivative = diff(inner, c.name)
        if c.agrees(c.claimed * c.values(inner_derivative), c.expected):
            return (f"you left out the chain-rule factor d/d{c.name}({to_text(inner, 60)}) = "
                    f"{to_text(inner_derivative, 60)}, the derivative of the inner function")
    return None


def _power_exponent(c: _Context) -> str | None:
    power = _power_parts(c.function)
    if power is None:
        return None
    base, exponent = power
    if c.agrees(c.claimed, c.expected * c.values(base)):
        return (f"the power rule lowers the exponent by one: (u**n)' = n*u**(n-1)*u', "
                f"here {_fraction(exponent)}*({to_text(base, 60)})**{_fraction(exponent - 1)}*...")
    return None


def _constant_factor(c: _Context) -> str | None:
    usable = np.abs(c.expected) > 1e-8
    if not usable.any():
        return None
    with np.errstate(all="ignore"):
        factor = float(np.median(c.claimed[usable] / c.expected[usable]))
    if not math.isfinite(factor) or not c.matches(factor * c.expected):
        return None
    message = f"your answer is {_fraction(factor)} times the derivative"
    power = _power_parts(c.function)
    if power is not None and abs(factor * power[1] - 1) < 1e-9:
        message += f"; the power rule multiplies by the exponent {_fraction(power[1])}"
    return message


def _product_rule(c: _Context) -> str | None:
    parts = _factors(c.function, c.name)
    if parts is None:
        return None
    u, v = parts
    if c.matches(c.values(diff(u, c.name)) * c.values(diff(v, c.name))):
        return ("the derivative of a product is not the product of the derivatives: "
                "(u*v)' = u'*v + u*v'")
    return None


def _quotient_rule(c: _Context) -> str | None:
    parts = _quotient(c.function, c.name)
    if parts is None:
        return None
    u, v = parts
    if c.agrees(c.claimed, c.expected * c.values(v) ** 2):
        return (f"you forgot to divide by the square of the denominator, ({to_text(v, 60)})**2, "
                "in the quotient rule")
    if c.agrees(c.claimed * c.values(diff(v, c.name)), c.values(diff(u, c.name))):
        return ("the derivative of a quotient is not the quotient of the derivatives: "
                "(u/v)' = (u'*v - u*v')/v**2")
    return None


def _constant_term(c: _Context) -> str | None:
    offset = float(np.median(c.claimed - c.expected)) if c.valid.any() else math.nan
    if not math.isfinite(offset) or not c.matches(c.expected + offset):
        return None
    message = f"your answer is off by the constant {_fraction(offset)}"
    if c.function.op == "add" and any(t.op == "const" and t.shape == () and float(constant_value(t)) == offset
                                       for t in c.function.args):
        message += f": the derivative of the constant term {_fraction(offset)} is 0"
    return message


def _missing_term(c: _Context) -> str | None:
    if c.derivative.op != "add":
        return None
    for term in c.derivative.args:
        if c.matches(c.expected - c.values(term)):
            return f"your answer is missing the term {to_text(term, 60)}"
    return None


def _extra_term(c: _Context) -> str | None:
    if c.claim.op != "add":
        return None
    for term in c.claim.args:
        if c.agrees(c.claimed - c.values(term), c.expected):
            return f"your answer has an extra term {to_text(term, 60)}"
    return None


def _second_derivative(c: _Context) -> str | None:
    if not c.matches(c.values(diff(c.derivative, c.name))):
        return None
    return "that is the second derivative: you differentiated twice"


def _integrated(c: _Context) -> str | None:
    if c.function.shape != c.derivative.shape or c.claim.shape != c.function.shape:
        return None
    if not c.agrees(c.values(diff(c.claim, c.name)), c.values(c.function)):
        return None
    return "that is an antiderivative (you integrated): its derivative is the function"


def _difference(c: _Context) -> str | None:
    difference = c.claim - c.derivative
    if c.use_sympy:
        simplified = sympy_difference(c.derivative, c.claim)
        if simplified is not None and simplified != 0:
            text = str(simplified).replace("**", "^") if not hasattr(simplified, "free_symbols") \
                else _sympy_text(simplified)
            if text is not None and len(text) <= 80:
                return f"your answer minus the derivative is {text}"
    text = to_text(difference, 81)  # cut texts are 81 long
    if len(text) <= 80:
        return f"your answer minus the derivative is {text}"
    return None


def _sympy_text(value: Any) -> str | None:
    try:
        return to_text(from_sympy(value))
    except SymgradError:
        return None


DIAGNOSES: tuple[Diagnosis, ...] = (
    _undefined, _near_miss, _zero, _function_itself, _other_variable, _sign, _chain_factor, _power_exponent,
    _constant_factor, _product_rule, _quotient_rule, _constant_term, _missing_term, _extra_term,
    _second_derivative, _integrated, _difference,
)


# -- higher derivatives and mixed partials ------------------------------------------------------------
def _ordinal(order: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(order, f"order-{order}")


def _lower_order(c: _Context) -> str | None:
    """The claim is an earlier derivative in the chain: f, f', ... (stopped too soon)."""
    order = len(c.variables)
    mixed = len(set(c.variables)) > 1
    partial = c.function
    for done in range(order):
        if done and partial.shape == c.derivative.shape and c.matches(c.values(partial)):
            left = order - done
            if mixed:
                again = ", ".join(c.variables[done:])
                return (f"that is the partial derivative by {', '.join(c.variables[:done])} "
                        f"only: the mixed partial differentiates it again by {again}")
            times = "once more" if left == 1 else f"{left} more times"
            return (f"that is the {_ordinal(done)} derivative, but the {_ordinal(order)} was "
                    f"asked: differentiate {to_text(partial, 60)} {times}")
        partial = diff(partial, c.variables[done])
    if c.function.shape == c.derivative.shape and c.matches(c.values(c.function)):
        return "your answer is the function itself, not its derivative"
    return None


def _too_many_times(c: _Context) -> str | None:
    if not c.matches(c.values(diff(c.derivative, c.variables[-1]))):
        return None
    return (f"that is the {_ordinal(len(c.variables) + 1)} derivative: you differentiated "
            "once too often")


def _pure_instead_of_mixed(c: _Context) -> str | None:
    if len(set(c.variables)) == 1:
        return None
    order = len(c.variables)
    for name in dict.fromkeys(c.variables):
        pure = c.function
        for _ in range(order):
            pure = diff(pure, name)
        if c.matches(c.values(pure)):
            return (f"that is d^{order}/d{name}^{order}, the {_ordinal(order)} derivative by "
                    f"{name} alone, not the mixed partial by {', '.join(c.variables)}")
    return None


def _higher_sign(c: _Context) -> str | None:
    if not c.matches(-c.expected):
        return None
    return "your answer has the wrong sign: it is the negative of the derivative"


HIGHER_DIAGNOSES: tuple[Diagnosis, ...] = (
    _undefined, _near_miss, _zero, _lower_order, _too_many_times, _pure_instead_of_mixed, _higher_sign,
    _constant_factor, _constant_term, _missing_term, _extra_term, _difference,
)


# -- the structure of the function --------------------------------------------------------------------
def _inner_functions(function: Expr, name: str, limit: int = 20) -> list[Expr]:
    """Arguments of the one-argument functions and powers inside `function` that depend on
    `name` and are not the variable itself: the inner functions of the chain rule."""
    found: list[Expr] = []
    for node in reversed(topological([function])):
        if node.op in ("symbol", "const", "add", "mul"):
            continue
        if node.op != "power" and (node.spec.arity != 1 or not node.spec.elementwise):
            continue
        inner = node.args[0]
        if inner.op != "symbol" and inner not in found and name in inner.symbols:
            found.append(inner)
        if len(found) >= limit:
            break
    return found


def _power_parts(function: Expr) -> tuple[Expr, float] | None:
    if function.op == "pow":
        return function.args[0], float(function.kwargs["exponent"])
    return None


def _is_reciprocal(factor: Expr) -> bool:
    return factor.op == "pow" and float(factor.kwargs["exponent"]) < 0


def _quotient(function: Expr, name: str) -> tuple[Expr, Expr] | None:
    """(u, v) when `function` is u/v with a denominator v that depends on `name`."""
    factors = list(function.args) if function.op == "mul" else [function]
    bottom = [f for f in factors if _is_reciprocal(f) and name in f.symbols]
    if not bottom:
        return None
    top = [f for f in factors if f not in bottom]
    numerator = _product(top)
    denominator = _product([f.args[0] ** -float(f.kwargs["exponent"]) for f in bottom])
    return numerator, denominator


def _factors(function: Expr, name: str) -> tuple[Expr, Expr] | None:
    """(u, v) when `function` is a product u*v of two parts that depend on `name`."""
    if function.op != "mul" or _quotient(function, name) is not None:
        return None
    dependent = [f for f in function.args if name in f.symbols]
    if len(dependent) < 2:
        return None
    rest = [f for f in function.args if f is not dependent[0]]
    return dependent[0], _product(rest)


def _product(factors: list[Expr]) -> Expr:
    result = constant(1)
    for factor in factors:
        result = result * factor
    return result


def _fraction(value: float) -> str:
    """`2`, `1/2`, `-3/4` for simple fractions, else six significant digits."""
    fraction = Fraction(value).limit_denominator(100)
    if abs(float(fraction) - value) <= 1e-9 * max(1.0, abs(value)):
        return str(fraction)
    return f"{value:.6g}"


# -- kinds of mistake, for a class summary --------------------------------------------------------------
MISTAKE_KINDS: tuple[tuple[str, str], ...] = (
    # (words in a diagnosis, the kind of mistake), first match wins
    ("not defined", "answer undefined where the derivative exists"),
    ("close to the derivative", "near miss: a rounded or mistyped number"),
    ("is 0, but", "answered 0"),
    ("function itself", "gave the function itself"),
    ("but the", "stopped a derivative too soon"),
    ("again by", "stopped a derivative too soon"),
    ("once too often", "differentiated too often"),
    ("you differentiated twice", "differentiated too often"),
    ("not the mixed partial", "pure instead of mixed partial"),
    ("with respect to", "differentiated by the wrong variable"),
    ("chain-rule", "missing chain-rule factor"),
    ("power rule lowers", "power rule: exponent not lowered"),
    ("quotient", "quotient rule"),
    ("product", "product rule"),
    ("wrong sign", "sign"),
    ("upside down", "implicit: reciprocal of the slope"),
    ("stopped at F_", "implicit: did not divide by F_y"),
    ("times the derivative", "constant factor"),
    ("constant term", "derivative of a constant term"),
    ("off by the constant", "off by a constant"),
    ("missing the term", "missing term"),
    ("extra term", "extra term"),
    ("antiderivative", "integrated instead"),
)


def mistake_kind(diagnosis: str) -> str:
    """A short name for the kind of mistake a diagnosis describes ("other" if none fits)."""
    for words, kind in MISTAKE_KINDS:
        if words in diagnosis:
            return kind
    return "other"
