"""How readable are symgrad's printed derivatives? SymPy's `count_ops` against `sympy.diff`.

    python benchmarks/readability.py            # the table and the mean ratio
    python benchmarks/readability.py --worst 10 # also print the ten worst derivatives

For each textbook function f(x) of CORPUS: `str(sg.diff(sg.parse(f), "x"))` is read back by
SymPy (`sympify`) and its `count_ops` is compared with that of `sympy.diff(f)`. No
`simplify()` on either side. Target: mean ratio <= 1.3.
"""

from __future__ import annotations

import argparse
import statistics
import time

import sympy

import symgrad as sg

CORPUS = [
    # polynomials and powers
    "3*x**2 + 4*x + 2", "x**5 - 3*x**3 + x", "(x + 1)**3", "(2*x - 3)**4", "x**3*(x - 1)**2",
    "1/x", "1/x**2 + 1/x", "sqrt(x)", "x**(3/2) - x**(1/2)", "(x**2 + 1)**(1/3)",
    # products and quotients
    "x*sin(x)", "x**2*exp(x)", "x*log(x)", "exp(x)*cos(x)", "sin(x)*cos(x)",
    "(x + 1)/(x - 1)", "x/(x**2 + 1)", "sin(x)/x", "(x**2 - 1)/(x**2 + 1)", "exp(x)/(1 + exp(x))",
    # chain rule
    "sin(x**2)", "cos(3*x + 1)", "exp(-x**2)", "log(x**2 + 1)", "sqrt(1 - x**2)",
    "(1 + x**2)**10", "exp(sin(x))", "log(cos(x))", "sin(x)**2", "tan(x)**3",
    # trigonometric, exponential, logarithmic
    "tan(x)", "1/cos(x)", "sin(x) + cos(x)", "exp(2*x)", "2**x", "log(x)/x", "log(log(x))",
    "x**x", "sinh(x)*cosh(x)", "tanh(x)",
    # inverse trigonometric
    "asin(x)", "acos(x)", "atan(x)", "atan(x**2)", "x*asin(x)", "atan(1/x)",
    # nested and mixed
    "sqrt(x + sqrt(x))", "exp(x)*sin(x)*cos(x)", "log(sqrt(x) + 1)", "sin(cos(tan(x)))",
    "x*exp(-x)*log(x)", "1/(1 + exp(-x))", "sigmoid(x)", "x**2*sin(1/x)", "sqrt(x**2 + 4*x)",
]


def ops_of(text: str) -> int:
    return int(sympy.count_ops(sympy.sympify(text)))


def measure(function: str) -> dict[str, object]:
    """Our printed derivative, SymPy's, and their operation counts."""
    ours = str(sg.diff(sg.parse(function), "x"))
    theirs = sympy.diff(sg.parse(function).to_sympy(), sympy.Symbol("x"))
    ours_ops = ops_of(ours)
    theirs_ops = int(sympy.count_ops(theirs))
    return {"function": function, "ours": ours, "sympy": str(theirs), "ours_ops": ours_ops,
            "sympy_ops": theirs_ops, "ratio": (ours_ops + 1) / (theirs_ops + 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worst", type=int, default=0, help="print the N worst derivatives")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = [measure(function) for function in CORPUS]
    print(f"{'function':28} {'ours':>5} {'sympy':>5} {'ratio':>6}  derivative (ours)")
    for row in rows:
        print(f"{row['function']:28} {row['ours_ops']:>5} {row['sympy_ops']:>5} "
              f"{row['ratio']:>6.2f}  {row['ours']}")
    ratios = [float(row["ratio"]) for row in rows]  # type: ignore[arg-type]
    print(f"\n{len(rows)} functions; mean ratio {statistics.mean(ratios):.3f}, "
          f"median {statistics.median(ratios):.3f}, max {max(ratios):.2f} "
          f"(target: mean <= 1.3); {time.perf_counter() - start:.1f} s")
    for row in sorted(rows, key=lambda r: -float(r["ratio"]))[: args.worst]:  # type: ignore[arg-type]
        print(f"\n{row['function']}\n  ours:  {row['ours']}\n  sympy: {row['sympy']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
