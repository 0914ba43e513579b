"""The symbolic DAG: immutable, hash-consed expression nodes.

Every node is built by `make_node`, which interns it in a weak table: structurally equal
expressions are the same object, and a node is freed when no expression uses it any more.
Methods that belong to higher layers (printing, evaluation, SymPy) import them when called.
"""

from __future__ import annotations

import math
import threading
import weakref
import _weakref
import zlib
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

import numpy as np

from . import limits
from .errors import ArgumentError, ArityError, NameLookupError, ShapeError, SymgradError
from .greek import canonical_name
from .opspec import OPS, OpSpec
from .shapes import Shape, broadcast
from .traverse import topological

if TYPE_CHECKING:
    import numpy.typing as npt
    import sympy

Params = tuple[tuple[str, Any], ...]

# The intern tables map keys to weak references, each dropped by its callback when its node is
# freed. Nodes without params are keyed by their argument tuple in one table per operation (no
# key tuple to allocate, and one object fewer per node for the garbage collector to traverse);
# leaves and nodes with params are keyed by tuples in `_TABLE`.
_TABLE: dict[tuple[Any, ...], weakref.ref[Expr]] = {}
_BY_OP: dict[str, dict[tuple[Expr, ...], weakref.ref[Expr]]] = {}
# Lookups run without it (a node found is the interned one); a miss builds the node and
# inserts it with one dict.setdefault, atomic under the GIL, so two threads building the same
# node at once both get the first one inserted; replacing a dead entry takes this lock.
_INTERN_LOCK = threading.Lock()
_RANK_CONSTANT, _RANK_SYMBOL, _RANK_COMPOUND = 0, 1, 2
_RANK_NAMED = 0.5


