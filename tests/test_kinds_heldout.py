"""Held-out audit of array kinds and dtypes (API.md section 3, "Arrays and engines").

tests/test_kinds_corpus.py pushes hypothesis-generated expressions through the kernels. This
audit is the other half: it iterates the operation table, so every elementwise operation (and
any one added later) goes through every entry point (`.eval`, `sg.reverse`, `sg.compile(e)`,
`sg.compile(e, grad=True)`, eager tensors), both backends (numpy source, numba loop) and every
array kind (numpy float64/float32, 0-d arrays, Python floats and ints, integer arrays, torch
CPU float64/float32, dask), at batch shapes (), (5,) and (3, 4), alone and in compositions of
2-4 operations drawn with a fixed seed. Each result's kind, dtype, shape and numbers are
compared with the numpy float64 kernel (rtol 1e-12 for float64, 1e-5 for float32 results, on
the float32-rounded inputs), whose gradient is itself checked against central differences.

Mixed kinds follow `numeric/arrays.py` (and so numpy's and torch's promotion of a "weak"
Python number): a Python number or an integer array takes the other arguments' dtype;
float32 with float64 gives float64; numpy arrays and numbers mix with any one array library,
whose kind the results take. JAX is not in the contract and is not audited here.
"""

from __future__ import annotations

import math
import pickle
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

import symgrad as sg
from symgrad.core.expr import Expr, apply
from symgrad.core.opspec import OPS, OpSpec

from optional import need

# float32 results meet rtol 1e-5 (atol 1e-5 at the result's scale) everywhere but one: in
# composition10 (coth near -1) coth' = 1 - coth**2 cancels, so float32 rounding of coth
# carried through the chain rule is 3.1e-5 off at one point (2.4e-6 relative in float64). The
# numbers are the same in reverse and in kernels; 10 x 1e-5 covers that conditioning.
FLOAT32_GROWTH = 10
SHAPES: tuple[tuple[int, ...], ...] = ((), (5,), (3, 4))
COMPARISONS = ("lt", "le", "gt", "ge", "eq", "ne")
# Not audited here, with the reason; every other entry of the table is.
NOT_ELEMENTWISE = {name: "not elementwise (core axes: tests/test_kinds_corpus.py covers sums "
                         "of vectors; test_ops_table.STRUCTURED each op)"
                   for name, spec in OPS.items() if not spec.elementwise}
NOT_DIFFERENTIABLE = {name: "no derivative rule" for name, spec in OPS.items()
                      if spec.elementwise and spec.grad is None}
AUDITED = [spec for name, spec in sorted(OPS.items())
           if name not in NOT_ELEMENTWISE and name not in NOT_DIFFERENTIABLE]
SYMBOLS = [sg.symbols(f"a{position}") for position in range(3)]


# -- expressions -----------------------------------------------------------------------------
def interval(spec: OpSpec, position: int) -> tuple[float, float]:
    domain = spec.domain or ((-3.0, 3.0),)
    low, high = domain[min(position, len(domain) - 1)]
    return float(low), float(high)


def arity(spec: OpSpec) -> int:
    return 3 if spec.name == "where" else spec.arity if spec.arity >= 0 else 2


def build(spec: OpSpec, args: list[Expr]) -> Expr:
    """`spec`'s operation on `args` (a float64 literal where the op takes one: it must not
    widen float32 results)."""
    if spec.name == "pow":
        return apply("pow", args[0], exponent=2.5)
    if spec.name == "where":
        return apply("where", apply("gt", args[0], 0.1), args[1], args[2])
    return apply(spec.name, *args[:arity(spec)])


def single(spec: OpSpec) -> Expr:
    return build(spec, SYMBOLS)


