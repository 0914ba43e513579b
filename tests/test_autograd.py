"""sg.autograd.grad: gradients as values, create_graph for higher orders."""

from __future__ import annotations

import math

import numpy as np

import pytest

import symgrad as sg
from optional import need
from strategies import close


def test_create_graph_keeps_the_unselected_where_branch_out():
    a = sg.tensor(0.0, requires_grad=True)
    sg.where(a > 0, sg.sqrt(a), 0.0).backward(create_graph=True)
    assert a.grad.item() == 0.0
    b = sg.tensor(4.0, requires_grad=True)
    (first,) = sg.autograd.grad(sg.where(b > 0, sg.sqrt(b), 0.0), [b], create_graph=True)
    first.backward()
    assert b.grad.item() == pytest.approx(-0.25 * 4.0**-1.5)  # d2/db2 sqrt(b)


class TestAutogradGrad:
    def test_autograd_grad_create_graph_second_order(self):
        z = sg.tensor(2.0, requires_grad=True)
        f = z**3
        (g,) = sg.autograd.grad(f, [z], grad_outputs=None, create_graph=True)
        assert close(g.item(), 12.0)
        (g2,) = sg.autograd.grad(g, [z])
        assert close(g2.item(), 12.0)          # 6z at z = 2
        assert z.grad is None                   # autograd.grad does not accumulate

    def test_autograd_grad_create_graph_then_backward(self):
        z = sg.tensor(0.5, requires_grad=True)
        (g,) = sg.autograd.grad(sg.sin(z) * z, [z], create_graph=True)
        g.backward()
        assert close(z.grad.item(), 2 * math.cos(0.5) - 0.5 * math.sin(0.5))


class TestAutogradErrors:
    def test_autograd_grad_unused_input_is_error(self):
        a, b = sg.tensor(2.0, requires_grad=True), sg.tensor(3.0, requires_grad=True)
        with pytest.raises(sg.SymgradError):
            sg.autograd.grad(a * a, [a, b])


def test_a_rule_without_a_contribution_gives_zeros_as_pytorch_sign_does() -> None:
    torch = need("torch")
    for name in ("sign", "heaviside"):
        x = sg.tensor([1.0, -2.0, 0.5], requires_grad=True)
        out = sg.sign(x) if name == "sign" else sg.heaviside(x, 0.5)
        (out * 3).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))
    t = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    (torch.sign(t) * 3).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.zeros(3))