class Expr:
    """A node of the symbolic DAG. Build them with `sg.parse`, `sg.symbols` and operators."""

    __slots__ = ("op", "args", "params", "shape", "value", "name", "digest", "sort_key",
                 "__weakref__")

    op: str
    args: tuple[Expr, ...]
    params: Params
    shape: Shape
    value: np.ndarray | None
    name: str | None
    digest: int
    sort_key: tuple[Any, ...]

    # -- structure -------------------------------------------------------------------------
    @property
    def kwargs(self) -> dict[str, Any]:
        """The node's static parameters as a dict."""
        return dict(self.params)

    @property
    def spec(self) -> OpSpec:
        """The operation table entry of this node (not for symbols and constants)."""
        return OPS[self.op]

    @property
    def is_constant(self) -> bool:
        return self.op == "const"

    @property
    def exact(self) -> Fraction | None:
        """The exact rational value of an exact constant (`1/3`, `2`), else None."""
        return exact_value(self)

    @property
    def symbols(self) -> list[str]:
        """Names of the free variables, sorted."""
        return sorted({symbol_name(node) for node in topological([self]) if node.op == "symbol"})

    @property
    def symbol_shapes(self) -> dict[str, Shape]:
        """Each free variable's name with its shape, sorted by name."""
        found = {symbol_name(node): node.shape for node in topological([self]) if node.op == "symbol"}
        return dict(sorted(found.items()))

    @property
    def size(self) -> int:
        """The number of distinct DAG nodes."""
        return len(topological([self]))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __eq__(self, other: object) -> bool:
        # Interning makes structural equality identity.
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    __hash__ = object.__hash__
    # numpy defers to our reflected operators: np.array([1., 2.]) * x is an Expr, not an
    # object array of Exprs.
    __array_ufunc__ = None

    def __bool__(self) -> bool:
        if self.op in _COMPARISONS:
            raise ArgumentError("the truth value of a symbolic comparison is unknown; "
                                "use where(condition, a, b)")
        return True

    def __reduce__(self) -> tuple[Any, ...]:
        # By structure, not text: linear in the DAG's size however deeply it shares nodes.
        return (_from_dag, (dag_records([self]),))

    # -- arithmetic builds nodes ---------------------------------------------------------------
    def __add__(self, other: Any) -> Expr:
        return _binary("add", self, other)

    def __radd__(self, other: Any) -> Expr:
        return _binary("add", other, self)

    def __sub__(self, other: Any) -> Expr:
        return _binary("add", self, _negated(other))

    def __rsub__(self, other: Any) -> Expr:
        return _binary("add", other, -self)

    def __mul__(self, other: Any) -> Expr:
        return _binary("mul", self, other)

    def __rmul__(self, other: Any) -> Expr:
        return _binary("mul", other, self)

    def __truediv__(self, other: Any) -> Expr:
        return _binary("mul", self, _reciprocal(other))

    def __rtruediv__(self, other: Any) -> Expr:
        return _binary("mul", other, _reciprocal(self))

    def __pow__(self, other: Any) -> Expr:
        return power(self, other)

    def __rpow__(self, other: Any) -> Expr:
        return power(as_expr(other), self)

    def __matmul__(self, other: Any) -> Expr:
        return _binary("matmul", self, other)

    def __rmatmul__(self, other: Any) -> Expr:
        return _binary("matmul", other, self)

    def __neg__(self) -> Expr:
        return apply("mul", constant(-1), self)

    def __pos__(self) -> Expr:
        return self

    def __abs__(self) -> Expr:
        return apply("abs", self)

    def __lt__(self, other: Any) -> Expr:
        return _binary("lt", self, other)

    def __le__(self, other: Any) -> Expr:
        return _binary("le", self, other)

    def __gt__(self, other: Any) -> Expr:
        return _binary("gt", self, other)

    def __ge__(self, other: Any) -> Expr:
        return _binary("ge", self, other)

    def __len__(self) -> int:
        if not self.shape:
            raise ArgumentError("a scalar expression has no length")
        return self.shape[0]

    def __iter__(self) -> Iterator[Expr]:
        """The elements along the first axis (`a, b, c = w` for a vector `w`)."""
        return (self[position] for position in range(len(self)))

    def __getitem__(self, index: Any) -> Expr:
        return apply("index", self, index=normalize_index(index, self.shape))

    @property
    def T(self) -> Expr:
        """The transpose (last two axes; a vector or scalar is its own transpose)."""
        return apply("transpose", self)

    def __float__(self) -> float:
        """The float64 value of an expression without free symbols (pi and 1/3 included)."""
        if self.shape != ():
            raise ArgumentError(f"only a scalar expression converts to float, not one of shape "
                                f"{self.shape}")
        if self.op == "const" and self.value is not None:
            return float(self.value)
        if self.symbols:
            raise ArgumentError(f"cannot convert an expression with free symbols "
                                f"({', '.join(self.symbols)}) to float; use .eval(...)")
        return float(self.eval())

    # -- facades over higher layers (imported on use) ----------------------------------------
    def __str__(self) -> str:
        from ..language.printing import to_text
        return to_text(self)

    def __repr__(self) -> str:
        return f"Expr({self})"

    def latex(self) -> str:
        """LaTeX source of the expression."""
        from ..language.printing import to_latex
        return to_latex(self)

    def _repr_latex_(self) -> str:
        # \displaystyle: inline math would shrink fractions to the size of subscripts.
        from ..language.display import shown_latex
        return rf"$\displaystyle {shown_latex(self)}$"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's text/plain: `repr(e)`, or for an expression too large to display (see
        language.display.DISPLAY_NODES) a one-line summary."""
        from ..language.display import display_summary
        summary = display_summary(self)
        printer.text(repr(self) if summary is None else f"<{summary}>")

    def dag(self) -> Any:
        """The DAG as a picture for a notebook (`_repr_svg_`, drawn by Graphviz `dot` when it
        is installed); `str()` of it is the Graphviz text."""
        from ..language.display import DagPicture
        return DagPicture(self)

    def to_dot(self) -> str:
        """Graphviz text of the DAG, one node per shared subexpression."""
        from ..language.printing import to_dot
        return to_dot(self)

    def eval(self, at: Mapping[str, Any] | None = None, /, *, errors: str = "ignore",
             **values: Any) -> np.ndarray:
        """Evaluate at `values` (numpy arrays broadcast over leading batch axes).

        Values come as keywords or as a mapping (for any name, `self` and `errors` too).
        `errors="raise"` raises `DomainError` where a value is not finite. A value for a name
        the expression does not use is ignored, its shape too.
        """
        from ..numeric.evaluate import evaluate
        return evaluate(self, {**(at or {}), **values}, errors=errors)

    def subs(self, mapping: Mapping[str, Any] | None = None, **values: Any) -> Expr:
        """Replace symbols by expressions or numbers."""
        from ..numeric.evaluate import substitute
        return substitute(self, {**(mapping or {}), **values})

    def to_sympy(self) -> sympy.Expr:
        """The equivalent SymPy expression."""
        from ..language.sympy_bridge import to_sympy
        return to_sympy(self)

    def simplify(self) -> Expr:
        """Simplify: the rewrite table (`calculus.simplify`) first, then SymPy, whose result
        is taken only when it is smaller (heavier than the simplification done while building)."""
        from ..calculus.simplify import simplify
        return simplify(self)

    def diff(self, wrt: str, order: int = 1) -> Expr:
        """The derivative with respect to the symbol named `wrt`."""
        from ..calculus.differentiate import diff
        return diff(self, wrt, order=order)


_COMPARISONS = frozenset({"lt", "le", "gt", "ge", "eq", "ne"})


# -- pickling by structure ---------------------------------------------------------------------
# A record per node in topological order: ("symbol", name, shape), ("const", array, params)
# (params: () for a decimal, (("exact", Fraction),) or (("named", "pi"),)), or
# (op, argument positions, params, shape); the roots are the last len(roots) records' positions.
Record = tuple[Any, ...]


def dag_records(roots: list[Expr]) -> tuple[tuple[Record, ...], tuple[int, ...]]:
    """The DAG of `roots` as flat records (each node once) and the roots' positions."""
    order = topological(roots)
    position = {id(node): index for index, node in enumerate(order)}
    records: list[Record] = []
    for node in order:
        if node.op == "symbol":
            records.append(("symbol", node.name, node.shape))
        elif node.op == "const":
            records.append(("const", node.value, node.params))
        else:
            records.append((node.op, tuple(position[id(arg)] for arg in node.args),
                            node.params, node.shape))
    return tuple(records), tuple(position[id(root)] for root in roots)