def points_for(spec: OpSpec, count: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """`count` float32-exact values per argument, inside the op's domain (away from its ends)."""
    values = {}
    for position in range(arity(spec)):
        low, high = interval(spec, position)
        margin = 0.05 * (high - low)
        drawn = rng.uniform(low + margin, high - margin, size=count)
        values[f"a{position}"] = drawn.astype(np.float32).astype(np.float64)
    return values


@dataclass(frozen=True)
class Case:
    """An expression and float32-exact sample points (12 per symbol) inside every op's domain."""

    name: str
    expr: Expr
    points: dict[str, np.ndarray]


def _fitted(item: Expr, value: np.ndarray, low: float, high: float) -> Expr:
    """`item` mapped affinely so its values at the points lie in the middle of (low, high)."""
    smallest, largest = float(np.min(value)), float(np.max(value))
    middle, room = (low + high) / 2, 0.35 * (high - low)
    spread = max(largest - smallest, 1e-3)
    scale = round(min(1.0, 2 * room / spread), 3)
    shift = round(middle - scale * (smallest + largest) / 2, 3)
    return scale * item + shift


XY_POINTS = {"x": np.random.default_rng(30).uniform(-1.5, 1.5, 12).astype(np.float32)
             .astype(np.float64),
             "y": np.random.default_rng(31).uniform(0.2, 1.5, 12).astype(np.float32)
             .astype(np.float64)}


def at_points(item: Expr, points: dict[str, np.ndarray]) -> np.ndarray:
    return np.broadcast_to(np.asarray(item.eval(**points), dtype=np.float64), (12,))


def composition(rng: np.random.Generator, index: int) -> Case:
    """2-4 audited ops, each reading earlier results fitted into its domain."""
    leaves = [sg.symbols("x"), sg.symbols("y")]
    points = XY_POINTS
    # both symbols in every case: the first op reads x and y mixed, each later op the last
    # result (and any earlier ones for its other arguments)
    pool: list[Expr] = [*leaves, leaves[0] * leaves[1] if rng.integers(2) else leaves[0] - leaves[1]]
    names = []
    for step in range(int(rng.integers(2, 5))):
        spec = AUDITED[int(rng.integers(len(AUDITED)))]
        names.append(spec.name)
        args = []
        for position in range(arity(spec)):
            item = pool[-1] if position == 0 else pool[int(rng.integers(len(pool)))]
            args.append(_fitted(item, at_points(item, points), *interval(spec, position)))
        if spec.name in COMPARISONS or spec.name == "max" or spec.name == "min":
            # no point near a tie, where rounding or a small step flips the comparison
            gap = at_points(args[0], points) - at_points(args[1], points)
            if np.min(np.abs(gap)) < 0.05:
                args[1] = args[1] + float(np.sign(np.mean(gap)) or 1.0) * -3.0
        pool.append(build(spec, args))
    return Case(f"composition{index}:" + "-".join(names), pool[-1], points)


COMPOSITIONS = [composition(np.random.default_rng(1500 + index), index) for index in range(16)]
SINGLES = [Case(spec.name, single(spec), points_for(spec, 12, np.random.default_rng(15)))
           for spec in AUDITED]
CASES = SINGLES + COMPOSITIONS


def at_shape(points: dict[str, np.ndarray], shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    count = math.prod(shape)
    return {name: value[:count].reshape(shape) for name, value in points.items()}


# -- the oracle and comparisons --------------------------------------------------------------
def oracle(expr: Expr, points: dict[str, Any]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The numpy float64 kernel's value and gradient (float64 numpy arrays)."""
    value, gradient = sg.compile(expr, grad=True)(**points)
    return np.asarray(value), {name: np.asarray(part) for name, part in gradient.items()}


def assert_close(actual: Any, expected: Any, dtype: Any, what: str) -> None:
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    rtol = rtol if dtype == np.float64 else FLOAT32_GROWTH * rtol
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=rtol,
                               atol=rtol * scale, err_msg=what)


@dataclass(frozen=True)
class Kind:
    """How to make arguments of one kind from float64 points, and what results must be."""

    name: str
    make: Callable[[np.ndarray], Any]
    library: str            # the results' library: "numpy", "torch" or "dask"
    dtype: str              # the results' dtype: "float64" or "float32"
    shapes: tuple[tuple[int, ...], ...] = SHAPES


def numpy_kind(dtype: Any) -> Callable[[np.ndarray], Any]:
    return lambda value: np.asarray(value, dtype=dtype)


def torch_kind(name: str) -> Callable[[np.ndarray], Any]:
    def make(value: np.ndarray) -> Any:
        torch = need("torch")
        return torch.tensor(value, dtype=getattr(torch, name))
    return make


def dask_kind(dtype: Any) -> Callable[[np.ndarray], Any]:
    def make(value: np.ndarray) -> Any:
        da = need("dask.array")
        return da.from_array(np.asarray(value, dtype=dtype), chunks=2)
    return make


KINDS = [
    Kind("numpy-float64", numpy_kind(np.float64), "numpy", "float64"),
    Kind("numpy-float32", numpy_kind(np.float32), "numpy", "float32"),
    Kind("python-float", lambda value: float(value), "numpy", "float64", ((),)),
    Kind("numpy-float32-scalar", lambda value: np.float32(value), "numpy", "float32", ((),)),
    Kind("torch-float64", torch_kind("float64"), "torch", "float64"),
    Kind("torch-float32", torch_kind("float32"), "torch", "float32"),
    Kind("dask-float64", dask_kind(np.float64), "dask", "float64", ((5,), (3, 4))),
    Kind("dask-float32", dask_kind(np.float32), "dask", "float32", ((5,), (3, 4))),
]
BY_NAME = {kind.name: kind for kind in KINDS}


def check_result(result: Any, expected: np.ndarray, kind: Kind, shape: tuple[int, ...],
                 what: str) -> None:
    """`result` has the kind's library and dtype, the batch `shape` and the oracle's numbers."""
    if kind.library == "torch":
        torch = need("torch")
        assert isinstance(result, torch.Tensor), (what, type(result))
        assert str(result.dtype) == f"torch.{kind.dtype}", (what, result.dtype)
        numbers = result.numpy()
    elif kind.library == "dask":
        da = need("dask.array")
        assert isinstance(result, da.Array), (what, type(result))
        assert result.dtype == np.dtype(kind.dtype), (what, result.dtype)
        numbers = result.compute()
        assert numbers.dtype == np.dtype(kind.dtype), (what, "computed", numbers.dtype)
    else:
        # 0-d numpy results may be numpy scalars (and reverse gives a float64 one as a float)
        assert isinstance(result, (np.ndarray, np.generic, float)), (what, type(result))
        numbers = result
        assert np.result_type(result) == np.dtype(kind.dtype), (what, np.result_type(result))
    assert np.shape(numbers) == shape, (what, np.shape(numbers))
    assert_close(numbers, expected, np.dtype(kind.dtype), what)


def check_call(case: Case, kind: Kind, shape: tuple[int, ...], method: str,
               backend: str = "numpy") -> None:
    points = at_shape(case.points, shape)
    expected_value, expected_gradient = oracle(case.expr, points)
    given = {name: kind.make(value) for name, value in points.items()}
    what = f"{case.name} {kind.name} {shape} {method} {backend}"
    if method == "eval":
        check_result(case.expr.eval(**given), expected_value, kind, shape, what)
        return
    if method == "compile":
        value = sg.compile(case.expr, backend=backend)(**given)
        check_result(value, expected_value, kind, shape, what)
        return
    if method == "reverse":
        value, gradient = sg.reverse(case.expr, at=given)
    else:
        value, gradient = sg.compile(case.expr, grad=True, backend=backend)(**given)
    check_result(value, expected_value, kind, shape, what)
    assert sorted(gradient) == sorted(expected_gradient), what
    for name, partial in gradient.items():
        check_result(partial, expected_gradient[name], kind, shape, f"{what} d/d{name}")


METHODS = ("eval", "reverse", "compile", "grad")


def shape_for(case: Case, kind: Kind) -> tuple[int, ...]:
    """One batch shape per case and kind, rotating (the full product would be slow)."""
    return kind.shapes[(len(case.name) + len(kind.name)) % len(kind.shapes)]


# -- the oracle is right ---------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_oracle_gradient_matches_central_differences(case: Case):
    value, gradient = oracle(case.expr, case.points)
    assert np.all(np.isfinite(value)), case.name
    step = 1e-6
    for name in gradient:
        up = dict(case.points, **{name: case.points[name] + step})
        down = dict(case.points, **{name: case.points[name] - step})
        central = (oracle(case.expr, up)[0] - oracle(case.expr, down)[0]) / (2 * step)
        np.testing.assert_allclose(gradient[name], central, rtol=1e-5, atol=1e-6,
                                   err_msg=f"{case.name} d/d{name}")


# -- every kind, every entry point, the numpy backend ----------------------------------------
@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_every_entry_point_keeps_kind_dtype_and_numbers(case: Case, kind: Kind):
    shape = shape_for(case, kind)
    points = case.points
    if kind.dtype == "float32":
        assert all(np.array_equal(value.astype(np.float32), value) for value in points.values())
    for method in METHODS:
        check_call(case, kind, shape, method)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_batch_shape_with_numpy(shape: tuple[int, ...], dtype: str):
    kind = BY_NAME["numpy-float64"] if dtype == "float64" else BY_NAME["numpy-float32"]
    for case in CASES[::3]:
        for method in METHODS:
            check_call(case, kind, shape, method)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_zero_d_arrays_give_zero_d_results_of_their_dtype(dtype: Any):
    kind = Kind(f"0-d {np.dtype(dtype).name}", lambda value: np.array(value, dtype=dtype),
                "numpy", np.dtype(dtype).name)
    for case in CASES:
        for method in METHODS:
            check_call(case, kind, (), method)


def integer_points(spec: OpSpec) -> dict[str, np.ndarray] | None:
    """Integers strictly inside each argument's domain (distinct per argument), or None."""
    values = {}
    for position in range(arity(spec)):
        low, high = interval(spec, position)
        inside = [number for number in range(math.floor(low), math.ceil(high) + 1)
                  if low < number < high]
        if not inside:
            return None
        values[f"a{position}"] = np.array([inside[(position + k) % len(inside)]
                                           for k in range(5)])
    return values


@pytest.mark.parametrize("spec", AUDITED, ids=lambda spec: spec.name)
def test_integer_arrays_and_python_ints_give_float64(spec: OpSpec):
    points = integer_points(spec)
    if points is None:
        pytest.skip(f"no integer inside {spec.name}'s domain {spec.domain}")
    floats = {name: value.astype(np.float64) for name, value in points.items()}
    case = Case(spec.name, single(spec), floats)
    for method in METHODS:
        check_call(case, Kind("int64", lambda value: value.astype(np.int64), "numpy", "float64"),
                   (5,), method)
        check_call(case, Kind("python-int", lambda value: int(value), "numpy", "float64"),
                   (), method)


# -- mixed kinds -----------------------------------------------------------------------------
MIXED = [
    # (first argument's kind, the others' kind, the results' library and dtype)
    ("numpy-float32", "python-float", "numpy", "float32"),
    ("numpy-float32", "numpy-float64", "numpy", "float64"),
    ("numpy-float32", "int64", "numpy", "float32"),
    ("torch-float32", "python-float", "torch", "float32"),
    ("torch-float32", "numpy-float64", "torch", "float64"),
    ("torch-float64", "numpy-float32", "torch", "float64"),
    ("dask-float32", "python-float", "dask", "float32"),
    ("dask-float64", "numpy-float64", "dask", "float64"),
]
BY_NAME["int64"] = Kind("int64", lambda value: np.round(value).astype(np.int64), "numpy",
                        "float64")


@pytest.mark.parametrize("first, others, library, dtype", MIXED, ids=lambda item: str(item))
def test_mixed_kinds_promote_as_documented(first: str, others: str, library: str, dtype: str):
    for case in COMPOSITIONS + SINGLES[::4]:
        shape = (3, 4)
        points = {name: value for name, value in at_shape(case.points, shape).items()
                  if name in case.expr.symbols}  # only the names used choose the kind
        names = sorted(points)
        if len(names) < 2:
            continue
        if others == "int64":
            points = dict(points, **{name: np.round(points[name]) for name in names[1:]})
        if others == "python-float":
            points = dict(points, **{name: points[name][:1, :1].reshape(()) for name in names[1:]})
        given = {name: BY_NAME[first if name == names[0] else others].make(value)
                 for name, value in points.items()}
        full = {name: np.broadcast_to(value, shape) for name, value in points.items()}
        try:
            expected_value, expected_gradient = oracle(case.expr, full)
        except sg.SymgradError:
            continue
        if not np.all(np.isfinite(expected_value)):
            continue  # the rounded or shared points left an op's domain
        kind = Kind(f"{first}+{others}", lambda value: value, library, dtype)
        what = f"{case.name} {kind.name}"
        check_result(case.expr.eval(**given), expected_value, kind, shape, what + " eval")
        for value, gradient, how in (
                (*sg.reverse(case.expr, at=given), "reverse"),
                (*sg.compile(case.expr, grad=True)(**given), "grad")):
            check_result(value, expected_value, kind, shape, f"{what} {how}")
            for name, partial in gradient.items():
                check_result(partial, expected_gradient[name], kind, shape,
                             f"{what} {how} d/d{name}")


# -- the numba backend -----------------------------------------------------------------------
# numba compiles each kernel (about a second), so the cases go through it together: one kernel
# of every single op (its arguments mapped into the op's domain from shared symbols u0..u2 in
# (0, 1)) and one of every composition (they share their points), each with a gradient.
UNIT = [sg.symbols(f"u{position}") for position in range(3)]
UNIT_POINTS = {f"u{position}": np.random.default_rng(40 + position).uniform(0.05, 0.95, 12)
               .astype(np.float32).astype(np.float64) for position in range(3)}


def unit_form(spec: OpSpec) -> Expr:
    args = []
    for position, symbol in enumerate(UNIT):
        low, high = interval(spec, position)
        args.append(low + (high - low) * symbol)
    return build(spec, args)


def fused_and_fallback(cases: list[Case]) -> tuple[list[Case], dict[str, str]]:
    """The cases with a fused numba form, and why each other one runs the numpy source."""
    need("numba")
    fused, fallback = [], {}
    for case in cases:
        reason = sg.compile(case.expr, grad=True, backend="numba").fallback
        if reason is None:
            fused.append(case)
        else:
            fallback[case.name] = reason
    return fused, fallback


UNIT_CASES = [Case(spec.name, unit_form(spec), UNIT_POINTS) for spec in AUDITED]
# What runs the numpy source under backend="numba" today: nothing (fmod, remainder and sinc
# did until this audit). A new op without a fused form fails the test below until listed.
NUMBA_FALLBACK: set[str] = set()


def check_group(cases: list[Case], kinds: list[tuple[Kind, tuple[int, ...]]],
                grad: bool) -> None:
    """One numba kernel of all `cases` (they share their points) against the numpy float64
    kernel of the same outputs, for each (kind, batch shape)."""
    exprs = [case.expr for case in cases]
    kernel = sg.compile(exprs, grad=grad, backend="numba")
    assert kernel.fallback is None, kernel.fallback
    reference = sg.compile(exprs, grad=True)
    for kind, shape in kinds:
        points = at_shape(cases[0].points, shape)
        values, gradients = reference(**points)
        given = {name: kind.make(value) for name, value in points.items()}
        result = kernel(**given)
        got_values, got_gradients = result if grad else (result, None)
        for position, case in enumerate(cases):
            what = f"{case.name} {kind.name} {shape} numba grad={grad}"
            check_result(got_values[position], np.asarray(values[position]), kind, shape, what)
            if got_gradients is None:
                continue
            for name, partial in got_gradients[position].items():
                check_result(partial, np.asarray(gradients[position][name]), kind, shape,
                             f"{what} d/d{name}")


# numba's compile time grows faster than the kernel's size: the ops go in groups of 8. Every
# group runs in float64 (numpy and torch: one compiled loop); float32 (its own loop) runs on a
# fixed sample of the groups, the compositions and the scalars.
GROUP = 8
NUMBA64 = [(BY_NAME["numpy-float64"], (3, 4)), (BY_NAME["torch-float64"], (5,))]
NUMBA32 = [(BY_NAME["numpy-float32"], (5,)), (BY_NAME["torch-float32"], (3, 4))]


def test_the_numba_backend_keeps_kind_dtype_and_numbers_of_every_op():
    fused, fallback = fused_and_fallback(UNIT_CASES)
    assert set(fallback) == NUMBA_FALLBACK, fallback
    groups = [fused[start:start + GROUP] for start in range(0, len(fused), GROUP)]
    single = sorted(np.random.default_rng(15).choice(len(groups), 2, replace=False))
    for index, group in enumerate(groups):
        check_group(group, NUMBA64 + (NUMBA32 if index in single else []), True)
    for case in UNIT_CASES:  # the fallbacks: the numpy source, under backend="numba"
        if case.name in fallback:
            for kind, shape in NUMBA64 + NUMBA32 + [(BY_NAME["python-float"], ())]:
                check_call(case, kind, shape, "compile", backend="numba")
                check_call(case, kind, shape, "grad", backend="numba")


def test_the_numba_backend_on_compositions_and_dask_blocks():
    fused, fallback = fused_and_fallback(COMPOSITIONS)
    assert len(fused) >= len(COMPOSITIONS) // 2, fallback
    groups = [fused[start:start + GROUP] for start in range(0, len(fused), GROUP)]
    for index, group in enumerate(groups):
        check_group(group, NUMBA64 + [(BY_NAME["dask-float64"], (3, 4))], True)
    check_group(groups[0], NUMBA32 + [(BY_NAME["dask-float32"], (5,))], True)
    check_group(groups[-1], NUMBA64 + NUMBA32, False)
    for case in COMPOSITIONS:
        if case.name in fallback:
            check_call(case, BY_NAME["numpy-float32"], (3, 4), "grad", backend="numba")


def test_numba_scalars_and_zero_d_arrays():
    fused, _ = fused_and_fallback(COMPOSITIONS)
    zero_d32 = Kind("0-d float32", lambda value: np.array(value, dtype=np.float32), "numpy",
                    "float32")
    for kind in (BY_NAME["python-float"], zero_d32, BY_NAME["torch-float32"]):
        check_group(fused[:4], [(kind, ())], True)


# -- eager tensors ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_eager_tensors_keep_their_dtype_through_every_public_op(dtype: str):
    for spec in AUDITED:
        if not spec.public or spec.name in ("where", "clamp"):
            continue  # where and clamp are reached through compositions of Tensors below
        points = at_shape(points_for(spec, 5, np.random.default_rng(7)), (5,))
        tensors = [sg.tensor(points[f"a{position}"], dtype=getattr(sg, dtype),
                             requires_grad=True) for position in range(arity(spec))]
        result = getattr(tensors[0], spec.name)(*tensors[1:])
        result.sum().backward()
        expected_value, expected_gradient = oracle(single(spec), points)
        what = f"eager {spec.name} {dtype}"
        assert result.dtype == getattr(sg, dtype), (what, result.dtype)
        assert_close(result.detach().numpy(), expected_value, np.dtype(dtype), what)
        for position, tensor in enumerate(tensors):
            assert tensor.grad is not None and tensor.grad.dtype == getattr(sg, dtype), what
            assert_close(tensor.grad.numpy(), expected_gradient[f"a{position}"], np.dtype(dtype),
                         f"{what} d/da{position}")


# -- kernels travel: pickle, processes, dask blocks ------------------------------------------
def _call(kernel: sg.Kernel, points: dict[str, np.ndarray]) -> Any:
    return kernel(**points)


@pytest.mark.parametrize("grad", [False, True], ids=["value", "grad"])
def test_numba_kernels_pickle_and_run_in_a_process_pool(grad: bool):
    need("numba")
    case = next(case for case in COMPOSITIONS
                if sg.compile(case.expr, backend="numba").fallback is None)
    kernel = sg.compile(case.expr, grad=grad, backend="numba")
    again = pickle.loads(pickle.dumps(kernel))
    assert again.backend == "numba" and again.fallback is None and again.source == kernel.source
    points = at_shape(case.points, (3, 4))
    single32 = {name: value.astype(np.float32) for name, value in points.items()}
    expected = _call(kernel, points)
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_call, [again, kernel], [points, single32]))
    for result, dtype in zip(results, (np.float64, np.float32)):
        value = result[0] if grad else result
        assert value.dtype == dtype
        assert_close(value, expected[0] if grad else expected, np.dtype(dtype), case.name)
        if grad:
            for name, partial in result[1].items():
                assert partial.dtype == dtype
                assert_close(partial, expected[1][name], np.dtype(dtype), f"{case.name} {name}")


