"""The gradient of a logistic loss summed over many points, on a dask cluster.

    python examples/dask_logistic.py                 # 10^7 points, 2 local worker processes
    python examples/dask_logistic.py --points 1e9 --backend numba   # memory stays bounded

The points are generated block by block where they are used (never stored), the compiled
gradient kernel runs once per block on the workers (it pickles by rebuilding from its DAG),
and only the 8 numbers of the summed gradient come back.
"""

from __future__ import annotations

import argparse
from typing import Any

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, progress

import symgrad as sg

FEATURES = 8
TRUE_WEIGHTS = np.linspace(-1.0, 1.0, FEATURES)


def loss() -> sg.Expr:
    """-(y log s + (1 - y) log(1 - s)) with s = sigmoid(w . x), per point."""
    x = sg.symbols("x", shape=(FEATURES,))
    w = sg.symbols("w", shape=(FEATURES,))
    y = sg.symbols("y")
    s = sg.sigmoid(sg.sum(w * x))
    return -(y * sg.log(s) + (1 - y) * sg.log(1 - s))


def features(rows: int, index: int, seed: int = 0) -> np.ndarray:
    """Block `index` of the features: `rows` points uniform in [-1, 1), from the block's own
    random stream, so any worker makes the same block (and making it is cheap)."""
    x = np.random.default_rng((seed, index)).random((rows, FEATURES))
    x *= 2.0
    x -= 1.0
    return x


def labels(x: np.ndarray) -> np.ndarray:
    """1 where the true weights classify the point positive, else 0."""
    return (x @ TRUE_WEIGHTS > 0).astype(np.float64)


def _block(seed: int, block_info: dict[Any, Any] | None = None) -> np.ndarray:
    assert block_info is not None  # dask passes it to functions that name it
    where = block_info[None]
    return features(where["chunk-shape"][0], where["chunk-location"][0], seed)


def data(points: int, block: int, seed: int = 0) -> tuple[da.Array, da.Array]:
    """Features and 0/1 labels, made per block by the workers (never stored)."""
    rows = (block,) * (points // block) + ((points % block,) if points % block else ())
    x = da.map_blocks(_block, seed, chunks=(rows, (FEATURES,)), dtype=np.float64,
                      meta=np.empty((0, FEATURES)))
    return x, da.map_blocks(labels, x, drop_axis=1, dtype=np.float64, meta=np.empty(0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=float, default=1e7)
    parser.add_argument("--block", type=float, default=1e6)
    parser.add_argument("--backend", default="numpy", choices=["numpy", "numba"])
    options = parser.parse_args()
    kernel = sg.compile(loss(), wrt=["w"], grad=True, backend=options.backend)
    x, y = data(int(options.points), int(options.block))
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        _, gradient = kernel(x=x, y=y, w=np.zeros(FEATURES))
        total = client.compute(gradient["w"].sum(axis=0))
        progress(total)
        print(f"\nsummed gradient at w = 0 over {int(options.points):,} points:")
        print(np.array2string(total.result(), precision=1))


if __name__ == "__main__":
    main()