def from_dag_records(state: tuple[tuple[Record, ...], tuple[int, ...]]) -> list[Expr]:
    """The interned roots of `dag_records`' output (the same objects where they are alive)."""
    records, roots = state
    built: list[Expr] = []
    try:
        for record in records:
            if record[0] == "symbol":
                built.append(symbol(record[1], record[2]))
            elif record[0] == "const":
                built.append(_constant_from_record(record))
            elif record[0] in OPS:
                op, positions, params, shape = record
                # One nan object, as the builders use: nan != nan would make a new node.
                params = tuple((key, _NAN if isinstance(value, float) and value != value
                                else value) for key, value in params)
                built.append(make_node(op, tuple(built[i] for i in positions), tuple(shape),
                                       params))
            else:
                raise ArgumentError(f"unknown operation {record[0]!r}")
        return [built[index] for index in roots]
    except SymgradError:
        raise
    except (TypeError, ValueError, IndexError) as error:
        raise ArgumentError(f"not a pickled symgrad expression: {error}") from error


def _constant_from_record(record: Record) -> Expr:
    params = dict(record[2]) if len(record) > 2 else {}
    if "exact" in params:
        exact = params["exact"]
        if not isinstance(exact, Fraction):
            raise ArgumentError(f"not an exact number: {exact!r}")
        return exact_constant(exact)
    if "named" in params:
        return named_constant(params["named"])
    return constant(np.asarray(record[1], dtype=np.float64))


def _from_dag(state: tuple[tuple[Record, ...], tuple[int, ...]]) -> Expr:
    return from_dag_records(state)[0]


# -- construction --------------------------------------------------------------------------------
_CODES: dict[str, int] = {}


def _stable_code(text: str) -> int:
    """A hash of `text` that is the same in every process (str hashes are salted)."""
    code = _CODES.get(text)
    if code is None:
        code = zlib.crc32(text.encode())
        if len(_CODES) < 4096:
            _CODES[text] = code
    return code