def test_a_dask_array_of_several_chunks_through_a_numba_kernel_stays_lazy():
    da = need("dask.array")
    case = next(case for case in COMPOSITIONS
                if sg.compile(case.expr, backend="numba").fallback is None)
    kernel = sg.compile(case.expr, grad=True, backend="numba")
    rng = np.random.default_rng(4)
    count = 1000
    points = {name: rng.choice(value, size=count) for name, value in case.points.items()}
    for dtype in (np.float64, np.float32):
        lazy = {name: da.from_array(value.astype(dtype), chunks=128)
                for name, value in points.items()}
        value, gradient = kernel(**lazy)
        for result in (value, *gradient.values()):
            assert isinstance(result, da.Array) and result.dtype == dtype
            assert result.chunks == lazy["x"].chunks and result.npartitions == 8
        expected = oracle(case.expr, points)
        assert_close(value.compute(), expected[0], np.dtype(dtype), case.name)
        for name, partial in gradient.items():
            computed = partial.compute()
            assert computed.dtype == dtype
            assert_close(computed, expected[1][name], np.dtype(dtype), f"{case.name} {name}")


def test_the_audit_covers_every_elementwise_entry_of_the_table():
    listed = set(NOT_ELEMENTWISE) | set(NOT_DIFFERENTIABLE)
    assert {spec.name for spec in AUDITED} | listed == set(OPS)
    assert {"add", "mul", "pow", "where", "remainder", "fmod", *COMPARISONS} <= \
        {spec.name for spec in AUDITED}
    used = {node.op for case in COMPOSITIONS for node in sg.core.traverse.topological([case.expr])}
    assert len(used & {spec.name for spec in AUDITED}) >= 15


