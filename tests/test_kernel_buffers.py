"""Kernels write values of the whole batch shape into arrays the caller passes (issue 12 item 3,
issue 15 item 1): results straight into the result arrays, the rest into scratch arrays that a
chunked call reuses for every chunk. These tests pin that nothing changes in the numbers."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import symgrad as sg

RNG = np.random.default_rng(12)


def _same_bits(a: object, b: object) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    same = (a == b) & (np.signbit(a) == np.signbit(b))
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.all(same | (np.isnan(a) & np.isnan(b))))


def _logistic() -> tuple[sg.Expr, list[str]]:
    xs, ws = sg.symbols("x0 x1 x2 x3"), sg.symbols("w0 w1 w2 w3")
    y = sg.symbols("y")
    p = sg.sigmoid(sum(w * x for w, x in zip(ws, xs)))
    return -(y * sg.log(p) + (1 - y) * sg.log(1 - p)), [str(w) for w in ws]


def test_values_of_the_whole_batch_shape_are_written_into_given_arrays_not_allocated():
    loss, weights = _logistic()
    kernel = sg.compile(loss, grad=True, wrt=weights)
    body = kernel.source.splitlines()[1:-1]
    assert body and all(line.rstrip().endswith(")") and ", out=t" in line for line in body), body
    assert not any(re.match(r"\s+t\d+ = ", line) for line in body)
    assert "op.sigmoid" not in kernel.source  # written as its ufunc steps


def test_sigmoid_steps_give_evals_numbers_bit_for_bit_in_both_dtypes():
    x = sg.symbols("x")
    points = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -800.0, -40.0, -1.5, 0.3, 37.0, 800.0])
    for dtype in (np.float64, np.float32):
        given = points.astype(dtype)
        value = sg.compile(sg.sigmoid(x))(x=given)
        with np.errstate(over="ignore"):
            expected = 1.0 / (1.0 + np.exp(-given))  # the table's definition, by numpy
        assert value.dtype == dtype and _same_bits(value, expected)
        assert _same_bits(value, sg.sigmoid(x).eval(x=given))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch", [(1000,), (97, 5), (10, 1)])
def test_chunked_calls_give_the_unchunked_numbers_bit_for_bit(batch, dtype):
    loss, weights = _logistic()
    values = {f"x{i}": RNG.standard_normal(batch).astype(dtype) for i in range(4)}
    values["y"] = (RNG.uniform(size=batch[:1] + (1,) * (len(batch) - 1)) < 0.5).astype(dtype)
    values.update({w: float(RNG.standard_normal()) for w in weights})
    whole = sg.compile(loss, grad=True, wrt=weights, chunk=None)(**values)
    parts = sg.compile(loss, grad=True, wrt=weights, chunk=64)(**values)  # a short last block
    assert _same_bits(parts[0], whole[0]) and parts[0].shape == batch
    for name in weights:
        assert _same_bits(parts[1][name], whole[1][name])
    assert _same_bits(whole[0], loss.eval(**values))  # and both are eval's numbers


def test_roots_that_repeat_or_are_inputs_or_partly_broadcast_are_whole_separate_arrays():
    x, y = sg.symbols("x y")
    shared = sg.sin(x) * y
    outputs = [shared, shared, x, y * 2.0, sg.constant(3.0), shared + 1]
    xs, ys = RNG.standard_normal(300), RNG.standard_normal((1,))
    for chunk in (None, 16):
        results = sg.compile(outputs, chunk=chunk)(x=xs, y=ys)
        expected = [np.sin(xs) * ys, np.sin(xs) * ys, xs, np.broadcast_to(ys * 2.0, (300,)),
                    np.full(300, 3.0), np.sin(xs) * ys + 1]
        for result, wanted in zip(results, expected):
            assert result.shape == (300,) and _same_bits(result, wanted)
        assert len({id(result) for result in results}) == len(results)
        assert not np.shares_memory(results[0], results[1]) and results[2] is not xs
        results[0][:] = 0.0
        assert _same_bits(results[1], np.sin(xs) * ys)


def test_concurrent_calls_do_not_share_scratch_arrays():
    loss, weights = _logistic()
    kernel = sg.compile(loss, grad=True, wrt=weights, chunk=128)
    calls = []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        values = {f"x{i}": rng.standard_normal(5000) for i in range(4)}
        values["y"] = (rng.uniform(size=5000) < 0.5).astype(float)
        values.update({w: 0.1 * (seed + 1) for w in weights})
        calls.append(values)
    alone = [kernel(**values) for values in calls]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda values: kernel(**values), calls))
    for (value, gradient), (expected, expected_gradient) in zip(together, alone):
        assert _same_bits(value, expected)
        assert all(_same_bits(gradient[w], expected_gradient[w]) for w in weights)


# -- recycled result memory -------------------------------------------------------------------------
def _address(array: np.ndarray) -> int:
    return int(array.__array_interface__["data"][0])


@pytest.mark.parametrize("chunk", [None, 1000])
def test_result_memory_is_reused_only_after_every_array_of_it_is_dropped(chunk):
    x, y = sg.symbols("x y")
    kernel = sg.compile(sg.sin(x) * y, grad=True, chunk=chunk)
    xs = np.linspace(0.0, 1.0, 5000)
    value, gradient = kernel(x=xs, y=2.0)
    address = _address(value)
    del value, gradient
    value, gradient = kernel(x=xs, y=2.0)
    assert _address(value) == address  # dropped: the memory is used again
    kept = gradient["x"][::2]  # a view keeps its block
    del value, gradient
    again, gradient_again = kernel(x=xs, y=3.0)
    assert not np.shares_memory(kept, again) and not np.shares_memory(kept, gradient_again["x"])
    np.testing.assert_array_equal(kept, np.cos(xs)[::2] * 2.0)
    np.testing.assert_array_equal(again, np.sin(xs) * 3.0)


def kept_blocks(recycler: "Recycler") -> int:
    return sum(len(same) for same in recycler.blocks.values())


def test_recycler_keeps_at_most_its_limit_and_never_a_larger_block():
    from symgrad.numeric.memory import PER_SIZE, Recycler
    recycler = Recycler(limit=10_000)
    first = recycler.arrays([(100,), (3, 5)], np.dtype(np.float64))
    assert [array.shape for array in first] == [(100,), (3, 5)]
    assert not np.shares_memory(first[0], first[1])
    assert recycler.arrays([(2000,)], np.dtype(np.float64))[0].shape == (2000,)  # 16 kB: not kept
    assert recycler.held <= 10_000 and kept_blocks(recycler) == 1
    alive = [recycler.arrays([(300,)], np.dtype(np.float64))[0] for _ in range(20)]
    assert recycler.held <= 10_000 and len({_address(array) for array in alive}) == 20
    assert len(recycler.blocks[(304, "<f8")]) == PER_SIZE  # the newest of one size, not all
    del alive
    kept = kept_blocks(recycler)
    assert recycler.take(304, np.dtype(np.float64)).size == 304  # 300 rounded up to 64 bytes
    assert kept_blocks(recycler) == kept - 1  # a dropped block, taken again
    first[1][:] = 7.0  # still valid after its block was forgotten
    assert float(first[1].sum()) == 105.0


def test_results_kept_by_the_caller_cost_no_growing_scan_and_free_the_scratch():
    # A training loop that keeps every result: the recycler looks at PER_SIZE blocks per call,
    # not at every block ever kept, and the scratch block of each call is reused.
    from symgrad.numeric.memory import PER_SIZE, RECYCLER
    x, y = sg.symbols("x y")
    kernel = sg.compile(x * y + sg.sin(x) * sg.exp(y), grad=True)
    points = np.linspace(0.0, 1.0, 64)
    history = [kernel(x=points, y=0.5) for _ in range(50)]
    assert all(len(same) <= PER_SIZE for same in RECYCLER.blocks.values())
    scratch_addresses = {_address(array) for array in history[-1][1].values()}
    value, gradient = history[-1]
    np.testing.assert_allclose(value, points * 0.5 + np.sin(points) * np.exp(0.5), rtol=1e-13)
    np.testing.assert_allclose(gradient["x"], 0.5 + np.cos(points) * np.exp(0.5), rtol=1e-13)
    assert len(scratch_addresses) == 2
    assert len({_address(v) for v, _ in history}) == 50  # every kept result has its own memory
