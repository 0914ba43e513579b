"""The worked examples of the seed notebooks, every derivative computed five ways.

Each example is one Python function written as the notebooks write it; called on symbols it
builds an Expr, called on eager tensors it records a computation, so the closed form, the
numeric reverse sweep, the tensors' `.backward()`, the compiled kernel and finite
differences all see the same mathematics. `run()` prints them side by side (`symgrad demo`).
The first four share symgrad's derivative rules (a wrong rule would show in all four); finite
differences, from the function's values only, are the independent oracle.
Only numpy and symgrad's core are used: no SymPy, no optional packages.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Callable, TextIO

import numpy as np

from .eager import autograd
from .ops import functions as F
from .checking.check import finite_difference_gradient
from .numeric.kernel import compile as compile_kernel
from .calculus.differentiate import diff, grad, vjp
from .core.expr import Expr, constant, symbol
from .numeric.reverse import reverse
from .eager.tensor import Tensor, tensor
from .eager.tracing import trace

SHARED = ("closed form", "reverse", "tensor", "kernel")   # symgrad's derivative rules
INDEPENDENT = ("finite diff",)                             # never uses them
METHODS = SHARED + INDEPENDENT


@dataclass(frozen=True)
class Example:
    """A notebook computation: `function(**variables)`, its point, and what PyTorch printed."""

    title: str
    function: Callable[..., Any]
    at: dict[str, Any]
    wrt: tuple[str, ...]
    notebook: str
    seed: Any = None                 # the `gradient=` of backward, for a vector output
    traced: bool = False             # Python control flow: the Expr comes from sg.trace
    constants: tuple[str, ...] = field(default=())   # inputs that do not require grad


def _differentiate(f: Any, variable: Any) -> Any:
    """d f / d variable, as an Expr for Exprs and as a differentiable tensor for tensors."""
    if isinstance(f, Tensor):
        return autograd.grad(f, [variable], create_graph=True)[0]
    return diff(f, variable)


def _loss(w: Any, b: Any, x: Any, y: Any) -> Any:
    prediction = F.clamp(F.sigmoid(w * x + b), 1e-8, 1 - 1e-8)
    return -y * F.log(prediction) - (1 - y) * F.log(1 - prediction)


def _doubling(a: Any) -> Any:
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    return b if b.sum() > 0 else 100 * b


def _second_order(x: Any, y: Any) -> Any:
    f_x = _differentiate(x * x * y, x)
    return (f_x ** 2 - 1) ** 2


EXAMPLES = (
    Example("y = 3x^2 + 4x + 2ux", lambda x, u: 3 * x**2 + 4 * x + 2 * u * x,
            {"x": 3.0, "u": 2.0}, ("x", "u"), "x.grad = 26, u.grad = 6"),
    Example("z = 3x^2 + x", lambda x: 3 * x**2 + x, {"x": 3.0}, ("x",), "19"),
    Example("y = 3 dot(x, [1,7,5]) + x@x", lambda x: 3 * F.dot(x, np.array([1.0, 7.0, 5.0])) + x @ x,
            {"x": [1.0, 7.0, -2.0]}, ("x",), "[5, 35, 11]"),
    Example("y = 3x*x + x^2, backward(ones)", lambda x: 3 * x * x + x**2,
            {"x": [1.0, 7.0, -2.0]}, ("x",), "[8, 56, -16]", seed=np.ones(3)),
    Example("z = sin(x^2)", lambda x: F.sin(x**2), {"x": 4.0}, ("x",), "-7.6613"),
    Example("binary cross-entropy of sigmoid(w x + b)", _loss,
            {"w": 1.0, "b": 0.0, "x": 6.7, "y": 0.0}, ("w", "b"), "w: 6.6918, b: 0.9988",
            constants=("x", "y")),
    Example("mean(x^2)", lambda x: F.mean(x**2), {"x": [1.0, 2.0, 3.0]}, ("x",),
            "[0.6667, 1.3333, 2]"),
    Example("mean(3 (x + 2)^2), x = ones(2, 2)", lambda x: F.mean(3 * (x + 2) ** 2),
            {"x": np.ones((2, 2))}, ("x",), "4.5 everywhere"),
    Example("(df/dx^2 - 1)^2 with f = x^2 y", _second_order, {"x": 1.0, "y": 2.0}, ("y",),
            "y.grad = 480"),
    Example("doubling while norm < 1000 (control flow)", _doubling, {"a": [5.0]}, ("a",),
            "[256]", seed=np.ones(1), traced=True),
)


def _expression(example: Example) -> Expr:
    if example.traced:
        return trace(example.function, **example.at)
    symbols = {name: symbol(name, np.shape(value)) for name, value in example.at.items()}
    built: Expr = example.function(**symbols)
    return built


def _scalar_target(expr: Expr, seed: Any) -> Expr:
    return expr if seed is None else F.sum(constant(seed) * expr)


def partials(expr: Expr, example: Example) -> dict[str, Expr]:
    """The closed-form derivatives the example asks for (v^T J for a seeded vector output)."""
    if example.seed is None:
        return grad(expr, list(example.wrt))
    symbols = [symbol(name, np.shape(example.at[name])) for name in example.wrt]
    return dict(zip(example.wrt, vjp([expr], [constant(example.seed)], symbols)))


def _closed_form(expr: Expr, example: Example) -> dict[str, Any]:
    return {name: partial.eval(**example.at) for name, partial in partials(expr, example).items()}


def _reverse(expr: Expr, example: Example) -> dict[str, Any]:
    return reverse(expr, at=example.at, wrt=list(example.wrt), seed=example.seed)[1]


def _tensor(example: Example) -> dict[str, Any]:
    leaves = {name: tensor(value, requires_grad=name not in example.constants)
              for name, value in example.at.items()}
    result = example.function(**leaves)
    result.backward(None if example.seed is None else tensor(example.seed))
    gradients = {name: leaves[name].grad for name in example.wrt}
    return {name: gradient.numpy() for name, gradient in gradients.items() if gradient is not None}


def _kernel(expr: Expr, example: Example) -> dict[str, Any]:
    kernel = compile_kernel(_scalar_target(expr, example.seed), wrt=list(example.wrt), grad=True)
    gradients: dict[str, Any] = kernel(**example.at)[1]
    return gradients


def _finite(expr: Expr, example: Example) -> dict[str, Any]:
    return finite_difference_gradient(expr, example.at, list(example.wrt), seed=example.seed)


def compute(example: Example) -> tuple[Expr, dict[str, dict[str, Any]]]:
    """The example's Expr and its gradient by each method: method -> name -> value."""
    expr = _expression(example)
    return expr, {
        "closed form": _closed_form(expr, example),
        "reverse": _reverse(expr, example),
        "tensor": _tensor(example),
        "kernel": _kernel(expr, example),
        "finite diff": _finite(expr, example),
    }