# -- found by this audit (each failed before its fix) ----------------------------------------
def test_torch_bfloat16_and_float16_tensors_give_float32_tensors():
    torch = need("torch")
    case = COMPOSITIONS[1]
    points = at_shape(case.points, (5,))
    for dtype in (torch.bfloat16, torch.float16):
        given = {name: torch.tensor(value).to(dtype) for name, value in points.items()}
        read = {name: tensor.float().numpy().astype(np.float64) for name, tensor in given.items()}
        expected_value, expected_gradient = oracle(case.expr, read)
        kind = Kind(str(dtype), lambda value: value, "torch", "float32")
        check_result(case.expr.eval(**given), expected_value, kind, (5,), f"{dtype} eval")
        for value, gradient in (sg.reverse(case.expr, at=given),
                                sg.compile(case.expr, grad=True)(**given)):
            check_result(value, expected_value, kind, (5,), f"{dtype}")
            for name, partial in gradient.items():
                check_result(partial, expected_gradient[name], kind, (5,), f"{dtype} d/d{name}")


def test_a_torch_dtype_numpy_cannot_hold_is_an_argument_error():
    torch = need("torch")
    x = sg.symbols("x")
    with pytest.warns(UserWarning):  # torch: "ComplexHalf support is experimental"
        chalf = torch.ones(3, dtype=torch.complex32)
    with pytest.raises(sg.ArgumentError, match="complex32"):
        sg.exp(x).eval(x=chalf)


