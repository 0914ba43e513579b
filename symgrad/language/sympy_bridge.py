"""Conversion to and from SymPy, and simplification through it.

SymPy is imported only when one of these functions runs: `import symgrad` never imports it.

- `to_sympy(e)`: a scalar Expr gives a SymPy expression; a non-scalar one gives a
  `sympy.Array` (any rank; `sympy.Matrix(array)` turns a rank-2 result into a matrix).
  A symbol `w` of shape (3,) becomes the SymPy symbols `w_0, w_1, w_2`; one of shape (2, 2)
  becomes `w_0_0, w_0_1, w_1_0, w_1_1` (the element's index, joined by underscores).
  Exact numbers become Integers and Rationals, `pi` and `e` SymPy's `pi` and `E`, decimals
  Floats (as SymPy reads `0.5`). Elements of constant arrays (float64, often integer literals)
  become Integers when whole.
- `from_sympy(s)`: the Expr of a SymPy expression (scalar symbols, by name).
- `simplify(e)`: `sympy.simplify` on the way through, with a time limit.
- `within(seconds, work, *args)`: any SymPy work under a time limit (`SympyTimeout`).
"""

from __future__ import annotations

import math
import os
import pickle
import select
import signal
import threading
import time
from fractions import Fraction
from typing import Any, Callable, Iterator, TypeVar

import numpy as np

from ..core.errors import ArgumentError, NameLookupError, ShapeError, SymgradError
from ..core.greek import canonical_name
from ..core.expr import (Expr, apply, as_expr, constant, constant_name, constant_value,
                         exact_value, named_constant, power, symbol)
from ..core.opspec import OPS, OpSpec
from .. import ops  # noqa: F401  (registers the operation table)
from ..core.traverse import topological


SIMPLIFY_SECONDS = 5.0
T = TypeVar("T")


# -- symgrad -> SymPy ----------------------------------------------------------------------------
def to_sympy(expr: Expr, real: bool = False) -> Any:
    """The SymPy equivalent of `expr` (a `sympy.Array` when `expr` is not a scalar).

    `real=True` declares every symbol real, which lets SymPy simplify `Abs`, `sqrt(x**2)`
    and the like; the default plain symbols match `sympy.Symbol(name)` and `sympify`.
    """
    import sympy
    expr = as_expr(expr)
    values: dict[Expr, Any] = {}
    try:
        for node in topological([expr]):
            values[node] = _node_to_sympy(sympy, node, [values[arg] for arg in node.args], real)
        return _finished(sympy, values[expr])
    except SymgradError:
        raise
    except RecursionError:
        raise SympyError("SymPy cannot take this expression: it nests too deeply for SymPy's "
                         f"recursive algorithms ({expr.size} nodes)") from None
    except MemoryError:
        raise SympyError("SymPy ran out of memory converting this expression") from None
    except Exception as error:  # noqa: BLE001  SymPy fails in many ways (ValueError, TypeError, ...)
        raise SympyError(f"SymPy cannot take this expression: {type(error).__name__}: "
                         f"{str(error)[:200]}") from error


