"""Higher orders: repeated differentiation and Taylor coefficients against SymPy, SymEngine, JAX.

    python benchmarks/bench_taylor.py              # orders 1..12, both families
    python benchmarks/bench_taylor.py --orders 4 8 12

Table 1, the k-th derivative of each family: symgrad's size (distinct DAG nodes, and DAG ops:
each node with m > 1 arguments counts m - 1 binary operations, others 1, as `count_ops`
counts a tree) and build time, against SymPy's `diff(f, x, k)` (`count_ops`, time) and
SymEngine's (`count_ops` of the result converted to SymPy, time). symgrad builds orders >= 3
in Taylor mode (`calculus.differentiate.TAYLOR_FROM_ORDER`).

Table 2, the Taylor coefficients f^(k)(a)/k!, k = 0..12, at a = 0.5: `sg.taylor` (median of
runs), `sg.series` (exact, at 0), SymPy's `series` at 1/2, SymEngine's `series` (about 0, of
f(x + a)), and `jax.experimental.jet` (after its compile) when JAX is installed; with the
largest difference of `sg.taylor`'s from mpmath's coefficients at 50 digits.

Table 3, the product family prod(x_i^2 + 1): the gradient's size over the function's in both
metrics, at n = 10..10000.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from typing import Any, Callable

import numpy as np

import symgrad as sg
from symgrad.core.traverse import topological
from symgrad.ops.functions import multiply

FAMILIES = {"exp(sin(x))*x/(1+x^2)": "exp(sin(x))*x/(1+x^2)", "tan(x)": "tan(x)"}
POINT = 0.5


def dag_ops(*exprs: sg.Expr) -> int:
    """Binary operations of the DAG: a node with m > 1 arguments counts m - 1, others 1."""
    return sum(max(1, len(node.args) - 1) for node in topological(list(exprs)) if node.args)


def median_time(work: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def derivative_table(orders: list[int]) -> None:
    import sympy
    try:
        import symengine
    except ImportError:
        symengine = None
    print("family | k | sg_nodes | sg_ops | sg_s | sympy_ops | sympy_s | symengine_ops | "
          "symengine_s | sg_ops/symengine_ops")
    x = sympy.Symbol("x")
    for name, text in FAMILIES.items():
        f = sg.parse(text)
        reference = f.to_sympy()
        for k in orders:
            seconds, derivative = median_time(lambda: sg.diff(f, "x", order=k), 3)
            start = time.perf_counter()
            sympy_derivative = sympy.diff(reference, x, k)
            sympy_seconds = time.perf_counter() - start
            engine_ops = engine_seconds = None
            if symengine is not None:
                g = symengine.sympify(reference)
                start = time.perf_counter()
                engine_derivative = g.diff(symengine.Symbol("x"), k)
                engine_seconds = time.perf_counter() - start
                engine_ops = int(sympy.count_ops(sympy.sympify(str(engine_derivative))))
            ops = dag_ops(derivative)
            check = abs(float(derivative.eval(x=POINT)) - float(sympy_derivative.subs(x, POINT)))
            assert check <= 1e-8 * (1 + abs(float(sympy_derivative.subs(x, POINT)))), (name, k)
            print(" | ".join(_cell(v) for v in [
                name, k, derivative.size, ops, seconds, int(sympy.count_ops(sympy_derivative)),
                sympy_seconds, engine_ops, engine_seconds,
                ops / engine_ops if engine_ops else None]), flush=True)


def taylor_table(order: int) -> None:
    import sympy
    print(f"\nfamily | sg.taylor_s | sg.series_s | sympy_series_s | symengine_series_s | jet_s | "
          f"jet_compile_s | max_error (order {order}, at {POINT})")
    x = sympy.Symbol("x")
    for name, text in FAMILIES.items():
        f = sg.parse(text)
        seconds, ours = median_time(lambda: sg.taylor(f, "x", at=POINT, order=order), 20)
        series_seconds, _ = median_time(lambda: sg.series(f, "x", at=0, order=order), 3)
        start = time.perf_counter()
        sympy.series(f.to_sympy(), x, sympy.Rational(1, 2), order + 1)
        sympy_seconds = time.perf_counter() - start
        expected = _mpmath_coefficients(f, order)
        shifted = f.to_sympy().subs(x, x + sympy.Rational(1, 2))
        engine_seconds = None
        try:
            import symengine
            g = symengine.sympify(shifted)
            engine_seconds, _ = median_time(
                lambda: symengine.series(g, symengine.Symbol("x"), 0, order + 1), 20)
        except ImportError:
            pass
        jet_seconds, compile_seconds = _jax_jet(text, order)
        error = float(np.max(np.abs(ours - expected) / (1 + np.abs(expected))))
        print(" | ".join(_cell(v) for v in [name, seconds, series_seconds, sympy_seconds,
                                            engine_seconds, jet_seconds, compile_seconds, error]),
              flush=True)


def _mpmath_coefficients(f: sg.Expr, order: int) -> np.ndarray:
    """The reference: mpmath's Taylor coefficients (50 digits) of SymPy's form of `f`."""
    import mpmath
    import sympy
    function = sympy.lambdify(sympy.Symbol("x"), f.to_sympy(), "mpmath")
    with mpmath.workdps(50):
        return np.array([float(c) for c in mpmath.taylor(function, mpmath.mpf(POINT), order)])


def _jax_jet(text: str, order: int) -> tuple[float | None, float | None]:
    try:
        import jax
        import jax.numpy as jnp
        from jax.experimental import jet
    except ImportError:
        return None, None
    jax.config.update("jax_enable_x64", True)
    functions = {"exp(sin(x))*x/(1+x^2)": lambda x: jnp.exp(jnp.sin(x)) * x / (1 + x * x),
                 "tan(x)": jnp.tan}
    function = functions[text]
    series_in = [1.0] + [0.0] * (order - 1)

    def run() -> Any:
        return jet.jet(function, (POINT,), (series_in,))
    try:
        start = time.perf_counter()
        jax.block_until_ready(run())
        compile_seconds = time.perf_counter() - start
        seconds, _ = median_time(lambda: jax.block_until_ready(run()), 20)
    except Exception:  # jet has no rule for some primitives (tan)
        return None, None
    return seconds, compile_seconds


def product_table(sizes: list[int]) -> None:
    print("\nn | f_nodes | grad_nodes | node_ratio | f_ops | grad_ops | ops_ratio | grad_s")
    for n in sizes:
        variables = [sg.symbols(f"x{i}") for i in range(n)]
        f = multiply([v**2 + 1 for v in variables])
        seconds, gradient = median_time(lambda: sg.grad(f), 1 if n > 1000 else 3)
        parts = list(gradient.values())
        print(" | ".join(_cell(v) for v in [
            n, f.size, sg.size(*parts), sg.size(*parts) / f.size, dag_ops(f), dag_ops(*parts),
            dag_ops(*parts) / dag_ops(f), seconds]), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=list(range(1, 13)))
    parser.add_argument("--taylor-order", type=int, default=12)
    parser.add_argument("--product-sizes", type=int, nargs="+", default=[10, 100, 1000, 10000])
    args = parser.parse_args(argv)
    derivative_table(args.orders)
    taylor_table(args.taylor_order)
    product_table(args.product_sizes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
