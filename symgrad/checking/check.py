"""Cross-checks of derivatives: symgrad's own rules against independent oracles.

`check(expr)` computes every first derivative of `expr` four ways and reports, in a table,
where they agree. Two columns run symgrad's derivative rules (one rule per operation serves
both, so a wrong rule shows identically in each: their agreement alone proves little):

- closed form: the symbolic gradient (`sg.grad`), compiled into a numpy kernel when
  `symgrad.compile` is available, else evaluated with `.eval`;
- reverse: the numeric reverse sweep `sg.reverse`.

Two columns are independent of those rules:

- finite diff: central differences refined by Richardson extrapolation (Ridders' tableau),
  accurate to about 1e-10 at smooth points, from the expression's values only;
- sympy: `sympy.diff` of the expression converted to SymPy, evaluated with `evalf` (skipped,
  with a note, when the conversion fails, the expression is large, or SymPy runs out of time).

`ok` needs every column that ran to agree and at least one independent column to have run.

Rows: a scalar symbol gives one row; a vector symbol one row per element (`x[2]`). A vector
output is checked through its Jacobian, one row per (output element, variable element). When
that would exceed `MAX_ENTRIES` rows per point, each variable gets one row for the product
`v . J . u` with fixed random unit vectors `v` (outputs) and `u` (the variable's elements).

Random points come from `symgrad.sampling`, finite differences from `symgrad.finite_differences`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..calculus.differentiate import Wrt, resolve_symbols
from ..core.errors import ArgumentError, ShapeError, SymgradError
from ..numeric.evaluate import evaluate
from ..core.expr import Expr, apply, constant, symbol_name
from ..core.greek import canonical_keys
from .finite_differences import Column, Probe, finite_differences
from ..language.parse import as_expression
from .sampling import count_points, format_point, format_value, point_dict, sample_points
from .display import report_html
from ..core.shapes import size_of
from ..calculus.differentiate import grad
from ..eager.tracing import recorded_order
from ..language.printing import to_text
from ..language.sympy_bridge import SympyTimeout, sympy_symbol, to_sympy, within
from ..numeric.kernel import compile as compile_kernel
from ..numeric.reverse import reverse

CLOSED, REVERSE, FINITE, SYMPY = "closed form", "reverse", "finite diff", "sympy"
SHARED = (CLOSED, REVERSE)        # columns that run symgrad's own derivative rules
INDEPENDENT = (FINITE, SYMPY)     # columns that never use them
GROUPS = (("symgrad's rules", SHARED), ("independent oracles", INDEPENDENT))
MAX_ENTRIES = 64          # Jacobian entries per point shown one by one
SYMPY_MAX_NODES = 300     # larger expressions swell when SymPy expands the DAG into a tree
SYMPY_SECONDS = 4.0


# -- the report ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CheckRow:
    """One derivative at one point, by every method.

    `output` is "" for a scalar expression, `f[1]` for an element of a vector one, or
    `(v.f)` for a random projection; `variable` is `x`, `x[2]` or `(u.x)` likewise.
    `error` is the largest difference from the closed form, scaled by max(1, |closed form|).
    """

    point: int
    output: str
    variable: str
    values: dict[str, float]
    error: float
    ok: bool


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The result of `check`: `ok`, `max_error`, the `points` used and one row per derivative.

    `str(report)` is a table per point: one row per variable, one column per method, the
    columns grouped as they are: `shared` (those that ran of closed form and reverse, which
    share symgrad's derivative rules) and `independent` (those that ran of finite differences
    and SymPy). `ok` is True when every column agrees at every row and at least one
    independent column ran (an expression without variables has nothing to check: ok).
    `max_error` is absolute for derivatives of magnitude up to 1 and relative above.
    """

    expr: Expr
    rows: tuple[CheckRow, ...]
    points: tuple[dict[str, Any], ...]
    methods: tuple[str, ...]
    notes: tuple[str, ...]
    ok: bool
    max_error: float
    rtol: float = 1e-6
    atol: float = 1e-8
    values: tuple[Any, ...] = field(default=())
    shared: tuple[str, ...] = ()
    independent: tuple[str, ...] = ()

    def _repr_html_(self) -> str:
        return report_html(self)

    def __str__(self) -> str:
        text = to_text(self.expr, 70)
        if self.ok:
            verdict = "all methods agree"
        elif self.rows and not self.independent:
            verdict = "NOT CHECKED: no independent column ran"
        else:
            verdict = "METHODS DISAGREE"
        lines = [f"check of {text}: {verdict} (max error {self.max_error:.1e}, "
                 f"rtol={self.rtol:g}, atol={self.atol:g})"]
        for index, point in enumerate(self.points):
            lines.append("")
            value = f"   (value {format_value(self.values[index])})" if index < len(self.values) else ""
            lines.append("at " + format_point(point) + value)
            lines.extend(_table([row for row in self.rows if row.point == index], self.methods))
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