def _finished(sympy: Any, value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.item() if value.ndim == 0 else sympy.Array(value.tolist())
    return value


def _node_to_sympy(sympy: Any, node: Expr, args: list[Any], real: bool) -> Any:
    if node.op == "symbol":
        return _symbol_to_sympy(sympy, node.name or "", node.shape, real)
    if node.op == "const":
        return _constant_to_sympy(sympy, node)
    spec = node.spec
    function = _sympy_function(sympy, node.op, spec.sympy)
    params = node.kwargs
    if spec.elementwise and any(isinstance(arg, np.ndarray) for arg in args):
        elementwise = np.frompyfunc(lambda *items: function(*items, **params), len(args), 1)
        return _plain(elementwise(*args))
    return _plain(function(*args, **params))


def _plain(value: Any) -> Any:
    """Object arrays of rank 0 become their element, so scalars stay SymPy objects."""
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return value.item()
        return value.astype(object)
    return value


def _sympy_function(sympy: Any, op: str, mapping: Any) -> Callable[..., Any]:
    if mapping is None:
        raise SymgradError(f"operation {op!r} has no SymPy equivalent")
    if isinstance(mapping, str):
        target = getattr(sympy, mapping)
        return lambda *args: target(*args)
    return lambda *args, **params: mapping(sympy, *args, **params)


def _symbol_to_sympy(sympy: Any, name: str, shape: tuple[int, ...], real: bool) -> Any:
    if shape == ():
        return sympy_symbol(name, real=real)
    elements = np.empty(shape, dtype=object)
    for position in np.ndindex(*shape):
        elements[position] = sympy_symbol(name, position, real)
    return elements


def sympy_symbol(name: str, element: tuple[int, ...] = (), real: bool = False) -> Any:
    """The SymPy symbol `to_sympy` makes for the symbol `name`, or for its `element` (`w_0_1`)."""
    import sympy
    assumptions = {"real": True} if real else {}
    return sympy.Symbol(name + "".join(f"_{index}" for index in element), **assumptions)


def _array_map(function: Callable[[Any], Any], value: Any) -> Any:
    array = np.asarray(value)
    if array.ndim == 0:
        return function(array)
    result = np.empty(array.shape, dtype=object)
    for position in np.ndindex(*array.shape):
        result[position] = function(array[position])
    return result


def _constant_to_sympy(sympy: Any, node: Expr) -> Any:
    name = constant_name(node)
    if name is not None:
        return sympy.pi if name == "pi" else sympy.E
    exact = exact_value(node)
    if exact is not None:
        return sympy.Rational(exact.numerator, exact.denominator)
    if node.shape == ():
        return decimal_to_sympy(sympy, float(constant_value(node)))
    return _array_map(lambda item: number_to_sympy(sympy, float(item)), node.value)


def decimal_to_sympy(sympy: Any, value: float) -> Any:
    """A decimal as a SymPy Float (infinities and nan as SymPy's)."""
    if not math.isfinite(value):
        return sympy.nan if value != value else (sympy.oo if value > 0 else -sympy.oo)
    return sympy.Float(value)


def number_to_sympy(sympy: Any, value: float) -> Any:
    """A float as SymPy's exact number where it is one (integers, pi, e, small fractions)."""
    known = _known_constants(sympy).get(value)
    if known is not None:
        return known
    if not math.isfinite(value):
        return sympy.nan if value != value else (sympy.oo if value > 0 else -sympy.oo)
    if abs(value) > _EXACT_INTEGERS:
        return sympy.Float(value)
    if value.is_integer():
        return sympy.Integer(int(value))
    fraction = Fraction(value).limit_denominator(1000)
    if fraction.numerator / fraction.denominator == value:
        return sympy.Rational(fraction.numerator, fraction.denominator)
    return sympy.Float(value)


_EXACT_INTEGERS = 2.0 ** 53  # whole floats beyond this are not exact: they stay Floats
_KNOWN: dict[float, Any] = {}


def _known_constants(sympy: Any) -> dict[float, Any]:
    """Floats that derivative rules and users write for exact constants (pi, e, 2/sqrt(pi),
    log(2), ...), so SymPy sees the constants themselves and can simplify with them."""
    if not _KNOWN:
        for exact in (sympy.pi, sympy.E, 2 / sympy.sqrt(sympy.pi), sympy.sqrt(sympy.pi),
                      sympy.sqrt(2), sympy.log(2), sympy.log(10), 1 / sympy.log(2),
                      1 / sympy.log(10), 1 / sympy.sqrt(2 * sympy.pi)):
            _KNOWN.setdefault(float(exact), exact)
    return _KNOWN


# -- SymPy -> symgrad ----------------------------------------------------------------------------
def from_sympy(value: Any) -> Expr:
    """The Expr of a SymPy expression; symbols become scalar symbols of the same name.

    Understands Add, Mul, Pow, numbers, pi, E, the elementary functions symgrad has, Abs,
    sign, Min, Max, Heaviside, Piecewise (nested `where`), relations and SymPy arrays.
    Anything else raises `NameLookupError`. Text is not accepted (read it with `sg.parse`):
    SymPy would evaluate it as Python code.
    """
    import sympy
    if isinstance(value, (int, float, np.number, Fraction)) and not isinstance(value, bool):
        return constant(value)
    root = _as_sympy(sympy, value)
    if isinstance(root, (sympy.NDimArray, sympy.MatrixBase)):
        return _array_from_sympy(sympy, root)
    return _scalar_from_sympy(sympy, root, {})


def _as_sympy(sympy: Any, value: Any) -> Any:
    """`value` if it is a SymPy object; never `sympify`, which evaluates text as code."""
    if isinstance(value, str):
        raise ArgumentError("from_sympy takes a SymPy expression, not text: read text with "
                            "sg.parse (SymPy would run it as Python code)")
    if isinstance(value, (sympy.Basic, sympy.NDimArray, sympy.MatrixBase)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return sympy.Integer(int(value))
    if isinstance(value, (float, np.floating)):
        return sympy.Float(float(value))
    raise ArgumentError(f"not a SymPy expression: a {type(value).__name__}")


def _scalar_from_sympy(sympy: Any, root: Any, converted: dict[Any, Expr]) -> Expr:
    for node in _postorder(sympy, root, converted):
        args = [converted[arg] for arg in _children(sympy, node)]
        converted[node] = _from_node(sympy, node, args)
    return converted[root]


def _array_from_sympy(sympy: Any, array: Any) -> Expr:
    """A SymPy Array or Matrix as nested array literals of its converted elements."""
    elements = np.array(array.tolist(), dtype=object)
    if elements.size == 0:
        raise ArgumentError("cannot convert an empty SymPy array")
    converted: dict[Any, Expr] = {}
    items = np.empty(elements.shape, dtype=object)
    for position in np.ndindex(*elements.shape):
        items[position] = _scalar_from_sympy(sympy, _as_sympy(sympy, elements[position]), converted)
    # Stack the innermost axis first, so each level is one array literal.
    while items.ndim > 1:
        stacked = np.empty(items.shape[:-1], dtype=object)
        for position in np.ndindex(*stacked.shape):
            stacked[position] = apply("stack", *items[position])
        items = stacked
    return apply("stack", *items)


def _children(sympy: Any, node: Any) -> tuple[Any, ...]:
    if isinstance(node, sympy.Piecewise):
        return tuple(item for pair in node.args for item in pair.args)
    return tuple(node.args)


def _postorder(sympy: Any, root: Any, done: dict[Any, Expr]) -> Iterator[Any]:
    """Each distinct subexpression not in `done` once, after its children."""
    seen: set[Any] = set(done)
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            yield node
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(_children(sympy, node)))


def _from_node(sympy: Any, node: Any, args: list[Expr]) -> Expr:
    if isinstance(node, sympy.Symbol):
        return _symbol_from_sympy(node.name)
    if node is sympy.true or node is sympy.false:
        return constant(1 if node is sympy.true else 0)
    if not node.args and node.is_number:
        return _number_from_sympy(sympy, node)
    builders = _builders(sympy)
    for kind in type(node).__mro__:
        build = builders.get(kind)
        if build is not None:
            return build(*args)
    name = type(node).__name__
    raise NameLookupError(f"the SymPy function {name!r} has no symgrad equivalent "
                          f"(in {str(node)[:80]})")


def _symbol_from_sympy(name: str) -> Expr:
    try:
        return symbol(canonical_name(name))  # Symbol("θ") is theta, as sg.parse("θ") is
    except ArgumentError as error:
        raise ArgumentError(f"the SymPy symbol {name!r} is not a valid symgrad name "
                            "(use letters, digits and underscores)") from error


def _number_from_sympy(sympy: Any, number: Any) -> Expr:
    if number is sympy.zoo:
        # SymPy's unsigned infinity (1/0): undefined on the real line, so nan as in IEEE 0/0.
        return constant(float("nan"))
    if number.is_number and number.is_extended_real is False:
        raise ArgumentError(f"symgrad is real-valued; cannot convert {number}")
    if number is sympy.pi:
        return named_constant("pi")
    if number is sympy.E:
        return named_constant("E")
    if isinstance(number, sympy.Rational):  # Integers too
        return constant(Fraction(int(number.p), int(number.q)))
    # Floats stay decimals; other exact numbers SymPy has (EulerGamma, ...) become their
    # float64 value: symgrad names only pi and e.
    return constant(float(number))


def _builders(sympy: Any) -> dict[type, Callable[..., Expr]]:
    global _BUILDERS
    if _BUILDERS is None:
        _BUILDERS = _builder_table(sympy)
    return _BUILDERS


_BUILDERS: dict[type, Callable[..., Expr]] | None = None


def _pairwise(name: str) -> Callable[..., Expr]:
    """A SymPy n-ary class (Min(a, b, c)) onto a binary op, folded from the left."""
    def build(*args: Expr) -> Expr:
        result = args[0]
        for arg in args[1:]:
            result = apply(name, result, arg)
        return result
    return build


def _op_builder(spec: OpSpec) -> Callable[..., Expr]:
    if spec.arity == 2:
        return _pairwise(spec.name)
    return lambda *args: apply(spec.name, *args)


def _pow(base: Expr, exponent: Expr) -> Expr:
    exact = exact_value(exponent)
    if exact == Fraction(1, 2):
        return apply("sqrt", base)
    if exact == Fraction(-1, 2):
        return power(apply("sqrt", base), -1)
    return power(base, exponent)


def _piecewise(*items: Expr) -> Expr:
    pairs = list(zip(items[0::2], items[1::2]))
    if len(pairs) == 2 and _is_number(pairs[0][0], 1.0) and _is_number(pairs[1][0], 0.0) and \
            _is_number(pairs[1][1], 1.0):
        # Piecewise((1, c), (0, True)) is the condition's own 0/1 value (how comparisons map).
        return pairs[0][1]
    # Piecewise without a final `True` is undefined (nan in SymPy) outside its conditions.
    result = constant(math.nan)
    for value, condition in reversed(pairs):
        result = value if condition.op == "const" and float(constant_value(condition)) else (
            apply("where", condition, value, result))
    return result


def _is_number(node: Expr, number: float) -> bool:
    return node.op == "const" and node.shape == () and float(constant_value(node)) == number


# SymPy classes that are not one operation of the table, by name.
_SPELLINGS: dict[str, Callable[..., Expr]] = {
    "Pow": _pow,  # x**n with a constant n, sqrt, or x**y: see expr.power
    "log": lambda x, base=None: apply("log", x) if base is None
    else apply("log", x) / apply("log", base),
    "Piecewise": _piecewise,
    # SymPy's sinc is unnormalized, sin(u)/u, and 1 at u = 0.
    "sinc": lambda u: apply("where", apply("eq", u, 0), 1, apply("sin", u) / u),
    "And": _pairwise("mul"),
    "Or": _pairwise("max"),
    "Not": lambda c: 1 - c,
    "ITE": lambda c, a, b: apply("where", c, a, b),
    # symgrad is real-valued: SymPy's re/im of a real quantity are it and 0.
    "re": lambda x: x,
    "im": lambda x: apply("mul", 0, x),
}


def sympy_class_of(spec: OpSpec, sympy: Any) -> Any:
    """The SymPy class that converts back to `spec`'s op, or None when its SymPy form is a
    composite (sigmoid) or a function rather than a class (sqrt is a Pow)."""
    if spec.from_sympy is not None:
        kind = getattr(sympy, spec.from_sympy, None)
        if not isinstance(kind, type):
            raise RuntimeError(f"{spec.name}: from_sympy={spec.from_sympy!r} is not a SymPy class")
        return kind
    kind = getattr(sympy, spec.sympy, None) if isinstance(spec.sympy, str) else None
    return kind if isinstance(kind, type) else None


def _builder_table(sympy: Any) -> dict[type, Callable[..., Expr]]:
    table: dict[type, Callable[..., Expr]] = {}
    for spec in OPS.values():
        kind = sympy_class_of(spec, sympy)
        if kind is not None:
            table[kind] = _op_builder(spec)
    for name, build in _SPELLINGS.items():
        table[getattr(sympy, name)] = build
    return table


# -- simplification, and a time limit for SymPy ------------------------------------------
class SympyTimeout(SymgradError, TimeoutError):
    """SymPy took longer than the time allowed (see `within`)."""


class SympyError(SymgradError, ValueError):
    """SymPy could not take an expression (too deeply nested, out of memory, ...)."""


def simplify(expr: Expr, seconds: float = SIMPLIFY_SECONDS) -> Expr:
    """`expr` simplified by `sympy.simplify`, or `expr` itself when SymPy fails, takes longer
    than `seconds`, or returns something larger (by DAG size). Scalar expressions only."""
    expr = as_expr(expr)
    if expr.shape != ():
        raise ShapeError(f"simplify takes a scalar expression, not one of shape {expr.shape}")
    try:
        simplified = within(seconds, _simplified, expr)
    except Exception:  # noqa: BLE001  SymPy fails in many ways (PolificationFailed, ...): keep expr
        return expr
    return simplified if simplified.size <= expr.size else expr


def _simplified(expr: Expr) -> Expr:
    import sympy
    return from_sympy(sympy.simplify(to_sympy(expr, real=True)))


def within(seconds: float, work: Callable[..., T], *args: Any) -> T:
    """`work(*args)`, or `SympyTimeout` once it has run `seconds`.

    In the main thread a timer signal interrupts the work (no overhead, and SymPy's caches
    stay warm for the next call). Off the main thread, where no signal can interrupt it, the
    work runs in a forked child process that is killed when the time is up, so nothing keeps
    running or holding memory afterwards; the result comes back pickled (SymPy objects and
    Exprs pickle). The fork costs a few milliseconds plus SymPy's caches, which start as the
    parent's and are lost with the child. Without fork, a daemon thread runs the work and its
    result is dropped on timeout. Exceptions from `work` propagate.
    """
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        return _with_alarm(seconds, work, args)
    if hasattr(os, "fork") and not _IN_CHILD:
        return _in_child(seconds, work, args)
    return _with_thread(seconds, work, args)


_IN_CHILD = False  # set in a forked child: nested calls run there directly, under its limit


def _in_child(seconds: float, work: Callable[..., T], args: tuple[Any, ...]) -> T:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, send the outcome, leave without cleanup handlers
        os.close(reader)
        _child(writer, work, args)
    os.close(writer)
    payload: bytes | None = None
    try:
        payload = _read_until(reader, time.monotonic() + seconds)
    finally:  # also on KeyboardInterrupt: the child never outlives the call
        os.close(reader)
        _stop(pid, at_once=payload is None)
    if payload is None:
        raise SympyTimeout(f"SymPy took longer than {seconds:g} s")
    try:
        # The payload comes from our own forked child over a private pipe, never from a file.
        kind, value = pickle.loads(payload)
    except Exception as error:  # noqa: BLE001  a child that died mid-way sends a broken pickle
        raise SymgradError(f"the SymPy worker failed: {type(error).__name__}") from None
    if kind == "error":
        raise value
    return value  # type: ignore[no-any-return]


def _child(writer: int, work: Callable[..., Any], args: tuple[Any, ...]) -> None:
    global _IN_CHILD
    _IN_CHILD = True
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C in the terminal ends the child at once
    try:
        try:
            outcome: tuple[str, Any] = ("ok", work(*args))
        except BaseException as error:  # noqa: BLE001  every outcome goes back to the parent
            outcome = ("error", error)
        try:
            payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # noqa: BLE001  an unpicklable result or exception
            payload = _plain_error(outcome) or pickle.dumps(("error", SymgradError(
                f"the SymPy worker's {outcome[0] == 'ok' and 'result' or 'error'} cannot be "
                f"sent back: {type(error).__name__}: {error}")))
        view = memoryview(payload)
        while view:
            view = view[os.write(writer, view):]
    finally:
        os._exit(0)


def _plain_error(outcome: tuple[str, Any]) -> bytes | None:
    """An exception that does not pickle as it is (an attribute holds a module, say), sent as
    the same class with its message and the attributes that do pickle; None for a result."""
    kind, error = outcome
    if kind != "error" or not isinstance(error, BaseException):
        return None
    kind_of_error: type[BaseException] = type(error)
    clone = kind_of_error.__new__(kind_of_error)
    clone.args = (str(error),)
    for name, value in vars(error).items():
        try:
            pickle.dumps(value)
        except Exception:  # noqa: BLE001  left out: the parent gets the rest
            continue
        setattr(clone, name, value)
    try:
        return pickle.dumps(("error", clone), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001  the caller sends a plain SymgradError instead
        return None


def _read_until(reader: int, deadline: float) -> bytes | None:
    """Everything written to pipe `reader` until it closes, or None at `deadline`."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([reader], [], [], left)[0]:
            return None
        chunk = os.read(reader, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _stop(pid: int, at_once: bool) -> None:
    """Reap child `pid`, killing it if it is over time or has not exited a moment after
    closing its pipe."""
    for _ in range(0 if at_once else 200):
        if os.waitpid(pid, os.WNOHANG)[0]:
            return
        time.sleep(0.0005)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _with_alarm(seconds: float, work: Callable[..., T], args: tuple[Any, ...]) -> T:
    def interrupt(signum: int, frame: Any) -> None:
        raise SympyTimeout(f"SymPy took longer than {seconds:g} s")
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return work(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _with_thread(seconds: float, work: Callable[..., T], args: tuple[Any, ...]) -> T:
    outcome: list[T | Exception] = []

    def run() -> None:
        try:
            outcome.append(work(*args))
        except Exception as error:  # handed over to the caller's thread, raised there
            outcome.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise SympyTimeout(f"SymPy took longer than {seconds:g} s")
    result = outcome[0]
    if isinstance(result, Exception):
        raise result
    return result