def _cell(value: Any) -> str:
    return f"{float(value):.6g}"


def _point(at: dict[str, Any]) -> str:
    shown = []
    for name, value in at.items():
        array = np.asarray(value, dtype=np.float64)
        text = _cell(array) if array.ndim == 0 else f"[{', '.join(_cell(v) for v in array.ravel())}]"
        shown.append(f"{name}={text}" + (f" (shape {array.shape})" if array.ndim > 1 else ""))
    return ", ".join(shown)


def _rows(example: Example, results: dict[str, dict[str, Any]]) -> list[list[str]]:
    """One row per derivative: per element for a vector variable."""
    rows = []
    for name in example.wrt:
        shape = np.shape(example.at[name])
        for element in np.ndindex(*shape):
            label = f"d/d{name}" + (f"[{', '.join(map(str, element))}]" if element else "")
            cells = [_cell(np.asarray(results[m][name], dtype=np.float64)[element]) for m in METHODS]
            rows.append([f"   {label}", *_grouped(cells)])
    return rows


def _grouped(cells: list[str]) -> list[str]:
    """Cells in METHODS order with a `|` between symgrad's rules and the independent oracle."""
    return cells[:len(SHARED)] + ["|"] + cells[len(SHARED):]


def _clipped(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run(out: TextIO | None = None) -> bool:
    """Print every example with every method side by side; True when all methods agree."""
    out = out or sys.stdout
    print("symgrad demo: the notebook examples, each gradient computed five ways", file=out)
    print("symgrad's rules, shared (a wrong rule shows in all four): closed form = symbolic\n"
          "derivative evaluated; reverse = numeric sweep; tensor = .backward(); kernel = compiled;\n"
          "independent oracle, after the |: finite diff = central differences, Richardson-refined",
          file=out)
    agree = True
    for number, example in enumerate(EXAMPLES, start=1):
        expr, results = compute(example)
        agree &= _agreement(results)
        print(f"\n{number}. {example.title}  at {_point(example.at)}", file=out)
        print(f"   Expr {_clipped(str(expr), 40)};  PyTorch in the notebook: {example.notebook}", file=out)
        derivatives = [f"d/d{name} = {partial}" for name, partial in partials(expr, example).items()]
        print(f"   {_clipped(';  '.join(derivatives), 76)}", file=out)
        _print_table([["", *_grouped(list(METHODS))], *_rows(example, results)], out)
    verdict = "all five methods agree" if agree else "SOME METHODS DISAGREE"
    print(f"\n{verdict} on every example (relative tolerance 1e-6);\n"
          "finite differences check symgrad's rules independently.", file=out)
    return agree


def _agreement(results: dict[str, dict[str, Any]]) -> bool:
    reference = results["closed form"]
    return all(np.allclose(np.asarray(values[name], dtype=np.float64), np.asarray(reference[name]),
                           rtol=1e-6, atol=1e-8)
               for values in results.values() for name in reference)


def _print_table(rows: list[list[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip(), file=out)