def test_reverse_with_errors_raise_on_torch_tensors():
    torch = need("torch")
    x = sg.symbols("x")
    value, gradient = sg.reverse(sg.exp(x), at={"x": torch.zeros(3)}, errors="raise")
    assert isinstance(gradient["x"], torch.Tensor) and gradient["x"].tolist() == [1.0] * 3
    with pytest.raises(sg.DomainError, match="derivative with respect to x"):
        sg.reverse(sg.sqrt(x), at={"x": torch.zeros(2, dtype=torch.float32)}, errors="raise")


@pytest.mark.parametrize("library", ["numpy", "torch"])
def test_an_unbatched_seed_is_the_same_for_every_point(library: str):
    x, w = sg.symbols("x"), sg.symbols("w", shape=(3,))
    expr = sg.sin(w) * x
    xs, ws = np.linspace(0.5, 1.0, 5), np.linspace(-1.0, 1.0, 15).reshape(5, 3)
    seed = np.array([1.0, -2.0, 0.5])
    at: dict[str, Any] = {"x": xs, "w": ws}
    given_seed: Any = seed
    if library == "torch":
        torch = need("torch")
        at = {name: torch.tensor(value) for name, value in at.items()}
        given_seed = torch.tensor(seed, requires_grad=True)  # a seed that requires grad reads too
    _, gradient = sg.reverse(expr, at=at, seed=given_seed)
    # by hand: d(seed . sin(w) x)/dx = seed . sin(w); d/dw = seed * cos(w) * x
    np.testing.assert_allclose(np.asarray(gradient["x"]), np.sin(ws) @ seed, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(gradient["w"]), seed * np.cos(ws) * xs[:, None],
                               rtol=1e-12)
    _, batched = sg.reverse(expr, at={"x": xs, "w": ws}, seed=np.broadcast_to(seed, (5, 3)))
    np.testing.assert_allclose(batched["x"], np.sin(ws) @ seed, rtol=1e-12)


