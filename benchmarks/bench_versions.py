"""Kernel time of this tree against another version of symgrad, in one process, round-robin.

    git archive <commit> | tar -x -C /tmp/before
    python benchmarks/bench_versions.py --before /tmp/before [--points 1000000] [--repeats 9]

The other tree's `symgrad` package is copied to a temporary folder as `symgrad_before` (its
imports are relative) and imported beside this one; both compile the value-and-gradient
kernels of `bench_kernels.py`'s four cases, which are timed alternately so that load from
other processes falls on both alike. Prints ns per point (median) and the ratio after/before.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import importlib  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_kernels as bench  # noqa: E402


def import_before(tree: Path, folder: Path) -> ModuleType:
    shutil.copytree(tree / "symgrad", folder / "symgrad_before")
    sys.path.insert(0, str(folder))
    return importlib.import_module("symgrad_before")


def kernel_of(package: ModuleType, case: bench.Case) -> object:
    lib = bench.Library(package.sin, package.cos, package.tanh, package.log, package.sigmoid)
    expr = case.build(lib, [package.symbols(name) for name in case.names])
    return package.compile(expr, wrt=case.wrt, grad=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a source tree of symgrad")
    parser.add_argument("--points", type=int, default=10**6)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--float32", action="store_true", help="also time float32 points (after)")
    options = parser.parse_args()
    import symgrad as after
    with tempfile.TemporaryDirectory() as folder:
        before = import_before(options.before, Path(folder))
        print(f"ns per point, N = {options.points}, one thread, median of {options.repeats}")
        print(f"{'case':<20}{'before':>10}{'after':>10}{'ratio':>8}" +
              (f"{'after f32':>11}" if options.float32 else ""))
        for case in bench.CASES:
            data = case.data(options.points)
            old, new = kernel_of(before, case), kernel_of(after, case)
            np.testing.assert_array_equal(old(**data)[0], new(**data)[0])  # the same numbers
            columns = {"before": lambda: old(**data), "after": lambda: new(**data)}
            if options.float32:
                single = {name: value.astype(np.float32) if np.ndim(value) else value
                          for name, value in data.items()}
                columns["after_f32"] = lambda: new(**single)
            timed = bench.median_times(columns, options.repeats)
            ns = {name: seconds / options.points * 1e9 for name, seconds in timed.items()}
            line = f"{case.name:<20}{ns['before']:>10.1f}{ns['after']:>10.1f}{ns['after'] / ns['before']:>8.2f}"
            if options.float32:
                line += f"{ns['after_f32']:>11.1f}"
            print(line)


if __name__ == "__main__":
    main()
