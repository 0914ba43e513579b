"""examples/dask_logistic.py: blocks made where they are used, the same on any worker, and the
summed gradient over dask blocks equal to the one over the same points in numpy."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import symgrad as sg

from optional import need

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))


def test_blocks_are_made_from_their_own_stream_and_the_dask_sum_matches_numpy():
    need("dask")
    import dask
    from dask_logistic import FEATURES, data, features, labels, loss
    x, y = data(2500, 1000, seed=3)
    assert x.chunks == ((1000, 1000, 500), (FEATURES,)) and y.chunks == ((1000, 1000, 500),)
    whole = np.concatenate([features(1000, 0, 3), features(1000, 1, 3), features(500, 2, 3)])
    assert whole.min() >= -1.0 and whole.max() < 1.0
    with dask.config.set(scheduler="synchronous"):
        np.testing.assert_array_equal(x.compute(), whole)
        np.testing.assert_array_equal(y.compute(), labels(whole))
        kernel = sg.compile(loss(), wrt=["w"], grad=True)
        weights = np.linspace(-0.3, 0.3, FEATURES)
        _, gradient = kernel(x=x, y=y, w=weights)
        total = gradient["w"].sum(axis=0).compute()
    # independent oracle: the logistic loss's gradient by hand, (sigmoid(w . x) - y) x
    residual = 1.0 / (1.0 + np.exp(-whole @ weights)) - labels(whole)
    np.testing.assert_allclose(total, residual @ whole, rtol=1e-10)
