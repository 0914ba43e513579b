"""Random points inside a domain, and SymPy's time limit."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import symgrad as sg
from symgrad.checking.sampling import count_points, format_point, sample_points
from symgrad.language.sympy_bridge import SympyTimeout, within


def test_sampled_points_lie_inside_the_domain_and_off_the_kinks():
    expr = sg.parse("log(x) + sqrt(1 - y**2)")
    points = sample_points([expr], expr.symbol_shapes, 50, np.random.default_rng(1))
    x, y = points["x"], points["y"]
    assert count_points(points) == len(x) == 50
    assert np.all(x > 0) and np.all(np.abs(y) < 1)
    assert not np.any((x * 2) % 1 == 0) and not np.any(x == y)


def test_no_point_in_an_empty_domain_is_a_domain_error():
    expr = sg.parse("log(-x**2 - 1)")
    with pytest.raises(sg.DomainError, match="at="):
        sample_points([expr], expr.symbol_shapes, 3, np.random.default_rng(0), rounds=2)


def test_format_point_elides_long_vectors():
    assert format_point({"x": 3.0, "u": [1.0, 2.5]}) == "u=[1, 2.5], x=3"
    assert format_point({"w": list(range(20))}, limit=4) == "w=[0, 1, 2, ..., 19] (20 elements)"


def test_within_returns_the_result_or_raises_sympy_timeout():
    assert within(1.0, max, 2, 7) == 7
    with pytest.raises(SympyTimeout):
        within(0.1, time.sleep, 2)


def test_within_works_off_the_main_thread():
    outcome: list[object] = []

    def run() -> None:
        try:
            within(0.1, time.sleep, 1)
        except SympyTimeout as error:
            outcome.append(error)
        outcome.append(within(1.0, sum, [1, 2, 3]))

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert isinstance(outcome[0], sg.SymgradError) and outcome[1] == 6
