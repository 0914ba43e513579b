"""A whole power of a product is held split, as SymPy holds it (README, Conventions): the
choice and its cost at extreme magnitudes, pinned against SymPy's own form."""

from __future__ import annotations

import numpy as np
import sympy

import symgrad as sg

x, y = sg.symbols("x y")
X, Y = sympy.symbols("x y")


def test_a_whole_power_of_a_product_is_split_as_sympy_holds_it() -> None:
    assert (x * y) ** 2 is x ** 2 * y ** 2
    assert ((x * y) ** 2).to_sympy() == (X * Y) ** 2 == X ** 2 * Y ** 2
    assert str((x * y) ** -2) == "1/(x**2*y**2)"


def test_the_split_power_overflows_at_extreme_magnitudes_as_sympys_form_does() -> None:
    at = {"x": np.array([1e300, 3.0]), "y": np.array([1e-300, 0.5])}
    theirs = sympy.lambdify([X, Y], (X * Y) ** 2, modules="numpy")
    with np.errstate(all="ignore"):
        ours = ((x * y) ** 2).eval(**at)
        np.testing.assert_array_equal(ours, theirs(at["x"], at["y"]))
        assert np.isnan(ours[0]) and ours[1] == 2.25  # the unsplit power would give 1.0 at [0]
        assert (at["x"][0] * at["y"][0]) ** 2 == 1.0