def _table(rows: list[CheckRow], methods: tuple[str, ...]) -> list[str]:
    header = ["derivative", *methods, "error"]
    body = [[_derivative_label(row), *(format_value(row.values.get(m)) for m in methods),
             f"{row.error:.1e}" + ("" if row.ok else "  <-- differs")] for row in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    groups = _group_line(methods, widths)
    return [groups] + ["  " + "  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
                       for line in [header, *body]]


def _group_line(methods: tuple[str, ...], widths: list[int]) -> str:
    """The line above the header naming each group of columns over its first column; a
    group's last column widens (in `widths`) when its label is longer than the group."""
    spans = []
    for label, members in GROUPS:
        columns = [1 + i for i, method in enumerate(methods) if method in members]
        if columns:
            first, last = columns[0], columns[-1]
            room = sum(widths[first:last + 1]) + 2 * (last - first)
            widths[last] += max(0, len(label) - room)
            spans.append((label, first))
    line = ""
    for label, first in spans:
        start = 2 + sum(widths[:first]) + 2 * first
        line = line.ljust(start) + label
    return line


def _derivative_label(row: CheckRow) -> str:
    return f"d{row.output}/d{row.variable}" if not row.output else f"d {row.output}/d {row.variable}"


# -- probes: which derivatives each row shows ------------------------------------------------------
def _probes(expr: Expr, symbols: list[Expr], rng: np.random.Generator) -> list[Probe]:
    outputs = _output_seeds(expr)
    entries = len(outputs) * sum(size_of(s.shape) for s in symbols)
    if entries > MAX_ENTRIES:
        seed = None if expr.shape == () else _unit(rng.standard_normal(expr.shape))
        return [Probe("" if seed is None else "(v.f)", seed, f"(u.{s.name})", s.name or "",
                       _unit(rng.standard_normal(s.shape))) for s in symbols]
    probes = []
    for output, seed, out_element in outputs:
        for symbol in symbols:
            for element in np.ndindex(*symbol.shape):
                direction = np.zeros(symbol.shape)
                direction[element] = 1.0
                label = symbol_name(symbol) + ("" if not element else str(list(element)))
                probes.append(Probe(output, seed, label, symbol.name or "", direction,
                                     element, out_element))
    return probes


def _output_seeds(expr: Expr) -> list[tuple[str, np.ndarray | None, tuple[int, ...] | None]]:
    if expr.shape == ():
        return [("", None, ())]
    seeds: list[tuple[str, np.ndarray | None, tuple[int, ...] | None]] = []
    for element in np.ndindex(*expr.shape):
        seed = np.zeros(expr.shape)
        seed[element] = 1.0
        seeds.append((f"f{list(element)}", seed, element))
    return seeds


def _unit(vector: np.ndarray) -> np.ndarray:
    unit: np.ndarray = vector / np.linalg.norm(vector)
    return unit


def _seed_key(seed: np.ndarray | None) -> bytes:
    return b"" if seed is None else seed.tobytes()


def scalarized(expr: Expr, seed: np.ndarray | None) -> Expr:
    """The scalar `sum(seed * expr)`, whose gradient is the vector-Jacobian product."""
    return expr if seed is None else apply("sum", constant(seed) * expr)


# -- the four methods ------------------------------------------------------------------------------
def _closed_form(expr: Expr, symbols: list[Expr], seeds: dict[bytes, np.ndarray | None],
                 batch: dict[str, np.ndarray]) -> dict[tuple[bytes, str], np.ndarray]:
    """Each seed's symbolic gradient at every point: (seed, name) -> array (points, *shape)."""
    result: dict[tuple[bytes, str], np.ndarray] = {}
    for key, seed in seeds.items():
        gradients = _compiled_gradient(scalarized(expr, seed), symbols, batch)
        for name, gradient in gradients.items():
            result[(key, name)] = gradient
    return result


def _compiled_gradient(target: Expr, symbols: list[Expr], batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    count = count_points(batch)
    _, gradients = compile_kernel(target, wrt=symbols, grad=True)(**batch)
    return {symbol_name(s): np.broadcast_to(np.asarray(gradients[symbol_name(s)], dtype=np.float64),
                                            (count, *s.shape)) for s in symbols}


def _reverse_column(expr: Expr, symbols: list[Expr], probes: list[Probe],
                    batch: dict[str, np.ndarray]) -> Column:
    """One batched numeric reverse sweep per output seed, projected on each probe's direction."""
    count = count_points(batch)
    gradients: dict[bytes, dict[str, Any]] = {}
    column: Column = {}
    for i, probe in enumerate(probes):
        key = _seed_key(probe.seed)
        if key not in gradients:
            seed = None if probe.seed is None else np.broadcast_to(probe.seed, (count, *expr.shape))
            gradients[key] = reverse(expr, at=batch, wrt=symbols, seed=seed)[1]
        gradient = np.broadcast_to(np.asarray(gradients[key][probe.name], dtype=np.float64),
                                   (count, *probe.direction.shape))
        for p in range(count):
            column[(i, p)] = float(np.sum(gradient[p] * probe.direction))
    return column


def _sympy_column(expr: Expr, probes: list[Probe], points: list[dict[str, Any]],
                  seconds: float = SYMPY_SECONDS) -> tuple[Column | None, str]:
    """SymPy's derivatives at the points, or None and the reason it was skipped."""
    if any(probe.element is None for probe in probes):
        return None, "SymPy skipped: random projections are checked numerically only"
    if expr.size > SYMPY_MAX_NODES:
        return None, f"SymPy skipped: the expression has {expr.size} nodes (limit {SYMPY_MAX_NODES})"
    try:
        column = within(seconds, _sympy_values, expr, probes, points)
    except SympyTimeout:
        return None, f"SymPy skipped: it took longer than {seconds:g} s"
    except (SymgradError, RecursionError, ValueError, TypeError, ArithmeticError,
            AttributeError, NotImplementedError) as error:
        return None, f"SymPy skipped: {_reason(error)}"
    return column, ""


def _reason(error: Exception) -> str:
    """The first line of an error's message (else its type), at most 100 characters."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text if len(text) <= 100 else text[:97] + "..."


def _sympy_values(expr: Expr, probes: list[Probe], points: list[dict[str, Any]]) -> Column:
    import sympy
    converted = to_sympy(expr, real=True)
    derivatives: dict[tuple[Any, ...], Any] = {}
    column: Column = {}
    for i, probe in enumerate(probes):
        key = (probe.output_element, probe.name, probe.element)
        if key not in derivatives:
            target = converted if expr.shape == () else converted[probe.output_element]
            derivatives[key] = sympy.diff(target, sympy_symbol(probe.name, probe.element or (), real=True))
        for p, point in enumerate(points):
            column[(i, p)] = _sympy_number(derivatives[key].evalf(subs=_sympy_point(sympy, point)))
    return column


def _sympy_point(sympy: Any, point: Mapping[str, Any]) -> dict[Any, Any]:
    substitutions = {}
    for name, value in point.items():
        array = np.asarray(value, dtype=np.float64)
        for element in np.ndindex(*array.shape):
            substitutions[sympy_symbol(name, element, real=True)] = sympy.Float(float(array[element]), 30)
    return substitutions


def _sympy_number(value: Any) -> float:
    try:
        number = complex(value)
    except (TypeError, ValueError):
        return math.nan
    if abs(number.imag) > 1e-12 * max(1.0, abs(number.real)):
        return math.nan
    return number.real


# -- comparing the columns --------------------------------------------------------------------------
def _agree(reference: float, value: float, allowance: float, rtol: float, atol: float) -> bool:
    if not (math.isfinite(reference) and math.isfinite(value)):
        return reference == value or (math.isnan(reference) and math.isnan(value))
    return abs(value - reference) <= atol + rtol * max(abs(reference), abs(value)) + allowance


def _scaled_error(reference: float, value: float) -> float:
    if not (math.isfinite(reference) and math.isfinite(value)):
        return 0.0 if _agree(reference, value, 0.0, 0.0, 0.0) else math.inf
    return abs(value - reference) / max(1.0, abs(reference))


def _row(probe: Probe, point: int, values: dict[str, float], fd_error: float,
         rtol: float, atol: float) -> CheckRow:
    reference = values[CLOSED]
    agree: dict[str, bool] = {}
    for method, value in values.items():
        if method != CLOSED:
            # Ridders' own error estimate widens the tolerance of the numeric column only.
            allowance = 2 * fd_error if method == FINITE and math.isfinite(fd_error) else 0.0
            agree[method] = _agree(reference, value, allowance, rtol, atol)
    # Finite differences are the one column that can fail by itself (a step too coarse for a
    # fast oscillation, too close to a domain edge): where SymPy's independent column agrees
    # with symgrad's, the row is right and finite differences are left out of its error.
    outvoted = not agree.get(FINITE, True) and agree.get(SYMPY, False) and \
        all(fine for method, fine in agree.items() if method != FINITE)
    counted = [method for method in agree if not (outvoted and method == FINITE)]
    error = max((_scaled_error(reference, values[method]) for method in counted), default=0.0)
    ok = all(agree[method] for method in counted)
    return CheckRow(point, probe.output, probe.variable, values, error, ok)


def _finite_differences_outvoted(row: CheckRow, rtol: float, atol: float) -> bool:
    """A row that is right although finite differences differ (SymPy agrees with symgrad)."""
    return row.ok and FINITE in row.values and SYMPY in row.values and \
        not _agree(row.values[CLOSED], row.values[FINITE], 0.0, rtol, atol)


def _only_independent_differ(row: CheckRow, rtol: float, atol: float) -> bool:
    """The shared columns agree, and both independent ones ran and disagree with them."""
    reference = row.values[CLOSED]
    if row.ok or not all(method in row.values for method in INDEPENDENT):
        return False
    shared = all(_agree(reference, row.values[m], 0.0, rtol, atol) for m in SHARED if m in row.values)
    return shared and not any(_agree(reference, row.values[m], 0.0, rtol, atol) for m in INDEPENDENT)


def _only_numeric_differs(row: CheckRow, rtol: float, atol: float) -> bool:
    reference = row.values[CLOSED]
    exact = [value for method, value in row.values.items() if method not in (CLOSED, FINITE)]
    return (not row.ok and all(_agree(reference, value, 0.0, rtol, atol) for value in exact))


# -- the entry point ---------------------------------------------------------------------------------
def _given_point(expr: Expr, at: Mapping[str, Any], symbols: list[Expr]) -> dict[str, np.ndarray]:
    """The point `at` as a batch of one: a value for every variable of `expr` (names it does not
    use are ignored), and for every differentiated name it does not use (0 when not given)."""
    if not isinstance(at, Mapping):
        raise ArgumentError(f"at takes a mapping of names to values, not {type(at).__name__}")
    shapes = expr.symbol_shapes
    batch = {}
    for name, shape in {**{s.name or "": s.shape for s in symbols}, **shapes}.items():
        if name not in at:
            if name in shapes:
                raise ArgumentError(f"no value given for the variable {name!r} "
                                    f"(given: {', '.join(sorted(at)) or 'none'})")
            batch[name] = np.zeros((1, *shape))
            continue
        value = at[name]
        value = value.numpy() if hasattr(value, "numpy") and not isinstance(value, np.ndarray) else value
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise ArgumentError(f"the value of {name!r} is not a number or array of numbers") from error
        if array.shape != shape:
            raise ShapeError(f"check takes one point: {name} has shape {shape}, "
                             f"its value has shape {array.shape}")
        batch[name] = array[None]
    return batch


def _with_absent(batch: dict[str, np.ndarray], symbols: list[Expr]) -> dict[str, np.ndarray]:
    """Sampled points, with 0 for each differentiated name the expression does not use (its
    partial is 0 at every value)."""
    count = count_points(batch)
    return {**{s.name or "": np.zeros((count, *s.shape)) for s in symbols}, **batch}


def check(expr: Any, at: Mapping[str, Any] | None = None, wrt: Wrt = None,
          rtol: float = 1e-6, atol: float = 1e-8, *, samples: int = 3, seed: int = 0,
          use_sympy: bool = True) -> CheckReport:
    """Every first derivative of `expr` by symgrad's rules (closed form, reverse mode) and by
    independent oracles (finite differences, SymPy), compared: `ok` when all that ran agree
    within `atol + rtol * |value|` at every point and at least one independent column ran.

    `expr` may be an Expr, a string or an eager tensor (its `.expr`, checked at the values of
    its leaves). Without `at`, `samples` random points are drawn (reproducibly, from `seed`)
    where the expression and its gradient are finite and not huge (near a pole they are
    redrawn); `wrt` limits the variables (default: all). A name in `wrt` that `expr` does not
    use gets a row whose every column is 0; a name only in `at` is ignored.
    """
    if at is None and not isinstance(expr, (Expr, str)) and hasattr(expr, "expr"):
        at = _tensor_point(expr)
    expr = as_expression(expr)
    if isinstance(at, Mapping):
        at = canonical_keys(at)  # at={"θ": ...} is the point of theta
    symbols = resolve_symbols(expr, wrt)
    if not symbols:
        return CheckReport(expr, (), (), (CLOSED,), ("the expression has no variables: there is no "
                                                     "derivative to check",), True, 0.0, rtol, atol)
    rng = np.random.default_rng(seed)
    probes = _probes(expr, symbols, rng)
    seeds = {_seed_key(probe.seed): probe.seed for probe in probes}
    if at is None:
        partials = [p for s in seeds.values() for p in _symbolic_partials(expr, s, symbols)]
        batch = _with_absent(sample_points([expr, *partials], expr.symbol_shapes, samples, rng), symbols)
    else:
        batch = _given_point(expr, at, symbols)
    shown = set(expr.symbol_shapes) | set(at or {})
    return _report(expr, symbols, probes, seeds, batch, shown, rtol, atol, use_sympy)


def _tensor_point(tensor: Any) -> dict[str, np.ndarray] | None:
    """The values of an eager tensor's leaves, under their names in `tensor.expr`."""
    expr = tensor.expr  # names the leaves
    try:
        leaves = [node for node in recorded_order(tensor) if node._op is None]
        point = {leaf._name: np.asarray(leaf._value, dtype=np.float64) for leaf in leaves
                 if leaf._name is not None}
    except AttributeError:
        return None
    return {name: point[name] for name in expr.symbols if name in point} or None


def _symbolic_partials(expr: Expr, seed: np.ndarray | None, symbols: list[Expr]) -> list[Expr]:
    return list(grad(scalarized(expr, seed), symbols).values())


def _report(expr: Expr, symbols: list[Expr], probes: list[Probe], seeds: dict[bytes, np.ndarray | None],
            batch: dict[str, np.ndarray], shown_names: set[str], rtol: float, atol: float,
            use_sympy: bool) -> CheckReport:
    count = count_points(batch)
    points = [point_dict(batch, p) for p in range(count)]
    columns, notes = _columns(expr, symbols, probes, seeds, batch, points, use_sympy)
    notes = list(notes)
    fd_errors = columns.pop("fd error", {})
    rows = []
    for p in range(count):
        for i, probe in enumerate(probes):
            values = {method: column[(i, p)] for method, column in columns.items()}
            rows.append(_row(probe, p, values, fd_errors.get((i, p), math.nan), rtol, atol))
    with np.errstate(all="ignore"):
        outputs = evaluate(expr, batch)
    shown = tuple(np.asarray(outputs)[p] if np.ndim(outputs) else float(outputs) for p in range(count))
    max_error = max((row.error for row in rows), default=0.0)
    if any(_finite_differences_outvoted(row, rtol, atol) for row in rows):
        notes.append("where finite differences differ but SymPy agrees with symgrad, finite "
                     "differences could not resolve the derivative there (too fast a change, too "
                     "near the edge of the domain, or a kink, where symgrad takes PyTorch's "
                     "convention); SymPy's column decides")
    if any(_only_numeric_differs(row, rtol, atol) for row in rows):
        notes.append("where only finite differences differ, the function may not be differentiable "
                     "at that point (at a kink symgrad takes PyTorch's convention)")
    if any(_only_independent_differ(row, rtol, atol) for row in rows):
        notes.append("where symgrad's own columns agree with each other but finite differences and "
                     "SymPy do not, a derivative rule is likely wrong (the shared columns use the "
                     "same rules)")
    shared = tuple(method for method in columns if method in SHARED)
    independent = tuple(method for method in columns if method in INDEPENDENT)
    if not independent:
        notes.append("no independent column ran (finite differences, SymPy): closed form and "
                     "reverse share symgrad's derivative rules, so their agreement is not a check")
    points = [{name: value for name, value in point.items() if name in shown_names} for point in points]
    return CheckReport(expr, tuple(rows), tuple(points), tuple(columns), tuple(notes),
                       all(row.ok for row in rows) and bool(independent), max_error, rtol, atol,
                       shown, shared, independent)


def _columns(expr: Expr, symbols: list[Expr], probes: list[Probe], seeds: dict[bytes, np.ndarray | None],
             batch: dict[str, np.ndarray], points: list[dict[str, Any]],
             use_sympy: bool) -> tuple[dict[str, Column], list[str]]:
    closed = _closed_form(expr, symbols, seeds, batch)
    columns: dict[str, Column] = {CLOSED: {
        (i, p): float(np.sum(closed[(_seed_key(probe.seed), probe.name)][p] * probe.direction))
        for i, probe in enumerate(probes) for p in range(len(points))}}
    notes = []
    columns[REVERSE] = _reverse_column(expr, symbols, probes, batch)
    try:
        columns[FINITE], errors = finite_differences(expr, probes, batch)
    except SymgradError as error:
        errors = {}
        notes.append(f"finite differences skipped: {_reason(error)}")
    if use_sympy:
        column, note = _sympy_column(expr, probes, points)
        if column is not None:
            columns[SYMPY] = column
        else:
            notes.append(note)
    columns["fd error"] = errors
    return columns, notes


def finite_difference_gradient(expr: Expr, at: Mapping[str, Any], wrt: Wrt = None,
                               seed: Any = None) -> dict[str, np.ndarray]:
    """The gradient (or `seed`-vector-Jacobian product) of `expr` at one point, by central
    differences with Richardson extrapolation: independent of every derivative rule."""
    expr = as_expression(expr)
    symbols = resolve_symbols(expr, wrt)
    seed_array = None if seed is None else np.broadcast_to(np.asarray(seed, dtype=np.float64), expr.shape)
    if expr.shape != () and seed_array is None:
        raise ShapeError(f"the expression has shape {expr.shape}: give a seed of that shape")
    probes = []
    for symbol in symbols:
        for element in np.ndindex(*symbol.shape):
            direction = np.zeros(symbol.shape)
            direction[element] = 1.0
            probes.append(Probe("", seed_array, symbol.name or "", symbol.name or "", direction, element))
    column, _ = finite_differences(expr, probes, _given_point(expr, at, symbols))
    result = {symbol.name or "": np.zeros(symbol.shape) for symbol in symbols}
    for i, probe in enumerate(probes):
        result[probe.name][probe.element] = column[(i, 0)]
    return result
