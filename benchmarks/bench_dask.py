"""The gradient of a logistic loss summed over many points: dask cluster against one process.

    python benchmarks/bench_dask.py                                  # 2*10^7 points each
    python benchmarks/bench_dask.py --points 1e9 --numpy-points 1e8 --backend numba  # the issue's sizes

dask: a `distributed.LocalCluster` of 2 worker processes (1 thread each) maps the compiled
gradient kernel over blocks of points generated on the workers (never stored: uniform
features from each block's own random stream, `dask_logistic.features`), then sums the
per-point gradients; dask's progress bar shows the run. numpy: one process makes the same
kind of blocks in a loop and calls the same kernel on each (`--backend numba`: the fused loop
in both runs, as the kernel pickles with its backend). Printed: wall time, ns per point,
and each worker's peak resident memory (ru_maxrss), which depends on the block size, not on
the number of points. Results also go to benchmarks/results/dask.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, progress

import symgrad as sg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
from dask_logistic import FEATURES, data, features, labels, loss  # noqa: E402

WEIGHTS = np.full(FEATURES, 0.1)


def peak_rss_mib() -> float:
    """This process's peak resident memory, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_dask(kernel: sg.Kernel, points: int, block: int) -> dict[str, Any]:
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(lambda: np.zeros(1))  # workers up before the clock starts
        start = time.perf_counter()
        x, y = data(points, block)
        _, gradient = kernel(x=x, y=y, w=WEIGHTS)
        total = client.compute(gradient["w"].sum(axis=0))
        progress(total)
        result = total.result()
        seconds = time.perf_counter() - start
        peaks = client.run(peak_rss_mib)
    print()
    return {"seconds": seconds, "gradient": result.tolist(),
            "peak_rss_mib_per_worker": sorted(peaks.values())}


def run_numpy(kernel: sg.Kernel, points: int, block: int) -> dict[str, Any]:
    """One process: the same blocks, made and used one after the other."""
    total = np.zeros(FEATURES)
    start = time.perf_counter()
    for index, first in enumerate(range(0, points, block)):
        x = features(min(block, points - first), index, seed=1)
        _, gradient = kernel(x=x, y=labels(x), w=WEIGHTS)
        total += gradient["w"].sum(axis=0)
    return {"seconds": time.perf_counter() - start, "gradient": total.tolist(),
            "peak_rss_mib": peak_rss_mib()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=float, default=2e7, help="points for the dask run")
    parser.add_argument("--numpy-points", type=float, default=2e7, help="points for numpy")
    parser.add_argument("--block", type=float, default=1e6, help="points per block")
    parser.add_argument("--backend", default="numpy", choices=["numpy", "numba"],
                        help="the kernel's backend (both runs)")
    parser.add_argument("--output", type=Path,
                        default=Path(__file__).parent / "results" / "dask.json")
    options = parser.parse_args()
    points, numpy_points, block = int(options.points), int(options.numpy_points), int(options.block)
    kernel = sg.compile(loss(), wrt=["w"], grad=True, backend=options.backend)
    numpy_run = run_numpy(kernel, numpy_points, block)
    dask_run = run_dask(kernel, points, block)
    # Both sums estimate points * E[gradient]: per point they agree to sampling noise.
    per_point = np.array(dask_run["gradient"]) / points
    numpy_per_point = np.array(numpy_run["gradient"]) / numpy_points
    print(f"{'run':<28}{'points':>15}{'wall s':>10}{'ns/point':>10}{'peak MiB':>22}")
    print(f"{'numpy, one process':<28}{numpy_points:>15,}{numpy_run['seconds']:>10.1f}"
          f"{numpy_run['seconds'] / numpy_points * 1e9:>10.1f}{numpy_run['peak_rss_mib']:>22.0f}")
    peaks = " / ".join(f"{peak:.0f}" for peak in dask_run["peak_rss_mib_per_worker"])
    print(f"{'dask, LocalCluster 2 procs':<28}{points:>15,}{dask_run['seconds']:>10.1f}"
          f"{dask_run['seconds'] / points * 1e9:>10.1f}{peaks:>22}")
    print(f"mean gradient per point, largest difference dask vs numpy: "
          f"{np.max(np.abs(per_point - numpy_per_point)):.1e} (sampling noise)")
    options.output.parent.mkdir(parents=True, exist_ok=True)
    meta = {"numpy": np.__version__, "dask": dask.__version__, "python": platform.python_version(),
            "block": block, "backend": options.backend}
    options.output.write_text(json.dumps({"meta": meta, "numpy": numpy_run, "dask": dask_run,
                                          "points": points, "numpy_points": numpy_points},
                                         indent=2) + "\n")
    print(f"written to {options.output}")


if __name__ == "__main__":
    main()
