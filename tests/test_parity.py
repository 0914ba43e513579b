"""PyTorch parity (API.md section 5): torch's and numpy's function names, and torch's factories,
checked against torch itself (float64). Random factories are checked by shape and statistics:
symgrad's generator is its own, so the samples are not torch's."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import symgrad as sg

torch = pytest.importorskip("torch")

# (name, symgrad function, torch function, input values inside the domain)
UNARY: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any], list[float]]] = [
    ("absolute", sg.absolute, torch.absolute, [-1.5, 0.7, 2.0]),
    ("arccos", sg.arccos, torch.arccos, [-0.6, 0.1, 0.8]),
    ("arcsin", sg.arcsin, torch.arcsin, [-0.6, 0.1, 0.8]),
    ("arctan", sg.arctan, torch.arctan, [-2.0, 0.3, 1.5]),
    ("arccosh", sg.arccosh, torch.arccosh, [1.2, 2.0, 5.0]),
    ("arcsinh", sg.arcsinh, torch.arcsinh, [-2.0, 0.3, 1.5]),
    ("arctanh", sg.arctanh, torch.arctanh, [-0.6, 0.1, 0.8]),
    ("negative", sg.negative, torch.negative, [-2.0, 0.3, 1.5]),
    ("reciprocal", sg.reciprocal, torch.reciprocal, [-2.0, 0.3, 1.5]),
    ("square", sg.square, torch.square, [-2.0, 0.3, 1.5]),
    ("deg2rad", sg.deg2rad, torch.deg2rad, [-90.0, 30.0, 400.0]),
    ("rad2deg", sg.rad2deg, torch.rad2deg, [-2.0, 0.3, 1.5]),
]
BINARY: list[tuple[str, Callable[[Any, Any], Any], Callable[[Any, Any], Any]]] = [
    ("divide", sg.divide, torch.divide),
    ("true_divide", sg.true_divide, torch.true_divide),
    ("multiply", sg.multiply, torch.multiply),
    ("pow", sg.pow, torch.pow),
]
A, B = [0.5, 1.7, 2.3], [1.5, -0.4, 2.0]


def to_numpy(tensor: Any) -> np.ndarray:
    if isinstance(tensor, torch.Tensor):
        return np.array(tensor.detach().numpy(force=True))  # force: torch may give a ZeroTensor
    return np.array(tensor.detach().numpy())


def first_and_second(function: Callable[..., Any], make: Callable[..., Any], grad: Callable[..., Any],
                     *columns: list[float]) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Values, .backward() gradients, and the gradients of sum(first derivative) (second order)."""
    leaves = [make(column, dtype=torch.float64, requires_grad=True) if make is torch.tensor
              else make(column, requires_grad=True) for column in columns]
    out = function(*leaves)
    out.sum().backward()
    firsts = [to_numpy(leaf.grad) for leaf in leaves]
    out = function(*leaves)
    derivatives = grad(out.sum(), leaves, create_graph=True)
    total = sum(d.sum() for d in derivatives)
    if not total.requires_grad:  # a linear function: its derivative is constant (torch agrees)
        return to_numpy(out), firsts, [np.zeros(len(column)) for column in columns]
    seconds = grad(total, leaves, allow_unused=True)
    seconds_np = [np.zeros(len(columns[0])) if s is None else to_numpy(s) for s in seconds]
    return to_numpy(out), firsts, seconds_np


