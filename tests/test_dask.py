"""Kernels on dask arrays (issue 15): lazy results of the same chunks, one kernel call per
block, gradients per point; the same numbers as the kernel on the computed numpy arrays."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as sg
from symgrad.numeric import blocks

from optional import need

da = need("dask.array")
dask = need("dask")

x, w, y = sg.symbols("x w y")
V = sg.symbols("v", shape=(3,))
LOGISTIC = sg.log(1 + sg.exp(-y * (w * x)))


def test_a_dask_array_gives_lazy_results_of_the_same_chunks():
    kernel = sg.compile(LOGISTIC, grad=True)
    points = da.linspace(-2.0, 2.0, 1000, chunks=250)
    value, gradient = kernel(x=points, w=0.7, y=1.0)
    assert isinstance(value, da.Array) and isinstance(gradient["w"], da.Array)
    assert value.chunks == gradient["w"].chunks == gradient["x"].chunks == points.chunks
    expected_value, expected_gradient = kernel(x=points.compute(), w=0.7, y=1.0)
    np.testing.assert_allclose(value.compute(), expected_value, rtol=1e-15)
    np.testing.assert_allclose(gradient["w"].compute(), expected_gradient["w"], rtol=1e-15)
    # by hand: d/dw log(1 + exp(-y w x)) = -y x sigmoid(-y w x)
    xs = np.linspace(-2.0, 2.0, 1000)
    by_hand = -xs / (1 + np.exp(0.7 * xs))
    np.testing.assert_allclose(float(gradient["w"].sum().compute()), by_hand.sum(), rtol=1e-12)


def test_one_kernel_call_per_block(monkeypatch: pytest.MonkeyPatch):
    made: list[int] = []
    calls: list[int] = []
    kernel = sg.compile(LOGISTIC, grad=True)

    def counted(block):  # records each block dask makes
        made.append(len(block))
        return block
    run = blocks.BlockCall.__call__
    def counted_call(self, *parts):  # records each kernel call on a block
        calls.append(len(parts[0]))
        return run(self, *parts)
    monkeypatch.setattr(blocks.BlockCall, "__call__", counted_call)
    points = da.linspace(-1.0, 1.0, 100, chunks=25).map_blocks(counted, meta=np.empty(0))
    value, gradient = kernel(x=points, w=0.5, y=1.0)
    dask.compute(value, gradient["w"], gradient["x"], gradient["y"], scheduler="sync")
    assert made == [25, 25, 25, 25] and calls == [25, 25, 25, 25]


def test_core_axes_batch_broadcasting_and_float32_blocks():
    kernel = sg.compile(sg.sum(V * x) + sg.norm(V) * w, grad=True)
    vectors = da.from_array(np.linspace(0.5, 1.5, 120, dtype=np.float32).reshape(4, 10, 3),
                            chunks=(2, 5, 3))
    points = np.linspace(0, 1, 10, dtype=np.float32)  # numpy, batch (10,): split per block
    value, gradient = kernel(v=vectors, x=points, w=2.0)
    assert value.shape == (4, 10) and gradient["v"].shape == (4, 10, 3)
    assert value.dtype == gradient["v"].dtype == np.float32
    assert gradient["v"].chunks == ((2, 2), (5, 5), (3,))
    expected_value, expected_gradient = kernel(v=vectors.compute(), x=points, w=2.0)
    np.testing.assert_allclose(value.compute(), expected_value, rtol=1e-6)
    np.testing.assert_allclose(gradient["v"].compute(), expected_gradient["v"], rtol=1e-6)
    np.testing.assert_allclose(gradient["x"].compute(), expected_gradient["x"], rtol=1e-6)


def test_eval_and_reverse_of_dask_arrays_are_lazy_too():
    points = da.linspace(0.1, 2.0, 40, chunks=10)
    evaluated = LOGISTIC.eval(x=points, w=0.3, y=-1.0)
    assert isinstance(evaluated, da.Array) and evaluated.chunks == points.chunks
    value, gradient = sg.reverse(LOGISTIC, at={"x": points, "w": 0.3, "y": -1.0}, wrt=["w"])
    expected_value, expected_gradient = sg.reverse(
        LOGISTIC, at={"x": points.compute(), "w": 0.3, "y": -1.0}, wrt=["w"])
    np.testing.assert_allclose(gradient["w"].compute(), expected_gradient["w"], rtol=1e-14)
    with pytest.raises(sg.ArgumentError, match="no seed"):
        sg.reverse(LOGISTIC, at={"x": points, "w": 0.3, "y": 1.0}, seed=np.ones(40))


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning",
                            "ignore::UserWarning")
def test_a_gradient_sum_on_a_local_cluster_of_two_worker_processes():
    distributed = need("distributed")
    kernel = sg.compile(LOGISTIC, grad=True)
    points = da.random.default_rng(1).standard_normal(20_000, chunks=2_500)
    labels = da.sign(points + 0.1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        _, gradient = kernel(x=points, y=labels, w=0.4)
        total = client.compute(gradient["w"].sum()).result()
        local_points, local_labels = dask.compute(points, labels, scheduler="sync")
    _, expected = kernel(x=local_points, y=local_labels, w=0.4)
    assert total == pytest.approx(float(expected["w"].sum()), rel=1e-12)
