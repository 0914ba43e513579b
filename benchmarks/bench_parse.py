"""Parse + build speed of `sg.parse`, beside Python's `ast.parse` (the floor) and SymPy.

    python benchmarks/bench_parse.py            # 1,000 / 10,000 / 100,000 terms
    python benchmarks/bench_parse.py --quick    # 1,000 / 10,000, fewer repeats

The input is a sum of terms `3*x_i**2*x_j + x_i` with x_j = x_{i+1} (names mod n). All times
come from this one run: medians of a few repeats for the fast cases, one run for the slow ones.
SymPy's `parse_expr` runs at 1,000 terms only: it takes seconds there and hits Python's
recursion limit a few thousand terms later. `ast.parse` runs in a thread with a large stack,
since CPython's parser recurses once per `+` of the left-nested sum.
"""

from __future__ import annotations

import argparse
import ast
import gc
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import symgrad as sg  # noqa: E402

SYMPY_TERMS = 1_000
TOKEN = re.compile(r"\*\*|[^\W\d]\w*|\d+(?:\.\d*)?|\S")


def expression(terms: int) -> str:
    """The benchmark input: a sum of `terms` terms (twice as many summands)."""
    return " + ".join(f"3*x_{i}**2*x_{(i + 1) % terms} + x_{i}" for i in range(terms))


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """The median wall time of `run()`; each result is dropped before the next run."""
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
        del result
    return statistics.median(times)


def in_big_stack(run: Callable[[], float]) -> float:
    """`run()` in a thread with a 1 GiB stack and no practical recursion limit."""
    box: list[float] = []
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10**7)
    threading.stack_size(1 << 30)
    try:
        worker = threading.Thread(target=lambda: box.append(run()))
        worker.start()
        worker.join()
    finally:
        threading.stack_size(0)
        sys.setrecursionlimit(limit)
    return box[0]


def sympy_seconds(text: str) -> float | None:
    """SymPy's `parse_expr` on `text`, or None when SymPy is missing or fails."""
    try:
        from sympy.parsing.sympy_parser import parse_expr
    except ImportError:
        return None
    try:
        return median_seconds(lambda: parse_expr(text), 1)
    except (RecursionError, ValueError):
        return None


def first_parse() -> tuple[float, float, float]:
    """Medians over fresh interpreters (cache warm): import, first parse, whole process."""
    code = ("import time; t0 = time.perf_counter(); import symgrad; t1 = time.perf_counter(); "
            "symgrad.parse('x+1'); t2 = time.perf_counter(); print(t1 - t0, t2 - t1)")
    root = str(Path(__file__).resolve().parent.parent)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, capture_output=True)
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], check=True, cwd=root,
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        samples.append((*map(float, done.stdout.split()), wall))
    imported, parsed, wall = (statistics.median(column) for column in zip(*samples))
    return imported, parsed, wall


def row(terms: int, repeats: int) -> str:
    text = expression(terms)
    tokens = len(TOKEN.findall(text))
    ours = median_seconds(lambda: sg.parse(text), repeats)
    floor = in_big_stack(lambda: median_seconds(lambda: ast.parse(text), repeats))
    theirs = sympy_seconds(text) if terms <= SYMPY_TERMS else None
    sympy_text = f"{theirs:9.3f}" if theirs is not None else f"{'-':>9}"
    speedup = f"{theirs / ours:8.0f}x" if theirs is not None else f"{'-':>9}"
    return (f"{terms:>8,} {tokens:>10,} {ours:10.3f} {ours / tokens * 1e6:9.2f} "
            f"{ours / floor:9.1f}x {sympy_text} {speedup}")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--quick", action="store_true", help="skip 100,000 terms")
    quick = options.parse_args().quick
    sizes = [(1_000, 5), (10_000, 3)] + ([] if quick else [(100_000, 1)])
    sg.parse("x + 1")  # build (or load) the parser outside the timings
    print(f"python {sys.version.split()[0]}, symgrad {sg.__version__}")
    print(f"{'terms':>8} {'tokens':>10} {'symgrad s':>10} {'us/token':>9} {'vs ast':>10} "
          f"{'sympy s':>9} {'vs sympy':>9}")
    for terms, repeats in sizes:
        print(row(terms, repeats), flush=True)
    imported, parsed, wall = first_parse()
    print(f"\nfresh interpreter, cache warm: import symgrad {imported * 1e3:.0f} ms, "
          f"first parse {parsed * 1e3:.1f} ms, whole process {wall * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