@pytest.mark.parametrize("name, ours, theirs, values", UNARY, ids=[row[0] for row in UNARY])
def test_unary_alias_matches_torch_in_values_and_two_derivatives(name: str, ours: Any, theirs: Any,
                                                                  values: list[float]) -> None:
    got = first_and_second(ours, sg.tensor, sg.autograd.grad, values)
    want = first_and_second(theirs, torch.tensor, torch.autograd.grad, values)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-13, atol=1e-13)
    for ours_part, theirs_part in zip(got[1] + got[2], want[1] + want[2]):
        np.testing.assert_allclose(ours_part, theirs_part, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, ours, theirs", BINARY, ids=[row[0] for row in BINARY])
def test_binary_alias_matches_torch_in_values_and_two_derivatives(name: str, ours: Any, theirs: Any) -> None:
    got = first_and_second(ours, sg.tensor, sg.autograd.grad, A, B)
    want = first_and_second(theirs, torch.tensor, torch.autograd.grad, A, B)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-13, atol=1e-13)
    for ours_part, theirs_part in zip(got[1] + got[2], want[1] + want[2]):
        np.testing.assert_allclose(ours_part, theirs_part, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, ours, theirs, values", UNARY, ids=[row[0] for row in UNARY])
def test_unary_alias_takes_numbers_and_exprs(name: str, ours: Any, theirs: Any, values: list[float]) -> None:
    x = values[1]
    expected = float(theirs(torch.tensor(x, dtype=torch.float64)))
    assert ours(x) == pytest.approx(expected, rel=1e-14, abs=1e-14)
    assert isinstance(ours(x), float)
    expr = ours(sg.parse("x"))
    assert isinstance(expr, sg.Expr)
    assert float(expr.eval(x=x)) == pytest.approx(expected, rel=1e-14, abs=1e-14)
    leaf = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    derivative = float(torch.autograd.grad(theirs(leaf), leaf)[0])
    assert float(sg.diff(expr, "x").eval(x=x)) == pytest.approx(derivative, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name, ours, theirs", BINARY, ids=[row[0] for row in BINARY])
def test_binary_alias_takes_numbers_arrays_and_exprs(name: str, ours: Any, theirs: Any) -> None:
    expected = theirs(torch.tensor(A, dtype=torch.float64), torch.tensor(B, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(ours(np.array(A), np.array(B)), expected, rtol=1e-14)
    assert ours(A[0], B[0]) == pytest.approx(float(expected[0]), rel=1e-14)
    expr = ours(sg.parse("a"), sg.parse("b"))
    assert float(expr.eval(a=A[1], b=B[1])) == pytest.approx(float(expected[1]), rel=1e-14)
    mixed = ours(A[2], sg.tensor(B[2]))  # a number and a tensor give a tensor
    assert isinstance(mixed, sg.Tensor) and float(mixed) == pytest.approx(float(expected[2]), rel=1e-14)


def test_single_op_aliases_record_torchs_backward_node() -> None:
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    for ours, theirs in [(sg.divide(x, 3.0), torch.divide(tx, 3.0)),
                         (sg.multiply(x, x), torch.multiply(tx, tx)),
                         (sg.negative(x), torch.negative(tx)), (sg.square(x), torch.square(tx)),
                         (sg.absolute(x), torch.absolute(tx)), (sg.arccos(x / 4), torch.arccos(tx / 4))]:
        assert ours.grad_fn.name() == theirs.grad_fn.name()


def test_division_of_numbers_by_zero_is_infinite_as_in_torch() -> None:
    assert sg.divide(1.0, 0.0) == float(torch.divide(torch.tensor(1.0), 0.0)) == float("inf")
    assert sg.reciprocal(0.0) == float("inf")


# -- factories -----------------------------------------------------------------------------------
def same(ours: sg.Tensor, theirs: Any) -> None:
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    assert ours.requires_grad == theirs.requires_grad


@pytest.mark.parametrize("requires_grad", [False, True])
def test_deterministic_factories_match_torch(requires_grad: bool) -> None:
    f64, rg = torch.float64, requires_grad
    same(sg.full((2, 3), 1.5, requires_grad=rg), torch.full((2, 3), 1.5, dtype=f64, requires_grad=rg))
    same(sg.eye(3, requires_grad=rg), torch.eye(3, dtype=f64, requires_grad=rg))
    same(sg.eye(2, 4, requires_grad=rg), torch.eye(2, 4, dtype=f64, requires_grad=rg))
    same(sg.eye(3, m=1), torch.eye(3, m=1, dtype=f64))
    assert sg.empty(2, 3, requires_grad=rg).shape == (2, 3)
    assert sg.empty((4,)).shape == tuple(torch.empty((4,)).shape)
    base = sg.tensor([[1.0, 2.0], [3.0, 4.0]])
    tbase = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=f64)
    same(sg.ones_like(base, requires_grad=rg), torch.ones_like(tbase, requires_grad=rg))
    same(sg.zeros_like(base, requires_grad=rg), torch.zeros_like(tbase, requires_grad=rg))
    same(sg.full_like(base, -2.5, requires_grad=rg), torch.full_like(tbase, -2.5, requires_grad=rg))
    same(sg.ones(2, 2, dtype=torch.float64, device="cpu"), torch.ones(2, 2, dtype=f64, device="cpu"))


@pytest.mark.parametrize("start, end, steps", [(-3.1, 2.7, 10), (0.0, 1.0, 5), (-8.0, 8.0, 161),
                                               (2.0, -1.0, 7), (1.0, 4.0, 1), (0.0, 1.0, 0),
                                               (-3.1, 2.7, 1000)])
def test_linspace_matches_torch(start: float, end: float, steps: int) -> None:
    ours = sg.linspace(start, end, steps)
    theirs = torch.linspace(start, end, steps, dtype=torch.float64)
    assert ours.shape == tuple(theirs.shape)
    # torch's vectorized kernel rounds some interior points differently; the ends are exact
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=0, atol=8e-16 * max(abs(start), abs(end)))
    if steps > 0:
        assert ours.numpy()[0] == theirs.numpy()[0] and ours.numpy()[-1] == theirs.numpy()[-1]


def test_linspace_records_requires_grad_and_counts_its_second_half_down_from_end() -> None:
    ours = sg.linspace(-8.0, 8.0, 161, requires_grad=True)
    assert ours.requires_grad and ours.is_leaf and ours.shape == (161,)
    values = ours.detach().numpy()
    step = 16.0 / 160
    assert values[159] == 8.0 - step and values[1] == -8.0 + step  # torch's formula at both ends


@pytest.mark.parametrize("factory, theirs, mean, variance", [
    (lambda **k: sg.rand(100_000, **k), lambda **k: torch.rand(100_000, **k), 0.5, 1 / 12),
    (lambda **k: sg.rand(size=(100_000,), **k), lambda **k: torch.rand(size=(100_000,), **k), 0.5, 1 / 12),
    (lambda **k: sg.randn(100_000, **k), lambda **k: torch.randn(100_000, **k), 0.0, 1.0),
    (lambda **k: sg.randn(size=(100_000,), **k), lambda **k: torch.randn(size=(100_000,), **k), 0.0, 1.0),
    (lambda **k: sg.normal(2.0, 3.0, size=(100_000,), **k),
     lambda **k: torch.normal(2.0, 3.0, size=(100_000,), **k), 2.0, 9.0),
    (lambda **k: sg.rand_like(sg.zeros(100_000), **k),
     lambda **k: torch.rand_like(torch.zeros(100_000, dtype=torch.float64), **k), 0.5, 1 / 12),
    (lambda **k: sg.randn_like(sg.zeros(100_000), **k),
     lambda **k: torch.randn_like(torch.zeros(100_000, dtype=torch.float64), **k), 0.0, 1.0),
])
def test_random_factories_have_torchs_shape_and_distribution(factory: Any, theirs: Any, mean: float,
                                                              variance: float) -> None:
    ours = factory(requires_grad=True)
    reference = theirs(dtype=torch.float64, requires_grad=True)
    assert ours.shape == tuple(reference.shape) and ours.requires_grad
    values = ours.numpy()
    tolerance = 5 * np.sqrt(variance / values.size)  # five standard errors of the mean
    assert abs(values.mean() - mean) < tolerance
    assert abs(values.mean() - float(reference.detach().mean())) < 2 * tolerance
    assert abs(values.var() - variance) < 0.05 * variance


def test_rand_lies_in_the_unit_interval_and_seeds_reproduce() -> None:
    values = sg.rand(2, 500).numpy()
    assert values.shape == (2, 500) and values.min() >= 0.0 and values.max() < 1.0
    np.testing.assert_array_equal(sg.rand(5, seed=3).numpy(), sg.rand(5, seed=3).numpy())
    np.testing.assert_array_equal(sg.randn(size=(5,), seed=3).numpy(), sg.randn(5, seed=3).numpy())


def test_normal_with_tensor_arguments_samples_elementwise() -> None:
    mean = sg.tensor([0.0, 100.0, -100.0])
    samples = sg.normal(mean, sg.tensor([0.0, 0.0, 0.0]))
    assert samples.shape == tuple(torch.normal(torch.zeros(3), torch.ones(3)).shape)
    np.testing.assert_array_equal(samples.numpy(), mean.numpy())  # std 0: exactly the mean


@pytest.mark.parametrize("make", [
    lambda **k: sg.ones(2, **k), lambda **k: sg.zeros(2, **k), lambda **k: sg.full((2,), 1.0, **k),
    lambda **k: sg.eye(2, **k), lambda **k: sg.linspace(0, 1, 3, **k), lambda **k: sg.rand(2, **k),
    lambda **k: sg.randn(2, **k), lambda **k: sg.empty(2, **k), lambda **k: sg.arange(3, **k),
    lambda **k: sg.normal(0.0, 1.0, size=(2,), **k), lambda **k: sg.ones_like(sg.ones(2), **k),
    lambda **k: sg.randn_like(sg.ones(2), **k), lambda **k: sg.full_like(sg.ones(2), 3.0, **k),
])
def test_factories_accept_cpu_float64_and_float32_and_refuse_the_rest_clearly(make: Any) -> None:
    for dtype in (None, torch.float64, np.float64, "float64", sg.float64, sg.double):
        for device in (None, "cpu", torch.device("cpu"), sg.device("cpu")):
            made = make(dtype=dtype, device=device)
            assert made.shape[0] >= 2 and made.dtype == sg.float64
    for float32 in (torch.float32, np.float32, "float32", sg.float32, sg.float):
        made = make(dtype=float32)
        assert made.dtype == sg.float32 and made.numpy().dtype == np.float32
    for unsupported in (torch.float16, np.complex128, "int8"):
        with pytest.raises(sg.ArgumentError, match="is not supported"):
            make(dtype=unsupported)
    for device in ("cuda", torch.device("meta"), "mps"):
        with pytest.raises(sg.ArgumentError, match="CPU only"):
            make(device=device)


def test_factories_respect_the_element_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sg.limits, "MAX_ELEMENTS", 100)
    for make in (lambda: sg.full((11, 11), 1.0), lambda: sg.eye(11), lambda: sg.linspace(0, 1, 101),
                 lambda: sg.rand(101), lambda: sg.randn(size=(101,)), lambda: sg.empty(101),
                 lambda: sg.normal(0.0, 1.0, size=(101,))):
        with pytest.raises(sg.LimitError):
            make()


def test_factory_arguments_that_make_no_sense_are_argument_errors() -> None:
    with pytest.raises(sg.ArgumentError):
        sg.randn(2, size=(2,))
    with pytest.raises(sg.ArgumentError):
        sg.normal(0.0, 1.0)  # two numbers need a size
    with pytest.raises(sg.ArgumentError):
        sg.normal(0.0, -1.0, size=(2,))
    with pytest.raises(sg.ArgumentError):
        sg.linspace(0.0, "one", 3)  # type: ignore[arg-type]
    with pytest.raises(sg.ArgumentError):
        sg.ones_like([1.0, 2.0])  # type: ignore[arg-type]


# -- Tensor methods and sg.tensor of tensors -----------------------------------------------------
def test_double_mm_and_mv_match_torch() -> None:
    a = [[1.0, 2.0], [3.0, -1.0]]
    x, tx = sg.tensor(a, requires_grad=True), torch.tensor(a, dtype=torch.float64, requires_grad=True)
    v, tv = sg.tensor([0.5, 2.0]), torch.tensor([0.5, 2.0], dtype=torch.float64)
    assert x.double() is x and tx.double() is tx
    same(x.mm(x).detach(), tx.mm(tx).detach())
    same(x.mv(v).detach(), tx.mv(tv).detach())
    x.mm(x).sum().backward()
    tx.mm(tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    with pytest.raises(sg.ShapeError):
        x.mm(v)
    with pytest.raises(sg.ShapeError):
        x.mv(x)


def test_tensor_of_zero_dimensional_tensors_is_a_vector_as_in_torch() -> None:
    ours = sg.tensor([sg.tensor(1.0), sg.tensor(2.5)])
    theirs = torch.tensor([torch.tensor(1.0), torch.tensor(2.5)], dtype=torch.float64)
    same(ours, theirs)


def test_the_derivative_of_x_to_the_zero_is_zero_at_zero_as_in_torch():
    torch = pytest.importorskip("torch")
    x = sg.tensor(0.0, requires_grad=True)
    (x ** 0.0).backward()
    expected = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (expected ** 0.0).backward()
    assert x.grad.item() == expected.grad.item() == 0.0
