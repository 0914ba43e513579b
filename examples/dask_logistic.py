"""The gradient of a logistic loss summed over many points, on a dask cluster.

    python examples/dask_logistic.py                 # 10^7 points, 2 local worker processes
    python examples/dask_logistic.py --points 1e9    # as many as you like: memory stays bounded

The points are generated block by block where they are used (never stored), the compiled
gradient kernel runs once per block on the workers (it pickles by rebuilding from its DAG),
and only the 8 numbers of the summed gradient come back.
"""

from __future__ import annotations

import argparse

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


def data(points: int, block: int, seed: int = 0) -> tuple[da.Array, da.Array]:
    """Features and 0/1 labels, made per block by the workers."""
    x = da.random.default_rng(seed).standard_normal((points, FEATURES), chunks=(block, FEATURES))
    y = (x @ TRUE_WEIGHTS > 0).astype(np.float64)
    return x, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=float, default=1e7)
    parser.add_argument("--block", type=float, default=1e6)
    options = parser.parse_args()
    kernel = sg.compile(loss(), wrt=["w"], grad=True)
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
