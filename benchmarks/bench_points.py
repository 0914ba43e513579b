"""Value-and-gradient kernels against hand-written numpy over a sweep of batch sizes, one thread.

    python benchmarks/bench_points.py [--points 100000 1000000 10000000] [--repeats 9]
        [--cases logistic] [--before /tmp/before]

For each case of `bench_kernels.py` (all, or those whose name contains one of `--cases`) and
each number of points, the symgrad kernel (default chunking), the same case's hand-written
numpy and, with `--before TREE` (a source tree of symgrad, e.g. `git archive 8b3e0d3 | tar -x
-C /tmp/before`), that version's kernel are timed round-robin in one process, so load from
other processes falls on every column alike. Prints ns per point (median of the repeats) and
the same-run ratios kernel / hand numpy and, with --before, after / before.

`--clock cpu` times with `time.process_time` (this process's CPU time, system time for page
faults included) instead of the wall clock: on a machine shared with other busy processes it
leaves out the time spent waiting for a core, which the wall clock mixes in at random.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_kernels as bench  # noqa: E402
import bench_versions as versions  # noqa: E402

def columns_for(case: bench.Case, data: dict[str, Any], before: Any) -> dict[str, Callable[[], Any]]:
    """The functions timed for one case: symgrad, hand numpy and (optionally) the old kernel."""
    import symgrad as after
    kernel = versions.kernel_of(after, case)
    columns: dict[str, Callable[[], Any]] = {
        "symgrad": lambda: kernel(**data), "hand": lambda: case.hand(data)}
    if before is not None:
        old = versions.kernel_of(before, case)
        columns["before"] = lambda: old(**data)
    return columns

def median_times(functions: dict[str, Callable[[], Any]], repeats: int,
                 clock: Callable[[], float]) -> dict[str, float]:
    """Median seconds per call of each function by `clock`, timed round-robin."""
    for function in functions.values():
        function()  # warm up
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = clock()
            function()
            times[name].append(clock() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="+", default=[10**5, 10**6, 10**7])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--cases", nargs="*", default=[], help="parts of case names (all if none)")
    parser.add_argument("--before", type=Path, help="a source tree of another symgrad version")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    options = parser.parse_args()
    cases = [case for case in bench.CASES
             if not options.cases or any(part in case.name for part in options.cases)]
    with tempfile.TemporaryDirectory() as folder:
        before = None if options.before is None else versions.import_before(options.before, Path(folder))
        clock = time.perf_counter if options.clock == "wall" else time.process_time
        print(f"ns per point ({options.clock} clock), one thread, median of {options.repeats}, "
              "interleaved")
        header = f"{'case':<20}{'points':>10}{'symgrad':>10}{'hand':>10}{'ratio':>8}"
        print(header + (f"{'before':>10}{'after/before':>14}" if before is not None else ""))
        for case in cases:
            for points in options.points:
                data = case.data(points)
                timed = median_times(columns_for(case, data, before), options.repeats, clock)
                ns = {name: seconds / points * 1e9 for name, seconds in timed.items()}
                line = (f"{case.name:<20}{points:>10}{ns['symgrad']:>10.2f}{ns['hand']:>10.2f}"
                        f"{ns['symgrad'] / ns['hand']:>8.2f}")
                if before is not None:
                    line += f"{ns['before']:>10.2f}{ns['symgrad'] / ns['before']:>14.2f}"
                print(line, flush=True)
                del data

if __name__ == "__main__":
    main()
