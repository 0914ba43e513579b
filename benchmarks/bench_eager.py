"""Eager overhead: microseconds per recorded operation, forward plus backward.

    python benchmarks/bench_eager.py [--repeats 15]

A 100-variable Rosenbrock function built from scalar tensors in a Python loop (792 recorded
operations), then backward(). Columns, measured in this one run: symgrad tensors, torch
scalar tensors (float64, when importable), and a plain-Python micrograd-style `Value` written
below as the floor of pure-Python autograd. Times are medians of the repeats, in CPU time
of this process (so other processes on a loaded machine do not distort them). A second table
times chains of 10^3 to 10^5 multiplications (10^5 deep: nothing recurses), beside the same
chain of micrograd-style Values: both grow alike per op with size (allocator, cache and
cyclic-GC effects of 10^5 live Python objects), so the ratio column staying flat is the
linear scaling. Targets: <= 8 us per op, <= half of torch's time.
"""

from __future__ import annotations

import argparse
import importlib
import math
import statistics
import sys
import time
from typing import Any, Callable

import symgrad as sg

VARIABLES = 100
OPS_PER_TERM = 8  # a**2, b - ., .**2, 100 * ., 1 - a, .**2, and two additions


class Value:
    """A scalar with reverse-mode autograd in plain Python (the micrograd design)."""

    __slots__ = ("data", "grad", "parents", "local")

    def __init__(self, data: float, parents: tuple[Value, ...] = (), local: tuple[float, ...] = ()) -> None:
        self.data, self.grad, self.parents, self.local = data, 0.0, parents, local

    def __add__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(float(other))
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    __radd__ = __add__

    def __mul__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(float(other))
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    __rmul__ = __mul__

    def __sub__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(float(other))
        return Value(self.data - other.data, (self, other), (1.0, -1.0))

    def __rsub__(self, other: Any) -> Value:
        return Value(float(other)) - self

    def __pow__(self, exponent: float) -> Value:
        return Value(self.data**exponent, (self,), (exponent * self.data ** (exponent - 1),))

    def backward(self) -> None:
        """Adjoints in reverse topological order, found without recursion."""
        order: list[Value] = []
        seen: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((parent, False) for parent in node.parents)
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node.parents, node.local):
                parent.grad += local * node.grad


def rosenbrock(xs: list[Any]) -> Any:
    total: Any = 0
    for i in range(len(xs) - 1):
        total = total + 100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2
    return total


def median_seconds(runs: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median CPU time of each run (other processes' load does not count); runs take turns."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.process_time()
            run()
            times[name].append(time.process_time() - start)
    return {name: statistics.median(samples) for name, samples in times.items()}


def rosenbrock_rows(repeats: int) -> list[tuple[str, float, float]]:
    """(library, us per op forward, us per op forward + backward)."""
    ops = (VARIABLES - 1) * OPS_PER_TERM
    start = [0.5 + 0.01 * i for i in range(VARIABLES)]
    makers: dict[str, Callable[[], list[Any]]] = {
        "symgrad": lambda: [sg.tensor(v, requires_grad=True) for v in start],
        "micrograd-style": lambda: [Value(v) for v in start],
    }
    torch = _optional("torch")
    if torch is not None:
        torch.set_num_threads(1)  # CPU time then equals the time of the one thread
        makers["torch"] = lambda: [torch.tensor(v, dtype=torch.float64, requires_grad=True)
                                   for v in start]
    inputs = {name: make() for name, make in makers.items()}
    for xs in inputs.values():
        rosenbrock(xs).backward()  # warm up
    forward = median_seconds({name: (lambda xs=xs: rosenbrock(xs)) for name, xs in inputs.items()},
                             repeats)
    both = median_seconds({name: (lambda xs=xs: rosenbrock(xs).backward())
                           for name, xs in inputs.items()}, repeats)
    return [(name, forward[name] / ops * 1e6, both[name] / ops * 1e6) for name in makers]


def check_gradient() -> None:
    """The symgrad gradient equals the closed form (so the timing measures real work)."""
    xs = [sg.tensor(0.5 + 0.01 * i, requires_grad=True) for i in range(VARIABLES)]
    rosenbrock(xs).backward()
    values = [0.5 + 0.01 * i for i in range(VARIABLES)]
    for i, x in enumerate(xs):
        expected = 0.0
        if i < VARIABLES - 1:
            expected += -400 * values[i] * (values[i + 1] - values[i] ** 2) - 2 * (1 - values[i])
        if i > 0:
            expected += 200 * (values[i] - values[i - 1] ** 2)
        assert math.isclose(x.grad.item(), expected, rel_tol=1e-12, abs_tol=1e-9), (i, x.grad, expected)


def chain_rows(lengths: list[int], repeats: int) -> list[tuple[int, float, float]]:
    """(operations, symgrad us per op, micrograd-style us per op) for y = y * 1.0001 chains.

    A chain of 10^5 ops is 10^5 deep: backward walks it without recursion.
    """
    rows = []
    for length in lengths:
        def run(make: Callable[[float], Any]) -> None:
            x = make(1.0)
            y = x
            for _ in range(length):
                y = y * 1.0001
            y.backward()
        times = median_seconds({"symgrad": lambda: run(lambda v: sg.tensor(v, requires_grad=True)),
                                "micrograd": lambda: run(Value)}, max(3, repeats // 3))
        ours, baseline = times["symgrad"], times["micrograd"]
        rows.append((length, ours / length * 1e6, baseline / length * 1e6))
    return rows


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    check_gradient()
    print(f"Rosenbrock, {VARIABLES} scalar variables, {(VARIABLES - 1) * OPS_PER_TERM} ops; "
          f"median of {args.repeats}; python {sys.version.split()[0]}")
    rows = rosenbrock_rows(args.repeats)
    ours = dict((name, both) for name, _, both in rows)["symgrad"]
    print(f"{'library':<18}{'forward us/op':>15}{'fwd+bwd us/op':>15}{'vs symgrad':>12}")
    for name, forward, both in rows:
        print(f"{name:<18}{forward:>15.2f}{both:>15.2f}{both / ours:>11.2f}x")
    torch_time = dict((name, both) for name, _, both in rows).get("torch")
    verdict = f"symgrad {ours:.2f} us/op (target <= 8)"
    if torch_time is not None:
        verdict += f"; symgrad / torch = {ours / torch_time:.2f} (target <= 0.5)"
    print(verdict)
    print()
    print(f"{'chain ops':>10}{'symgrad us/op':>15}{'micrograd us/op':>17}{'ratio':>8}")
    for length, ours_per_op, baseline_per_op in chain_rows([1_000, 10_000, 100_000], args.repeats):
        print(f"{length:>10}{ours_per_op:>15.2f}{baseline_per_op:>17.2f}"
              f"{ours_per_op / baseline_per_op:>8.2f}")


if __name__ == "__main__":
    main()
