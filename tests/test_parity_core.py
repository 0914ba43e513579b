"""PyTorch parity of the tensor core (API.md section 5): arange's numbers, power at zero,
dtypes, new table operations, graph hooks and in-place updates, each checked against torch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import symgrad as sg

torch = pytest.importorskip("torch")


def to_numpy(tensor: Any) -> np.ndarray:
    if isinstance(tensor, torch.Tensor):
        return np.array(tensor.detach().numpy(force=True))
    return np.array(tensor.detach().numpy())


# -- arange --------------------------------------------------------------------------------------
ARANGES = [(-8.0, 8.0, 0.1), (1.0, 0.0, -0.3), (-3.3, 100.1, 0.013), (0.5, 30.0, 0.37),
           (0.0, 1.0, 0.1), (0.0, 10.0, 3.0), (2.0, 2.5, 0.7), (-1e3, 1e3, 0.77)]


@pytest.mark.parametrize("start, end, step", ARANGES)
def test_arange_has_torchs_length_and_float64_values(start: float, end: float, step: float) -> None:
    ours = sg.arange(start, end, step).numpy()
    theirs = torch.arange(start, end, step, dtype=torch.float64).numpy()
    assert ours.shape == theirs.shape
    if torch.backends.cpu.get_cpu_capability() == "AVX2":  # the kernel symgrad reproduces
        np.testing.assert_array_equal(ours, theirs)
    else:  # another vector width rounds a few elements differently in the last bit
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=4e-16 * max(abs(start), abs(end)))


def test_arange_of_random_bounds_matches_torch_bit_for_bit() -> None:
    if torch.backends.cpu.get_cpu_capability() != "AVX2":
        pytest.skip("torch's CPU kernel here is not the AVX2 one symgrad's rounding follows")
    rng = np.random.default_rng(7)
    for _ in range(200):
        start = float(rng.uniform(-50, 50))
        step = float(rng.choice([-1.0, 1.0]) * rng.uniform(1e-3, 3.0))
        end = start + step * float(rng.integers(1, 3000)) * float(rng.uniform(0.5, 1.0))
        np.testing.assert_array_equal(sg.arange(start, end, step).numpy(),
                                      torch.arange(start, end, step, dtype=torch.float64).numpy())


def test_relu_derivative_at_arange_zero_is_torchs() -> None:
    x = sg.arange(-8.0, 8.0, 0.1, requires_grad=True)
    tx = torch.arange(-8.0, 8.0, 0.1, dtype=torch.float64, requires_grad=True)
    sg.relu(x).sum().backward()
    torch.relu(tx).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_arange_refuses_what_torch_refuses() -> None:
    with pytest.raises(sg.ArgumentError, match="step must be nonzero"):
        sg.arange(0.0, 1.0, 0.0)
    with pytest.raises(sg.ArgumentError, match="inconsistent with step sign"):
        sg.arange(0.0, 1.0, -0.1)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        torch.arange(0.0, 1.0, -0.1)


# -- power at zero ---------------------------------------------------------------------------------
@pytest.mark.parametrize("base, exponent", [(0.0, 2.0), (0.0, 0.0), (0.0, -1.0), (0.0, 0.5),
                                            (2.0, 0.0), (1.5, 2.5), (-1.0, 2.0)])
def test_tensor_power_gradients_at_zero_are_torchs(base: float, exponent: float) -> None:
    x, y = sg.tensor(base, requires_grad=True), sg.tensor(exponent, requires_grad=True)
    tx = torch.tensor(base, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(exponent, dtype=torch.float64, requires_grad=True)
    (x ** y).backward()
    (tx ** ty).backward()
    np.testing.assert_array_equal([x.grad.item(), y.grad.item()], [tx.grad.item(), ty.grad.item()])


def test_derivative_of_zero_to_the_y_is_zero_as_in_torch() -> None:
    y = sg.tensor([2.0, 0.5, 0.0], requires_grad=True)
    ty = torch.tensor([2.0, 0.5, 0.0], dtype=torch.float64, requires_grad=True)
    (0.0 ** y).sum().backward()
    (0.0 ** ty).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), ty.grad.numpy())


# -- remainder and fmod, stack, cat, meshgrid ---------------------------------------------------
def first_and_second(function: Any, make: Any, grad: Any, *columns: list[float],
                     dtype: Any = None) -> list[np.ndarray]:
    """Values, first derivatives of sum(f), and derivatives of sum(first derivatives)."""
    leaves = [make(column, dtype=dtype, requires_grad=True) for column in columns]
    out = function(*leaves)
    firsts = grad(out.sum(), leaves, create_graph=True)
    total = sum(first.sum() for first in firsts)
    kind = to_numpy(out).dtype
    if not total.requires_grad:
        seconds = [np.zeros(len(column), dtype=kind) for column in columns]
    else:
        seconds = [np.zeros(len(columns[0]), dtype=kind) if s is None else to_numpy(s)
                   for s in grad(total, leaves, allow_unused=True)]
    return [to_numpy(out), *(to_numpy(first) for first in firsts), *seconds]


DIVIDENDS, DIVISORS = [5.3, -5.3, 2.5, -0.7, 7.0], [2.0, 2.0, -1.5, 0.3, -2.5]


@pytest.mark.parametrize("name", ["remainder", "fmod"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_remainder_and_fmod_match_torch_with_two_derivatives(name: str, dtype: str) -> None:
    ours = first_and_second(getattr(sg, name), sg.tensor, sg.autograd.grad, DIVIDENDS, DIVISORS,
                            dtype=getattr(sg, dtype))
    theirs = first_and_second(getattr(torch, name), torch.tensor, torch.autograd.grad, DIVIDENDS,
                              DIVISORS, dtype=getattr(torch, dtype))
    tolerance = 1e-12 if dtype == "float64" else 1e-5
    for got, want in zip(ours, theirs):
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)


def test_remainder_operator_and_backward_names_follow_torch() -> None:
    x = sg.tensor([5.3, -5.3], requires_grad=True)
    tx = torch.tensor([5.3, -5.3], dtype=torch.float64, requires_grad=True)
    np.testing.assert_array_equal((x % 2.0).detach().numpy(), (tx % 2.0).detach().numpy())
    np.testing.assert_array_equal((7.0 % x).detach().numpy(), (7.0 % tx).detach().numpy())
    assert (x % 2.0).grad_fn.name() == (tx % 2.0).grad_fn.name() == "RemainderBackward0"
    assert sg.fmod(x, x).grad_fn.name() == torch.fmod(tx, tx).grad_fn.name() == "FmodBackward1"
    assert x.fmod(2.0).grad_fn.name() == tx.fmod(2.0).grad_fn.name()


def test_remainder_is_symbolic_too() -> None:
    a, b = sg.symbols("a b")
    assert str(sg.diff(sg.remainder(a, b), "a").eval(a=5.3, b=2.0)) == "1.0"
    assert float(sg.diff(sg.remainder(a, b), "b").eval(a=5.3, b=2.0)) == pytest.approx(-2.0)
    assert float(sg.diff(sg.fmod(a, b), "b").eval(a=-5.3, b=2.0)) == pytest.approx(2.0)
    assert sg.parse("remainder(a, b)") is sg.remainder(a, b)
    assert sg.remainder(-5.3, 2.0) == pytest.approx(float(torch.remainder(torch.tensor(-5.3), 2.0)))


def _weights(shape: tuple[int, ...]) -> np.ndarray:
    return np.arange(1.0, 1.0 + int(np.prod(shape))).reshape(shape) ** 1.5


@pytest.mark.parametrize("join, dims", [("stack", [0, 1, 2, -1]), ("cat", [0, 1, -1])])
def test_stack_and_cat_match_torch_in_values_and_gradients(join: str, dims: list[int]) -> None:
    data = [[1.0, 2.0, 0.5], [3.0, 4.0, -1.0]]
    for dim in dims:
        m = sg.tensor(data, requires_grad=True)
        tm = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        ours = getattr(sg, join)([m, m ** 2, sg.sin(m)], dim=dim)
        theirs = getattr(torch, join)([tm, tm ** 2, torch.sin(tm)], dim=dim)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
        assert ours.grad_fn.name() == theirs.grad_fn.name()
        weights = _weights(ours.shape)
        (g,) = sg.autograd.grad((ours * sg.tensor(weights)).sum(), [m], create_graph=True)
        (tg,) = torch.autograd.grad((theirs * torch.tensor(weights)).sum(), [tm], create_graph=True)
        np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-14)
        (h,) = sg.autograd.grad(g.sum(), [m])
        (th,) = torch.autograd.grad(tg.sum(), [tm])
        np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-13)


def test_joins_refuse_what_torch_refuses_with_its_messages() -> None:
    a, b = sg.ones(2), sg.ones(3)
    with pytest.raises(sg.ShapeError, match="stack expects each tensor to be equal size"):
        sg.stack([a, b])
    with pytest.raises(sg.ShapeError, match="same number of dimensions: got 1 and 2"):
        sg.cat([a, sg.ones(3, 1)])
    with pytest.raises(sg.ShapeError, match="Sizes of tensors must match except in dimension 1"):
        sg.cat([sg.ones(2, 2), sg.ones(3, 2)], dim=1)
    with pytest.raises(sg.ArgumentError, match="Dimension out of range"):
        sg.stack([a, a], dim=3)
    with pytest.raises(sg.ArgumentError, match="expected Tensor as element 1"):
        sg.stack([a, [1.0, 2.0]])  # type: ignore[list-item]


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_matches_torch_with_gradients(indexing: str) -> None:
    x, y = sg.tensor([1.0, 2.0, 3.0], requires_grad=True), sg.tensor([4.0, 5.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    ty = torch.tensor([4.0, 5.0], dtype=torch.float64, requires_grad=True)
    X, Y = sg.meshgrid(x, y, indexing=indexing)
    TX, TY = torch.meshgrid(tx, ty, indexing=indexing)
    np.testing.assert_array_equal(X.detach().numpy(), TX.detach().numpy())
    np.testing.assert_array_equal(Y.detach().numpy(), TY.detach().numpy())
    (X * Y ** 2 * sg.tensor(_weights(X.shape))).sum().backward()
    (TX * TY ** 2 * torch.tensor(_weights(tuple(TX.shape)))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-14)


def test_meshgrid_without_indexing_warns_as_torch_and_uses_ij() -> None:
    x, y = sg.tensor([1.0, 2.0, 3.0]), sg.tensor([4.0, 5.0])
    with pytest.warns(UserWarning, match="required to pass the indexing argument"):
        X, _ = sg.meshgrid(x, y)
    with pytest.warns(UserWarning, match="required to pass the indexing argument"):
        TX, _ = torch.meshgrid(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, 5.0]))
    assert X.shape == tuple(TX.shape) == (3, 2)
    grids = sg.meshgrid([x, y, sg.tensor([7.0])], indexing="xy")  # three: computed, not recorded
    assert [g.shape for g in grids] == [tuple(t.shape) for t in torch.meshgrid(
        torch.zeros(3), torch.zeros(2), torch.zeros(1), indexing="xy")]
    with pytest.raises(sg.ArgumentError, match='indexing must be one of "xy" or "ij"'):
        sg.meshgrid(x, y, indexing="zz")


def test_tensor_of_one_element_tensors_is_a_vector_as_in_torch() -> None:
    ours = sg.tensor([sg.tensor([1.0]), sg.tensor(2.5)])
    theirs = torch.tensor([torch.tensor([1.0]), torch.tensor(2.5)])
    assert ours.shape == tuple(theirs.shape) == (2,)
    assert sg.tensor([[sg.tensor([1.0]), 3.0]]).shape == (1, 2)
    with pytest.raises(sg.ArgumentError, match="only one element tensors"):
        sg.tensor([sg.ones(2), sg.ones(2)])


# -- every elementwise function, float64 and float32, two derivatives ---------------------------
from symgrad.core.opspec import OPS  # noqa: E402

_TORCH_SPELLING = {"min": "minimum", "max": "maximum"}
_NOT_IN_TORCH = {"cbrt", "sec", "csc", "cot", "sech", "csch", "coth", "asec", "acsc", "acot",
                 "asech", "acsch", "acoth", "clamp", "where",
                 "sign",  # torch records a zero gradient; symgrad's sign has none (below)
                 "heaviside"}  # torch does not differentiate it (tests/test_heaviside.py)
ELEMENTWISE = sorted(spec.name for spec in OPS.values()
                     if spec.public and spec.elementwise and spec.name not in _NOT_IN_TORCH)
ALIASES = ["absolute", "arccos", "arcsin", "arctan", "arccosh", "arcsinh", "arctanh", "negative",
           "reciprocal", "square", "deg2rad", "rad2deg", "divide", "true_divide", "multiply", "pow"]


def _torch_function(name: str) -> Any:
    if name == "softplus":
        return torch.nn.functional.softplus
    return getattr(torch, _TORCH_SPELLING.get(name, name))


def _columns(name: str) -> list[list[float]]:
    spec = OPS.get(name)
    if spec is None:  # an alias: the domain of what it stands for
        spec = OPS.get({"absolute": "abs", "negative": "sin", "square": "sin", "deg2rad": "sin",
                        "rad2deg": "sin", "divide": "atan2", "true_divide": "atan2",
                        "multiply": "atan2", "pow": "atan2", "reciprocal": "log"}.get(
            name, name.replace("arc", "a")))
    assert spec is not None, name
    rng = np.random.default_rng(sum(map(ord, name)))
    arity = spec.arity if spec.arity >= 0 else 2
    if name in ("divide", "true_divide", "multiply", "pow"):
        arity = 2
    return [list(rng.uniform(*spec.domain[min(k, len(spec.domain) - 1)], size=3)) for k in range(arity)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ELEMENTWISE + ALIASES)
def test_each_function_matches_torch_in_both_dtypes_with_two_derivatives(name: str, dtype: str) -> None:
    columns = _columns(name)
    ours = first_and_second(getattr(sg, name), sg.tensor, sg.autograd.grad, *columns,
                            dtype=getattr(sg, dtype))
    theirs = first_and_second(_torch_function(name), torch.tensor, torch.autograd.grad, *columns,
                              dtype=getattr(torch, dtype))
    tolerance = 1e-11 if dtype == "float64" else 2e-5
    for got, want in zip(ours, theirs):
        assert got.dtype == want.dtype, f"{name}: {got.dtype} != {want.dtype}"
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance, err_msg=name)


def test_sign_gives_zero_gradients_as_torch_records() -> None:
    x = sg.tensor([-1.5, 0.0, 2.0], requires_grad=True)
    tx = torch.tensor([-1.5, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    np.testing.assert_array_equal(sg.sign(x).detach().numpy(), torch.sign(tx).detach().numpy())
    (ours,) = sg.autograd.grad(sg.sign(x).sum(), [x])
    (theirs,) = torch.autograd.grad(torch.sign(tx).sum(), [tx])
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert not theirs.any()


# -- dtypes and devices --------------------------------------------------------------------------
def _pair(values: Any, dtype: str, shaped: bool = True) -> tuple[Any, Any]:
    data = values if shaped else values[0]
    return sg.tensor(data, dtype=getattr(sg, dtype)), torch.tensor(data, dtype=getattr(torch, dtype))


DTYPES = ["float32", "float64", "int64", "bool"]


@pytest.mark.parametrize("left", DTYPES)
@pytest.mark.parametrize("right", DTYPES)
@pytest.mark.parametrize("shapes", [(True, True), (True, False), (False, True), (False, False)])
def test_type_promotion_of_tensors_follows_torch(left: str, right: str, shapes: tuple[bool, bool]) -> None:
    a, ta = _pair([1, 0, 3], left, shapes[0])
    b, tb = _pair([2, 1, 1], right, shapes[1])
    for ours, theirs in [(a + b, ta + tb), (a * b, ta * tb)]:
        assert ours.dtype == getattr(sg, str(theirs.dtype).split(".")[1])
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    if "bool" not in (left, right):
        quotient, theirs = a / b, ta / tb
        expected = "float64" if theirs.dtype == torch.float32 and "float32" not in (left, right) else str(theirs.dtype).split(".")[1]
        assert quotient.dtype == getattr(sg, expected)  # int / int: symgrad's default float, float64


@pytest.mark.parametrize("dtype", DTYPES)
def test_python_numbers_are_weak_as_in_torch(dtype: str) -> None:
    a, ta = _pair([1, 0, 3], dtype)
    for number in (2, 2.5):
        if dtype == "bool" and isinstance(number, float):
            continue
        ours, theirs = a * number, ta * number
        want = str(theirs.dtype).split(".")[1]
        if want == "float32" and dtype != "float32":
            want = "float64"  # a float from ints: symgrad's default float
        assert ours.dtype == getattr(sg, want), (dtype, number)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_float32_tensors_compute_in_float32_with_float32_gradients() -> None:
    values = [0.3, 1.7, -2.2]
    x = sg.tensor(values, dtype=sg.float32, requires_grad=True)
    tx = torch.tensor(values, dtype=torch.float32, requires_grad=True)
    y = (sg.exp(x / 3.0) * sg.sin(x) + x ** 2).sum()
    ty = (torch.exp(tx / 3.0) * torch.sin(tx) + tx ** 2).sum()
    assert y.dtype == sg.float32 and y.item() == pytest.approx(ty.item(), rel=1e-6)
    y.backward()
    ty.backward()
    assert x.grad.dtype == sg.float32 and x.grad.numpy().dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


def test_conversions_follow_torch() -> None:
    x = sg.tensor([1.7, -2.2, 0.0], requires_grad=True)
    tx = torch.tensor([1.7, -2.2, 0.0], dtype=torch.float64, requires_grad=True)
    assert x.double() is x and x.to(sg.float64) is x and x.to("cpu") is x and x.cpu() is x
    assert tx.double() is tx and tx.to(torch.float64) is tx
    for ours, theirs in [(x.float(), tx.float()), (x.long(), tx.long()), (x.bool(), tx.bool()),
                         (x.to(sg.float32), tx.to(torch.float32)),
                         (x.to("cpu", sg.float32), tx.to("cpu", torch.float32)),
                         (x.to(device="cpu", dtype=sg.int64), tx.to(device="cpu", dtype=torch.int64)),
                         (x.to(sg.ones(1, dtype=sg.float32)), tx.to(torch.ones(1)))]:
        assert ours.dtype == getattr(sg, str(theirs.dtype).split(".")[1])
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
        assert ours.requires_grad == theirs.requires_grad
    f = x.float()
    assert f.grad_fn.name() == tx.float().grad_fn.name() == "ToCopyBackward0"
    (f * f).sum().backward()
    (tx.float() * tx.float()).sum().backward()
    assert x.grad.dtype == sg.float64
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
    assert x.type() == tx.type() == "torch.DoubleTensor"


def test_dtype_objects_print_and_compare_as_torchs() -> None:
    assert repr(sg.float32) == "sg.float32" and sg.float is sg.float32 and sg.double is sg.float64
    assert sg.long is sg.int64 and repr(sg.bool) == "sg.bool"
    assert sg.float64 == np.float64 and sg.float32 != sg.float64 and sg.float32 == "float32"
    assert sg.tensor(1.0).dtype == sg.float64  # Python numbers: float64, symgrad's default
    assert sg.tensor(np.float32(1.0)).dtype == sg.float32
    assert repr(sg.tensor([1.0, 2.0], dtype=sg.float32)) == "tensor([1., 2.], dtype=sg.float32)"
    assert repr(sg.tensor([1, 2], dtype=sg.int64)) == repr(torch.tensor([1, 2]))
    assert repr(sg.tensor([1, 0], dtype=sg.bool)) == repr(torch.tensor([True, False]))
    assert sg.ones(2).device == "cpu" and repr(sg.ones(2).device) == repr(torch.ones(2).device)
    assert sg.ones(2, dtype=sg.float32).is_floating_point() and not sg.ones(2, dtype=sg.long).is_floating_point()


def test_like_factories_keep_the_dtype_as_torch() -> None:
    base, tbase = sg.ones(2, dtype=sg.float32), torch.ones(2, dtype=torch.float32)
    for name in ("ones_like", "zeros_like", "rand_like", "randn_like"):
        assert getattr(sg, name)(base).dtype == sg.float32
        assert getattr(torch, name)(tbase).dtype == torch.float32
    assert sg.full_like(base, 2.0).dtype == sg.float32
    assert sg.zeros_like(base, dtype=sg.float64).dtype == sg.float64
    assert sg.arange(3, dtype=sg.int64).tolist() == torch.arange(3).tolist()


def test_devices_and_dtypes_that_do_not_exist_here_are_clear_errors() -> None:
    with pytest.raises(sg.ArgumentError, match="CPU only"):
        sg.tensor([1.0], device="cuda")
    with pytest.raises(sg.ArgumentError, match="CPU only"):
        sg.ones(2).to("cuda")
    with pytest.raises(sg.ArgumentError, match="CPU only"):
        sg.ones(2).cuda()
    with pytest.raises(sg.AutogradError, match="Only Tensors of floating point"):
        sg.tensor([1, 2], dtype=sg.int64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(sg.ArgumentError, match="floating point dtype"):
        sg.randn(2, dtype=sg.int64)


# -- retain_grad, register_hook, next_functions -------------------------------------------------
def _hooked(lib: Any) -> dict[str, Any]:
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = x * 3
    y.retain_grad()
    seen: list[Any] = []
    handle = y.register_hook(lambda g: (seen.append(g.detach().clone()), g * 10)[1])
    x.register_hook(lambda g: g + 1)
    (y ** 2).sum().backward()
    result = {"x": to_numpy(x.grad), "y": to_numpy(y.grad), "seen": to_numpy(seen[0]),
              "retains": y.retains_grad}
    handle.remove()
    x.grad = None
    ((x * 3) ** 2).sum().backward()  # the leaf's hook stays, the removed one is gone
    result["again"] = to_numpy(x.grad)
    (first,) = lib.autograd.grad((x ** 3).sum(), [x], create_graph=True)  # hooks in grad() too
    result["grad"] = to_numpy(first)
    return result


def test_hooks_and_retain_grad_match_torch() -> None:
    ours, theirs = _hooked(sg), _hooked(torch)
    assert ours.keys() == theirs.keys()
    for key in ours:
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)


def test_hooks_refuse_what_torch_refuses() -> None:
    with pytest.raises(sg.AutogradError, match="doesn't require gradient"):
        sg.ones(2).register_hook(lambda g: g)
    with pytest.raises(sg.AutogradError, match="requires_grad=False"):
        sg.ones(2).retain_grad()
    x = sg.ones(2, requires_grad=True)
    x.register_hook(lambda g: sg.ones(3))
    with pytest.raises(sg.ShapeError, match="changed the size"):
        (x * 2).sum().backward()


def _graph(lib: Any) -> list[tuple[str, list[Any]]]:
    w, c = lib.tensor(2.0, requires_grad=True), lib.tensor(1.0)
    rows = []
    for made in [w * 2, 2 * w, 2 + w, w + 2, 2 - w, w - 2, w / 2, w ** 2, 2 ** w, w ** w,
                 lib.where(c > 0, w, w * 2), w.clamp(0, 1), w * c, c * w, w * 3 + w, lib.sin(w),
                 -w, lib.stack([w, w * 2]).sum()]:
        entries = []
        for node, number in made.grad_fn.next_functions:
            entries.append((None if node is None else node.name(), number,
                            getattr(node, "variable", None) is w))
        rows.append((made.grad_fn.name(), entries))
    return rows


def test_next_functions_list_torchs_nodes_in_torchs_order() -> None:
    assert _graph(sg) == _graph(torch)


def test_walking_the_graph_reaches_every_leaf_as_torch() -> None:
    def leaves(root: Any) -> list[float]:
        found, stack = [], [root.grad_fn]
        while stack:
            node = stack.pop()
            if node is None:
                continue
            if hasattr(node, "variable"):
                found.append(float(node.variable.detach()))
            stack.extend(next_node for next_node, _ in node.next_functions)
        return sorted(found)

    def build(lib: Any) -> Any:
        a, b = lib.tensor(2.0, requires_grad=True), lib.tensor(-3.0, requires_grad=True)
        return (a * b + b ** 3) * (a + 1.0)

    assert leaves(build(sg)) == leaves(build(torch)) == [-3.0, -3.0, 2.0, 2.0]


# -- in-place operations and the version counter ------------------------------------------------
def _outcome(lib: Any, body: Any) -> Any:
    """What `body(lib)` gives: its numbers, or the first line of the error it raises."""
    try:
        result = body(lib)
    except Exception as error:  # noqa: BLE001  (comparing symgrad's errors with torch's)
        assert isinstance(error, RuntimeError), f"{type(error).__name__}: {error}"
        return str(error).split(" Hint:")[0]
    return [to_numpy(item) if hasattr(item, "detach") else item for item in result]


def _leaf(lib: Any, values: list[float] = [1.0, 2.0, 3.0]) -> Any:  # noqa: B006
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


def _saved_result_changed(lib: Any) -> Any:
    a = _leaf(lib)
    b = lib.exp(a)
    b.add_(1)
    b.sum().backward()
    return [a.grad]


def _saved_input_changed(lib: Any) -> Any:
    a = _leaf(lib)
    b = a * 2
    c = b * b
    b.add_(1)
    c.sum().backward()
    return [a.grad]


def _chain_of_in_place(lib: Any) -> Any:
    a = _leaf(lib)
    b = a.sin()
    b.add_(1)
    b.mul_(3)
    b.div_(2.0)
    b.sub_(a, alpha=0.5)
    (b * b).sum().backward()
    return [a.grad, b._version, b.grad_fn.name()]


def _earlier_use_sees_the_old_node(lib: Any) -> Any:
    a = _leaf(lib)
    b = a * 2
    y = b + a  # add saves nothing: b may change afterwards
    b.mul_(5)
    y.sum().backward()
    return [a.grad, b.grad_fn.name(), b._version]


def _leaf_changed_under_no_grad(lib: Any) -> Any:
    w = _leaf(lib, [1.0, 2.0])
    loss = (w * w).sum()
    with lib.no_grad():
        w -= 0.1
    loss.backward()
    return [w.grad]


def _augmented_assignment_records(lib: Any) -> Any:
    x = _leaf(lib, [1.0, 2.0])
    y = x * 1.0
    y += x
    y *= x
    y.sum().backward()
    return [x.grad, y.grad_fn.name(), y._version]


def _into_a_constant(lib: Any) -> Any:
    x = lib.zeros(2, dtype=lib.float64)
    w = _leaf(lib, [1.0, 2.0])
    x += w * 3
    x.sum().backward()
    return [w.grad, x.grad_fn.name(), x.requires_grad, x.is_leaf]


def _clamp_and_unary_in_place(lib: Any) -> Any:
    a = _leaf(lib)
    b = a.clone()
    b.clamp_(1.5, 2.5)
    c = (a * 1.0).tanh_()
    (b + c).sum().backward()
    return [a.grad, b.grad_fn.name(), c.grad_fn.name()]


def _copy_into(lib: Any) -> Any:
    a = _leaf(lib)
    b = lib.zeros(3, dtype=lib.float64)
    b.copy_(a * 2)
    b.sum().backward()
    return [a.grad, b.grad_fn.name()]


def _leaf_in_place(lib: Any) -> Any:
    _leaf(lib).add_(1)
    return []


def _leaf_zeroed(lib: Any) -> Any:
    _leaf(lib).zero_()
    return []


def _leaf_filled(lib: Any) -> Any:
    _leaf(lib).fill_(2.0)
    return []


def _gradient_descent_loop(lib: Any) -> Any:
    w = _leaf(lib, [0.5, -1.0])
    for _ in range(5):
        loss = ((w * lib.tensor([1.0, 2.0], dtype=lib.float64) - 1.0) ** 2).sum()
        loss.backward()
        with lib.no_grad():
            w -= 0.1 * w.grad
            w.grad.zero_()
    return [w, w._version]


@pytest.mark.parametrize("body", [
    _saved_result_changed, _saved_input_changed, _chain_of_in_place, _earlier_use_sees_the_old_node,
    _leaf_changed_under_no_grad, _augmented_assignment_records, _into_a_constant,
    _clamp_and_unary_in_place, _copy_into, _leaf_in_place, _leaf_zeroed, _leaf_filled,
    _gradient_descent_loop,
], ids=lambda body: body.__name__.strip("_"))
def test_in_place_operations_match_torch(body: Any) -> None:
    ours, theirs = _outcome(sg, body), _outcome(torch, body)
    if isinstance(theirs, str):
        assert ours == theirs
    else:
        assert len(ours) == len(theirs)
        for got, want in zip(ours, theirs):
            if isinstance(want, np.ndarray):
                np.testing.assert_allclose(got, want, rtol=1e-14)
            else:
                assert got == want


def test_version_error_is_a_symgrad_error_and_a_runtime_error() -> None:
    with pytest.raises(sg.InPlaceError) as info:
        _saved_result_changed(sg)
    assert isinstance(info.value, sg.SymgradError) and isinstance(info.value, RuntimeError)
    assert "is at version 1; expected version 0 instead" in str(info.value)


def test_in_place_result_must_fit_the_tensor_as_in_torch() -> None:
    x = sg.ones(2, dtype=sg.long)
    with pytest.raises(sg.ArgumentError, match="can't be cast to the desired output type Long"):
        x += 1.5
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        t = torch.ones(2, dtype=torch.long)
        t += 1.5
    with pytest.raises(sg.ShapeError):
        sg.ones(2).add_(sg.ones(2, 2))
