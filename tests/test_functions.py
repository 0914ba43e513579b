"""The public functions (sg.sin, sg.dot, ...) take expressions, tensors and numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import symgrad as sg
from strategies import close


class TestMixedArguments:
    @pytest.mark.parametrize("name, args, oracle", [
        ("sin", (0.7,), math.sin(0.7)), ("exp", (0.7,), math.exp(0.7)),
        ("sigmoid", (0.7,), 1 / (1 + math.exp(-0.7))), ("clamp", (5.0, 0, 1), 1.0),
    ])
    def test_functions_accept_expr_tensor_number(self, name, args, oracle):
        fn = getattr(sg, name)
        assert close(fn(*args), oracle)
        t = fn(sg.tensor(args[0]), *args[1:])
        assert isinstance(t, sg.Tensor) and close(t.item(), oracle)
        ex = fn(sg.symbols("x"), *args[1:])
        assert isinstance(ex, sg.Expr) and close(ex.eval(x=args[0]), oracle)

    def test_dot_accepts_expr_tensor_number_arrays(self):
        assert close(sg.dot(sg.tensor([1.0, 2.0]), sg.tensor([3.0, 4.0])).item(), 11.0)
        w = sg.symbols("w", shape=(2,))
        ex = sg.dot(w, w)
        assert isinstance(ex, sg.Expr) and close(ex.eval(w=np.array([3.0, 4.0])), 25.0)
        assert close(sg.dot(np.array([1.0, 2.0]), np.array([3.0, 4.0])), 11.0)
