"""Full symbolic gradients: symgrad's one reverse sweep against SymPy and SymEngine.

    python benchmarks/bench_grad.py                 # n = 10, 100, 1000, 10000 (symgrad alone)
    python benchmarks/bench_grad.py --sizes 10 100  # fewer sizes

For each family of functions of n variables it prints the time to build the whole gradient
(median of a few runs) and its size: symgrad's distinct DAG nodes of all partials together
(`sg.size(*grad.values())`) against the function's (`e.size`), and the same in DAG ops (a node
with m > 1 arguments counts m - 1 binary operations, others 1, as `count_ops` counts a tree:
`ops_ratio`, the metric of the size target); SymPy's `diff` per variable,
with `count_ops` of the partials before and after `cse`; SymEngine's `diff` when importable.
SymPy is skipped where its time, extrapolated from the smaller n, would pass ~30 s.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from typing import Any, Callable

import numpy as np

import symgrad as sg
from symgrad.core.traverse import topological
from symgrad.ops.functions import add, multiply

SYMPY_BUDGET = 30.0
TANH_UNITS = 8
LOGISTIC_POINTS = 4


def variables(n: int) -> list[sg.Expr]:
    return [sg.symbols(f"x{i}") for i in range(n)]


def cubic_chain(n: int) -> sg.Expr:
    """sum c_i*x_i**2*x_(i+1) + x_i."""
    x = variables(n)
    terms = [(i % 7 + 1) * x[i] ** 2 * x[i + 1] for i in range(n - 1)]
    return add(terms + x)


def product_of_squares(n: int) -> sg.Expr:
    """prod (x_i**2 + 1)."""
    return multiply([xi**2 + 1 for xi in variables(n)])


def rosenbrock(n: int) -> sg.Expr:
    """sum 100*(x_(i+1) - x_i**2)**2 + (1 - x_i)**2."""
    x = variables(n)
    return add([100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(n - 1)])


def tanh_layer(n: int) -> sg.Expr:
    """sum_j v_j*tanh(sum_i w_ji*x_i + b_j), with fixed numeric weights, TANH_UNITS units."""
    rng = np.random.default_rng(0)
    x = variables(n)
    units = []
    for _ in range(TANH_UNITS):
        weights = np.round(rng.normal(size=n), 2)
        inner = add([float(w) * xi for w, xi in zip(weights, x)] + [sg.constant(round(rng.normal(), 2))])
        units.append(round(float(rng.normal()), 2) * sg.tanh(inner))
    return add(units)


def sin_cos_chain(n: int) -> sg.Expr:
    """sin(cos(sin(cos(... x)))), n functions deep."""
    e = sg.symbols("x")
    for depth in range(n):
        e = sg.cos(e) if depth % 2 else sg.sin(e)
    return e


def logistic_loss(n: int) -> sg.Expr:
    """Binary cross-entropy of LOGISTIC_POINTS fixed points under weights x_i, with the
    sigmoid written out as 1/(1 + exp(-z))."""
    rng = np.random.default_rng(1)
    w = variables(n)
    losses = []
    for k in range(LOGISTIC_POINTS):
        features = np.round(rng.normal(size=n), 2)
        z = add([float(a) * wi for a, wi in zip(features, w)])
        p = 1 / (1 + sg.exp(-z))
        y = k % 2
        losses.append(-(y * sg.log(p) + (1 - y) * sg.log(1 - p)))
    return add(losses)


FAMILIES: dict[str, Callable[[int], sg.Expr]] = {
    "cubic chain": cubic_chain, "prod(x^2+1)": product_of_squares, "rosenbrock": rosenbrock,
    "tanh layer": tanh_layer, "sin/cos chain": sin_cos_chain, "logistic loss": logistic_loss,
}


def dag_ops(*exprs: sg.Expr) -> int:
    """Binary operations of the DAG: a node with m > 1 arguments counts m - 1, others 1."""
    return sum(max(1, len(node.args) - 1) for node in topological(list(exprs)) if node.args)


def median_time(work: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The median wall time of `work()` over `repeats` runs, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def symgrad_row(e: sg.Expr, repeats: int) -> dict[str, Any]:
    seconds, gradient = median_time(lambda: sg.grad(e), repeats)
    size = sg.size(*gradient.values())
    f_ops, g_ops = dag_ops(e), dag_ops(*gradient.values())
    return {"sg_s": seconds, "f_size": e.size, "g_size": size, "ratio": size / e.size,
            "f_dag_ops": f_ops, "g_dag_ops": g_ops, "ops_ratio": g_ops / f_ops}


def sympy_row(e: sg.Expr) -> dict[str, Any]:
    import sympy
    f = e.to_sympy()
    names = sorted(f.free_symbols, key=lambda s: s.name)
    start = time.perf_counter()
    partials = [sympy.diff(f, name) for name in names]
    seconds = time.perf_counter() - start
    ops = sum(sympy.count_ops(p) for p in partials)
    replacements, reduced = sympy.cse(partials)
    ops_cse = sum(sympy.count_ops(r) for _, r in replacements) + sum(sympy.count_ops(r) for r in reduced)
    return {"sympy_s": seconds, "sympy_ops": ops, "sympy_cse_ops": ops_cse,
            "f_ops": sympy.count_ops(f), "symengine_s": symengine_time(f, names)}


def symengine_time(f: Any, names: list[Any]) -> float | None:
    try:
        import symengine
    except ImportError:
        return None
    g = symengine.sympify(f)
    symbols = [symengine.Symbol(name.name) for name in names]
    start = time.perf_counter()
    for name in symbols:
        g.diff(name)
    return time.perf_counter() - start


def _estimate(history: dict[str, tuple[int, float]], family: str, n: int) -> float:
    if family not in history:
        return 0.0
    previous_n, previous_s = history[family]
    return previous_s * (n / previous_n) ** 2  # one O(n) derivative per variable: quadratic


def _cell(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if value < 100 else f"{value:.0f}"
    return str(value)


COLUMNS = ["family", "n", "f_size", "g_size", "ratio", "f_dag_ops", "g_dag_ops", "ops_ratio", "sg_s", "sympy_s", "speedup",
           "symengine_s", "f_ops", "sympy_ops", "sympy_cse_ops"]


def run(sizes: list[int], use_sympy: bool, sympy_limit: int) -> list[dict[str, Any]]:
    rows, history = [], {}
    for n in sizes:
        for family, build in FAMILIES.items():
            e = build(n)
            row = {"family": family, "n": n, **symgrad_row(e, repeats=3 if n <= 1000 else 1)}
            if use_sympy and n <= sympy_limit and _estimate(history, family, n) < SYMPY_BUDGET:
                try:
                    row.update(sympy_row(e))
                    history[family] = (n, row["sympy_s"])
                    row["speedup"] = row["sympy_s"] / row["sg_s"]
                except RecursionError:
                    row["sympy_s"] = "recursion"
            print(" | ".join(_cell(row.get(c)) for c in COLUMNS), flush=True)
            rows.append(row)
    return rows


def check_targets(rows: list[dict[str, Any]]) -> list[str]:
    """The targets missed: size ratio <= 4 everywhere (nodes and DAG ops), < 0.5 s at n = 1000,
    >= 50x SymPy at 100."""
    missed = []
    for row in rows:
        label = f"{row['family']} n={row['n']}"
        if row["ratio"] > 4:
            missed.append(f"{label}: gradient {row['ratio']:.2f}x the function's size")
        if row["ops_ratio"] > 4:
            missed.append(f"{label}: gradient {row['ops_ratio']:.2f}x the function's DAG ops")
        if row["n"] == 1000 and row["sg_s"] >= 0.5:
            missed.append(f"{label}: {row['sg_s']:.3f} s")
        if row["n"] == 100 and isinstance(row.get("speedup"), float) and row["speedup"] < 50:
            missed.append(f"{label}: only {row['speedup']:.0f}x faster than SymPy")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 10000])
    parser.add_argument("--no-sympy", action="store_true")
    parser.add_argument("--sympy-limit", type=int, default=1000, help="largest n given to SymPy")
    args = parser.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))  # SymPy recurses on deep trees
    print(" | ".join(COLUMNS))
    rows = run(args.sizes, not args.no_sympy, args.sympy_limit)
    missed = check_targets(rows)
    print("\ntargets: " + ("all met" if not missed else "MISSED\n  " + "\n  ".join(missed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
