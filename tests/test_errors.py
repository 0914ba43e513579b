"""The error tree: every error a user can cause is a SymgradError."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as sg


@pytest.mark.parametrize("build", [
    lambda: sg.parse("[[1, 2], [3]]"),
    lambda: sg.tensor(None),
    lambda: sg.constant(None),
    lambda: (sg.symbols("x") * 2).eval(x=np.array([1.0, None])),
    lambda: sg.compile([]),
    lambda: sg.arange(0, 5, 0),
    lambda: sg.size(sg.symbols("x"), "y"),
])
def test_bad_values_are_symgrad_errors(build):
    with pytest.raises(sg.SymgradError):
        build()


class TestErrorTree:
    def test_error_tree(self):
        for name in ("ParseError", "DomainError"):
            assert issubclass(getattr(sg, name), sg.SymgradError)
        assert issubclass(sg.ParseError, ValueError)
        assert issubclass(sg.DomainError, ValueError) or issubclass(sg.DomainError, ArithmeticError)
