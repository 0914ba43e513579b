"""Tensor factories: ones, zeros, arange, randn, tensor."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as sg
from strategies import close, values


class TestFactories:
    @pytest.mark.parametrize("factory, args, expected", [
        ("ones", (3,), [1, 1, 1]), ("zeros", (2,), [0, 0]), ("arange", (3,), [0, 1, 2]),
    ])
    def test_factories(self, factory, args, expected):
        t = getattr(sg, factory)(*args, requires_grad=True)
        assert t.requires_grad is True
        assert t.numpy().dtype == np.float64
        assert close(values(t), expected)
        f = getattr(sg, factory)(*args)
        assert f.requires_grad is False

    def test_randn_and_tensor_factory(self):
        r = sg.randn(4, requires_grad=True)
        assert r.requires_grad and tuple(r.numpy().shape) == (4,)
        assert r.numpy().dtype == np.float64
        t = sg.tensor([1, 2, 3], requires_grad=True)   # ints become float64
        assert t.numpy().dtype == np.float64
