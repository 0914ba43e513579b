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