def make_node(op: str, args: tuple[Expr, ...], shape: Shape, params: Params = ()) -> Expr:
    """The interned node `op(*args)` with static `params`: no checks, no simplification."""
    key: tuple[Any, ...] = args
    exact = False
    if params:
        table = _TABLE
        key = (op, args, params)
        for _, value in params:
            if isinstance(value, float) and value != value:
                params = _one_nan(params)
                key = (op, args, params)
            elif type(value) is Fraction:
                # An exact exponent 2 and a decimal 2.0 compare equal: the key tells them
                # apart (and holds integers: a Fraction's hash is slow Python code).
                key, exact = (op, args, _exact_params(params), "exact"), True
                break
    else:
        found_table = _BY_OP.get(op)
        table = found_table if found_table is not None else _BY_OP.setdefault(op, {})
    ref = table.get(key)
    if ref is not None:
        found = ref()
        if found is not None:
            return found
    node = object.__new__(Expr)
    node.op, node.args, node.params, node.shape = op, args, params, shape
    node.value = node.name = None
    code = _CODES.get(op)
    if code is None:
        code = _stable_code(op)
    params_code = _params_code(key[2], params, exact) if params else 0
    count = len(args)  # spelled out for the common arities: no list built per node
    if count == 1:
        node.digest = hash((code, params_code, args[0].digest))
    elif count == 2:
        node.digest = hash((code, params_code, args[0].digest, args[1].digest))
    else:
        node.digest = hash((code, params_code, *[arg.digest for arg in args]))
    node.sort_key = (_RANK_COMPOUND, node.digest)
    return _interned(key, node, table)


# Every nan parameter is this one object: tuples compare items by identity first, so nodes
# with a nan exponent intern to one node (nan != nan would make each a new one).
_NAN = float("nan")


def _one_nan(params: Params) -> Params:
    return tuple((name, _NAN if isinstance(value, float) and value != value else value)
                 for name, value in params)


def _exact_params(params: Params) -> Params:
    return tuple((name, (value.numerator, value.denominator)) if type(value) is Fraction
                 else (name, value) for name, value in params)


_PARAMS_CODES: dict[tuple[Any, bool], int] = {}


def _params_code(hashable: Any, params: Params, exact: bool) -> int:
    # `hashable` is the params as the intern key holds them. The digest reads an exact number
    # as its float, as a decimal's, so canonical orders stay as they were.
    code = _PARAMS_CODES.get((hashable, exact))
    if code is None:
        shown = tuple((name, float(value) if type(value) is Fraction else value)
                      for name, value in params) if exact else params
        code = _stable_code(repr(shown))
        if len(_PARAMS_CODES) < 4096:
            _PARAMS_CODES[hashable, exact] = code
    return code


def _lookup(key: tuple[Any, ...]) -> Expr | None:
    """The node interned under `key`, if it is alive."""
    ref = _TABLE.get(key)
    return None if ref is None else ref()


class _NodeRef(weakref.ref):  # type: ignore[type-arg]
    """A weak reference that knows its table and key (built by C code alone, unlike
    weakref.KeyedRef, whose constructor is Python)."""

    __slots__ = ("key", "table")
    key: Any
    table: dict[Any, Any]


_remove_dead_weakref: Callable[[dict[Any, Any], Any], None] = getattr(_weakref, "_remove_dead_weakref")


def _forget(ref: _NodeRef, remove: Callable[[dict[Any, Any], Any], None] = _remove_dead_weakref) -> None:
    # Drops the entry only if it still holds a dead reference (a new node may have replaced
    # it); `remove` is bound early, as callbacks may run while the interpreter shuts down.
    remove(ref.table, ref.key)


def _interned(key: Any, node: Expr, table: dict[Any, Any] | None = None) -> Expr:
    """The node interned under `key` (in `table`, `_TABLE` by default): `node`, unless another
    thread inserted one first."""
    if table is None:
        table = _TABLE
    entry = _NodeRef(node, _forget)
    entry.key, entry.table = key, table
    if table.setdefault(key, entry) is entry:  # one step under the GIL: the first one in wins
        return node
    with _INTERN_LOCK:  # another thread's node, or a dead reference not yet dropped
        ref = table.get(key)
        found = None if ref is None else ref()
        if found is not None:
            return found
        table[key] = entry
        return node


class _InternedNodes:
    """The intern tables seen as one: `len()` is the number of interned nodes alive."""

    def __len__(self) -> int:
        return len(_TABLE) + sum(len(table) for table in list(_BY_OP.values()))


_INTERNED = _InternedNodes()


_SYMBOL_CODE = _stable_code("symbol")