def test_arrays_of_two_libraries_are_an_argument_error():
    torch, da = need("torch"), need("dask.array")
    x, y = sg.symbols("x y")
    with pytest.raises(sg.ArgumentError, match="mix"):
        sg.compile(x * y)(x=torch.ones(4), y=da.ones(4, chunks=2))


def test_fused_remainders_and_sinc_hold_only_generated_names_and_known_functions():
    from test_backends import CUDA_WORDS, NUMBA_WORDS, math_words, words
    a, b = sg.symbols("a b")
    exprs = [sg.remainder(a, b), sg.fmod(a, b), sg.sinc(a)]
    cuda = sg.compile(exprs, grad=True, backend="cupy")
    assert cuda.fallback is None
    assert words(cuda.source) <= CUDA_WORDS | math_words("cuda") | {"fmod", "copysign"}
    assert "3.141592653589793" in cuda.source  # sinc: sin(pi x)/(pi x)
    need("numba")
    numba = sg.compile(exprs, grad=True, backend="numba")
    assert numba.fallback is None
    assert words(numba.source) <= NUMBA_WORDS | math_words("numba") | {"fmod", "copysign", "sinc"}


def test_float32_kernels_compute_every_batch_sized_result_in_float32(monkeypatch: pytest.MonkeyPatch):
    # Each raw result a kernel hands back before giving it the call's dtype: a float64 array
    # the size of the batch would mean the kernel computed it in float64 (twice the memory)
    # and copied it down. where(c, 1.0, 0.0), the derivative of where, did so.
    from symgrad.numeric.kernel import Kernel
    raw: list[tuple[str, tuple[int, ...]]] = []
    finish = Kernel._finish

    def spy(value: Any, batch: Any, shape: Any, fresh: bool, kind: Any) -> Any:
        raw.append((str(np.result_type(value)), tuple(np.shape(value))))
        return finish(value, batch, shape, fresh, kind)
    monkeypatch.setattr(Kernel, "_finish", staticmethod(spy))
    for case in CASES:
        raw.clear()
        single32 = {name: value.astype(np.float32) for name, value in case.points.items()}
        sg.compile(case.expr, grad=True)(**single32)
        wide = [shape for dtype, shape in raw if dtype != "float32" and math.prod(shape) > 1]
        assert not wide, (case.name, raw)
