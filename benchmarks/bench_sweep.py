"""Cost per node of one symbolic gradient sweep (`sg.grad`), this tree against another version.

    git archive <commit> | tar -x -C /tmp/before
    python benchmarks/bench_sweep.py --before /tmp/before [--sizes 300 1000] [--repeats 7]

Each of `bench_grad.py`'s six families is built here and copied node for node into the other
version (`symgrad_before`, imported beside this one as `bench_versions.py` does), and both
build the whole gradient alternately (so load from other processes falls on both alike),
each run starting from a fresh intern table for the gradient (the previous result is freed).
Prints the median seconds and microseconds per gradient node (this tree's gradient node count,
`sg.size(*grad.values())`), and the ratio after/before.

`--builders TERMS` times instead the node builders alone on `bench_parse.py`'s input (its row
"symgrad builders alone": the builder calls the parser makes, no text), in CPU microseconds
per token, both versions alternately; least and median of the repeats.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_grad  # noqa: E402

import symgrad as sg  # noqa: E402
from symgrad.core.expr import dag_records  # noqa: E402


def import_before(tree: Path, folder: Path) -> ModuleType:
    shutil.copytree(tree / "symgrad", folder / "symgrad_before")
    sys.path.insert(0, str(folder))
    return importlib.import_module("symgrad_before")


def timed(work: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    del result
    return seconds


def builders(package: ModuleType, terms: int) -> Callable[[], Any]:
    """`bench_parse.built` written against `package` (this tree's or the other's)."""
    expr, functions = package.core.expr, package.ops.functions

    def run() -> Any:
        names: dict[str, Any] = {}

        def name(text: str) -> Any:
            if text not in names:
                names[text] = expr.symbol(text)
            return names[text]
        three, two = expr.constant(3.0), expr.constant(2.0)
        summands = []
        for i in range(terms):
            summands.append(functions.multiply(
                [three, functions.power(name(f"x_{i}"), two), name(f"x_{(i + 1) % terms}")]))
            summands.append(name(f"x_{i}"))
        return functions.add(summands)
    return run


def builders_table(before: ModuleType, terms: int, repeats: int) -> None:
    import bench_parse
    tokens = len(bench_parse.TOKEN.findall(bench_parse.expression(terms)))
    runs = {"before": builders(before, terms), "after": builders(sg, terms)}
    cpu: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(repeats):
        for label, run in runs.items():
            gc.collect()
            start = time.process_time()
            result = run()
            cpu[label].append((time.process_time() - start) / tokens * 1e6)
            del result
    print(f"builders alone, {terms:,} terms, {tokens:,} tokens, {repeats} interleaved runs; "
          "CPU us per token")
    for label in ("before", "after"):
        print(f"  {label:<7} least {min(cpu[label]):6.2f}   median {statistics.median(cpu[label]):6.2f}")
    print(f"  ratio after/before: least {min(cpu['after']) / min(cpu['before']):.2f}, "
          f"median {statistics.median(cpu['after']) / statistics.median(cpu['before']):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a source tree of symgrad")
    parser.add_argument("--sizes", type=int, nargs="+", default=[300])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--builders", type=int, metavar="TERMS", help="time the builders instead")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        before = import_before(options.before, Path(folder))
        if options.builders:
            builders_table(before, options.builders, options.repeats)
            return
        print(f"sg.grad, median of {options.repeats} interleaved runs; us per gradient node")
        print(f"{'family':<16}{'n':>6}{'nodes':>8}{'before_s':>10}{'after_s':>10}"
              f"{'us/node before':>16}{'us/node after':>15}{'ratio':>7}")
        ratios = []
        for n in options.sizes:
            for family, build in bench_grad.FAMILIES.items():
                new = build(n)
                old = before.core.expr.from_dag_records(dag_records([new]))[0]
                nodes = sg.size(*sg.grad(new).values())
                times: dict[str, list[float]] = {"before": [], "after": []}
                for _ in range(options.repeats):
                    times["before"].append(timed(lambda: before.grad(old)))
                    times["after"].append(timed(lambda: sg.grad(new)))
                old_s, new_s = (statistics.median(times[k]) for k in ("before", "after"))
                ratios.append(new_s / old_s)
                print(f"{family:<16}{n:>6}{nodes:>8}{old_s:>10.4f}{new_s:>10.4f}"
                      f"{old_s / nodes * 1e6:>16.2f}{new_s / nodes * 1e6:>15.2f}"
                      f"{new_s / old_s:>7.2f}", flush=True)
        print(f"geometric mean of after/before: {statistics.geometric_mean(ratios):.2f}")


if __name__ == "__main__":
    main()