def symbol(name: str, shape: Shape = ()) -> Expr:
    """The symbol `name` with core shape `shape`."""
    scalar = type(shape) is tuple and not shape
    if scalar and type(name) is str:  # a scalar seen before: its name was checked then
        found = _lookup(("symbol", name, ()))
        if found is not None:
            return found
    if not isinstance(name, str) or not name.isidentifier():
        raise ArgumentError(f"a symbol name must be an identifier, not {name!r}")
    if not scalar:
        shape = _checked_shape(shape)
        limits.check_elements(shape, f"the symbol {name!r}")
    key = ("symbol", name, shape)
    node = _lookup(key)
    if node is None:
        node = object.__new__(Expr)
        node.op, node.args, node.params, node.shape = "symbol", (), (), shape
        node.value, node.name = None, name
        node.digest = hash((_SYMBOL_CODE, _stable_code(name), shape))
        node.sort_key = (_RANK_SYMBOL, name, shape)
        node = _interned(key, node)
    return node


def constant(value: npt.ArrayLike | Fraction) -> Expr:
    """The constant `value`: exact for a Python or numpy integer or a `Fraction` (`2`, `1/3`),
    a decimal (inexact, float64) for a float (`0.5`, `2.0`) and for arrays of numbers."""
    if isinstance(value, Fraction):
        return exact_constant(value)
    if type(value) is int:
        node = _lookup(("const", "exact", value, 1))
        return node if node is not None else exact_constant(Fraction(value))
    if isinstance(value, (int, np.integer)):
        return exact_constant(Fraction(int(value)))
    if type(value) is float and isinstance(value, float):
        node = _lookup(("const", (), np.float64(value).tobytes()))
        if node is not None and value == value:
            return node
    try:
        if np.asarray(value).dtype.kind not in "biuf":  # None or text would become nan
            raise TypeError(value)
        array = np.array(value, dtype=np.float64) + 0.0  # + 0.0 turns -0.0 into 0.0
        if not np.all(array == array):  # one nan: 0*inf and nan differ in their sign bit
            array = np.where(np.isnan(array), np.nan, array)
    except (TypeError, ValueError) as error:
        raise ArgumentError(f"not a number or array of numbers: {value!r}") from error
    array.setflags(write=False)
    key = ("const", array.shape, array.tobytes())
    node = _lookup(key)
    if node is None:
        node = _leaf_constant(array, ())
        node.digest = hash((_stable_code("const"), array.shape, zlib.crc32(array.tobytes())))
        node.sort_key = (_RANK_CONSTANT, node.digest)
        node = _interned(key, node)
    return node


def _leaf_constant(array: np.ndarray, params: Params) -> Expr:
    node = object.__new__(Expr)
    node.op, node.args, node.params, node.shape = "const", (), params, array.shape
    node.value, node.name = array, None
    return node


def exact_constant(value: Fraction) -> Expr:
    """The exact rational constant `value`; its float64 value is kept for evaluation.

    Its key differs from every decimal's, so the exact 1/2 and the decimal 0.5 are two nodes
    (as SymPy's Rational(1, 2) and Float(0.5)). A number past `limits.MAX_EXACT_BITS` raises
    `LimitError`: a short input such as `(1/3)**100000` must not build a huge numerator.
    """
    # Keyed by numerator and denominator: a Fraction's own hash is slow Python code.
    key = ("const", "exact", value.numerator, value.denominator)
    node = _lookup(key)
    if node is None:
        limits.check_exact(value.numerator, value.denominator, "an exact number")
        array = np.array(exact_float(value))
        array.setflags(write=False)
        node = _leaf_constant(array, (("exact", value),))
        # The digest of its float64 value, as a decimal's: canonical orders stay as they were.
        node.digest = hash((_stable_code("const"), (), zlib.crc32(array.tobytes())))
        node.sort_key = (_RANK_CONSTANT, node.digest)
        node = _interned(key, node)
    return node


def exact_float(value: Fraction) -> float:
    """`value` rounded to float64; past the float range, an infinity of its sign."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


NAMED_CONSTANTS: dict[str, float] = {"pi": math.pi, "E": math.e}


def named_constant(name: str) -> Expr:
    """The symbolic constant `pi` or `E` (Euler's number): never folded into a float in a
    closed form; numeric paths (`eval`, kernels, `float(e)`) read its float64 value."""
    if name not in NAMED_CONSTANTS:
        raise ArgumentError(f"unknown constant {name!r}")
    key = ("const", "named", name)
    node = _lookup(key)
    if node is None:
        array = np.array(NAMED_CONSTANTS[name])
        array.setflags(write=False)
        node = _leaf_constant(array, (("named", name),))
        node.digest = hash((_stable_code("named"), _stable_code(name)))
        # After numbers, before symbols: a product's number stays its first factor (2*pi*x).
        node.sort_key = (_RANK_NAMED, name)
        node = _interned(key, node)
    return node


def exact_value(node: Expr) -> Fraction | None:
    """The exact value of an exact constant node, else None."""
    if node.op == "const" and node.params and node.params[0][0] == "exact":
        exact: Fraction = node.params[0][1]
        return exact
    return None


def constant_name(node: Expr) -> str | None:
    """"pi" or "E" for a symbolic constant node, else None."""
    if node.op == "const" and node.params and node.params[0][0] == "named":
        name: str = node.params[0][1]
        return name
    return None


def is_number(node: Expr) -> bool:
    """A constant that folds with others: an exact number or a decimal, not `pi` or `E`."""
    return node.op == "const" and not (node.params and node.params[0][0] == "named")


def _checked_shape(shape: Any) -> Shape:
    if isinstance(shape, int):
        shape = (shape,)
    try:
        result = tuple(int(extent) for extent in shape)
    except (TypeError, ValueError) as error:
        raise ArgumentError(f"a shape is a tuple of non-negative integers, not {shape!r}") from error
    if any(extent < 0 for extent in result):
        raise ArgumentError(f"a shape is a tuple of non-negative integers, not {shape!r}")
    return result


_NUMBER_TYPES = (int, float, np.number, np.ndarray, list, bool, Fraction)
_OPERAND_TYPES = (Expr, *_NUMBER_TYPES)


def as_expr(value: Any) -> Expr:
    """`value` as an Expr: Exprs pass through, numbers and arrays become constants."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, _NUMBER_TYPES):
        return constant(value)
    raise ArgumentError(f"cannot use a {type(value).__name__} in a symbolic expression")


def apply(name: str, *args: Any, **params: Any) -> Expr:
    """The node for operation `name` on `args`, canonicalised by the op's table entry."""
    spec = OPS.get(name)
    if spec is None:
        raise NameLookupError(f"unknown operation {name!r}")
    operands = args
    for arg in args:
        if type(arg) is not Expr:
            operands = tuple(as_expr(arg) for arg in args)
            break
    if spec.build is not None:
        built: Expr = spec.build(*operands, **params)
        return built
    return build_plain(spec, operands, params)


def build_plain(spec: OpSpec, args: tuple[Expr, ...], params: Mapping[str, Any]) -> Expr:
    """Check arity and shapes, fold constants if the op allows it, and intern the node."""
    if spec.arity >= 0 and len(args) != spec.arity:
        raise ArityError(f"{spec.name} takes {spec.arity} argument(s), got {len(args)}")
    shapes = [arg.shape for arg in args]
    if spec.shape is not None:
        shape = spec.shape(*shapes, **params)
    else:
        shape = broadcast(*shapes, operation=spec.name)
    limits.check_elements(shape, f"the result of {spec.name}")
    if args and all(is_number(arg) for arg in args):
        if spec.name == "exp" and exact_value(args[0]) == 1:
            return named_constant("E")  # exp(1) is e, as SymPy's exp(1) is E
        folded = _folded(spec, args, params)
        if folded is not None:
            return folded
    elif len(args) == 1 and (spec.name, constant_name(args[0])) in _AT_CONSTANTS:
        return exact_constant(_AT_CONSTANTS[spec.name, constant_name(args[0])])
    elif len(args) == 1 and (at_pi := _trig_at_pi(spec.name, args[0])) is not None:
        return exact_constant(at_pi)
    return make_node(spec.name, args, shape, tuple(sorted(params.items())))


# Exact values of functions at pi and e, as SymPy folds them (log(e) = 1, cos(pi) = -1).
_AT_CONSTANTS: dict[tuple[str, str | None], Fraction] = {
    ("log", "E"): Fraction(1), ("sin", "pi"): Fraction(0), ("cos", "pi"): Fraction(-1),
    ("tan", "pi"): Fraction(0), ("sec", "pi"): Fraction(-1),
}


# sin at q*pi where it is rational (SymPy folds these; sin(pi/3) = sqrt(3)/2 stays symbolic)
_SIN_AT = {Fraction(0): Fraction(0), Fraction(1, 6): Fraction(1, 2), Fraction(1, 2): Fraction(1),
           Fraction(5, 6): Fraction(1, 2), Fraction(1): Fraction(0), Fraction(7, 6): Fraction(-1, 2),
           Fraction(3, 2): Fraction(-1), Fraction(11, 6): Fraction(-1, 2)}


def _trig_at_pi(name: str, arg: Expr) -> Fraction | None:
    """sin, cos or tan of an exact multiple q*pi where the value is rational, else None."""
    multiple = exact_value(arg.args[0]) if arg.op == "mul" and len(arg.args) == 2 else None
    if name not in ("sin", "cos", "tan") or multiple is None or constant_name(arg.args[1]) != "pi":
        return None
    q = Fraction(multiple % 2)
    if name == "tan":
        tangent = {Fraction(0): 0, Fraction(1, 4): 1, Fraction(3, 4): -1}.get(q % 1)
        return None if tangent is None else Fraction(tangent)
    return _SIN_AT.get(q if name == "sin" else (q + Fraction(1, 2)) % 2)


def _folded(spec: OpSpec, args: tuple[Expr, ...], params: Mapping[str, Any]) -> Expr | None:
    """The constant `spec(*args)` when it folds, else None (the node stays symbolic).

    Exact arguments fold only to an exact result: by the op's `exact` rule (sqrt(4) = 2,
    log(1) = 0) or, for ops that always fold (comparisons), by computing on the rationals;
    otherwise the node stays (log(3), sqrt(2)). Decimal arguments fold as float64 when the op
    always folds or the value is a whole number (cos(0.0) = 1.0); log(2.0) stays readable.
    """
    exacts = [exact_value(arg) for arg in args]
    if all(exact is not None for exact in exacts):
        result = _exact_fold(spec, exacts, params)  # type: ignore[arg-type]
        if result is not None:
            return exact_constant(result)
        if not spec.fold:
            return None
    folded = fold_constants(spec, args, params)
    if folded is not None and (spec.fold or _whole(folded)):
        return folded
    return None


def _exact_fold(spec: OpSpec, values: list[Fraction], params: Mapping[str, Any]) -> Fraction | None:
    if spec.exact is not None:
        result: Fraction | None = spec.exact(*values, **params)
        return result
    if not spec.fold:
        return None
    try:  # comparisons and the like: the op's numpy function on the rationals themselves
        with np.errstate(all="ignore"):
            objects = [np.array(v, dtype=object) for v in values]
            result_value = (spec.numpy(*objects, **params) if spec.elementwise
                            else spec.numpy(*objects, nb=0, **params))
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return None
    item = np.asarray(result_value).reshape(-1)
    if item.size != 1 or not isinstance(item[0], (int, np.integer, np.bool_, Fraction)):
        return None
    return Fraction(int(item[0])) if not isinstance(item[0], Fraction) else item[0]


def fold_constants(spec: OpSpec, args: tuple[Expr, ...], params: Mapping[str, Any]) -> Expr | None:
    """The constant result of `spec` on constant `args`, or None when it is not finite."""
    values = [arg.value for arg in args]
    params = numeric_params(params)
    with np.errstate(all="ignore"):
        if spec.elementwise:
            result = spec.numpy(*values, **params)
        else:
            result = spec.numpy(*values, nb=0, **params)
    result = np.asarray(result, dtype=np.float64)
    if not np.all(np.isfinite(result)):
        return None
    return constant(result)


def numeric_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` with exact numbers (a pow's exponent 1/3) as floats, for numpy."""
    return {key: float(value) if type(value) is Fraction else value
            for key, value in params.items()}


def _whole(node: Expr) -> bool:
    value = node.value
    return value is not None and bool(np.all(np.mod(value, 1.0) == 0.0))


def _binary(name: str, left: Any, right: Any) -> Expr:
    if not isinstance(left, _OPERAND_TYPES) or not isinstance(right, _OPERAND_TYPES):
        return NotImplemented  # type: ignore[no-any-return]
    return apply(name, left, right)


def _negated(value: Any) -> Any:
    if isinstance(value, (Expr, int, float, Fraction, np.number)):
        return -value
    return -np.asarray(value, dtype=np.float64) if isinstance(value, _NUMBER_TYPES) else value


def _reciprocal(value: Any) -> Any:
    if isinstance(value, Expr) or isinstance(value, _NUMBER_TYPES):
        return power(as_expr(value), constant(-1))
    return value


_NAN = float("nan")


def power(base: Expr, exponent: Any) -> Expr:
    """`base ** exponent`: op `pow` for a scalar constant exponent, `power` otherwise."""
    if not isinstance(exponent, _OPERAND_TYPES):
        return NotImplemented  # type: ignore[no-any-return]
    if (type(exponent) is int or type(exponent) is Fraction) and _small_exact(exponent) \
            and not (base.op == "const" and base.params and base.params[0] == ("named", "E")):
        return apply("pow", base, exponent=Fraction(exponent))  # no constant node on the way
    exponent = as_expr(exponent)
    if constant_name(base) == "E":
        return apply("exp", exponent)  # e**u is exp(u): its derivative has no log(e) in it
    if is_number(exponent) and exponent.shape == ():
        exact = exact_value(exponent)
        if exact is not None:
            return apply("pow", base, exponent=exact)
        value = float(constant_value(exponent))
        # One nan object: nan != nan, so each nan would otherwise make a new node.
        return apply("pow", base, exponent=_NAN if value != value else value)
    return apply("power", base, exponent)


def _small_exact(value: int | Fraction) -> bool:
    # Well within limits.MAX_EXACT_BITS; anything larger goes through its checks.
    return abs(value.numerator) < 1 << 62 and value.denominator < 1 << 62


def normalize_index(index: Any, shape: Shape) -> tuple[Any, ...]:
    """A hashable, bounds-checked form of a basic numpy index over the core `shape`."""
    items = index if isinstance(index, tuple) else (index,)
    if len(items) > len(shape):
        raise ShapeError(f"too many indices ({len(items)}) for shape {shape}")
    normalized: list[Any] = []
    for item, extent in zip(items, shape):
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            position = int(item) + extent if item < 0 else int(item)
            if not 0 <= position < extent:
                raise ShapeError(f"index {item} is out of range for an axis of size {extent}")
            normalized.append(position)
        elif isinstance(item, slice):
            normalized.append(item.indices(extent))  # range semantics: stop -1 is "before 0"
        elif isinstance(item, tuple) and len(item) == 3 and all(isinstance(i, int) for i in item):
            ends = list(range(*item)[:1]) + list(range(*item)[-1:]) if item[2] else []
            if not item[2] or any(not 0 <= i < extent for i in ends):
                raise ShapeError(f"slice {list(item)} does not fit an axis of size {extent}")
            normalized.append(item)  # a (start, stop, step) range, as printed
        else:
            raise ArgumentError(f"only integers and slices index an expression, not {item!r}")
    return tuple(normalized)


def size(*exprs: Expr) -> int:
    """The number of distinct DAG nodes of several expressions together, shared nodes once."""
    return len(topological([as_expr(expr) for expr in exprs]))


def symbols(names: str | Iterable[str], shape: Shape = ()) -> Any:
    """Symbols from a space- or comma-separated string: one name gives an Expr, several a tuple.
    A Greek letter is its spelled name, as in `sg.parse` (`"θ"` gives the symbol `theta`)."""
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    elif not isinstance(names, Iterable):
        raise ArgumentError(f"symbols() takes names in a string or a list, not {names!r}")
    created = tuple(symbol(canonical_name(name), shape) for name in names)  # θ is theta
    if not created:
        raise ArgumentError("symbols() needs at least one name")
    return created[0] if len(created) == 1 else created


def rebuild(node: Expr, args: tuple[Expr, ...]) -> Expr:
    """`node`'s operation applied to new `args` (the node itself when they are unchanged)."""
    if all(new is old for new, old in zip(args, node.args)):
        return node
    return apply(node.op, *args, **node.kwargs)


def symbol_name(node: Expr) -> str:
    """The name of a symbol node (`node.name` without its None case)."""
    if node.name is None:
        raise ArgumentError(f"expected a symbol, got a {node.op!r} node")
    return node.name


def constant_value(node: Expr) -> np.ndarray:
    """The value of a constant node (`node.value` without its None case)."""
    if node.value is None:
        raise ArgumentError(f"expected a constant, got a {node.op!r} node")
    return node.value
