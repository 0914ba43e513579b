"""Static checks of the public functions' overloads, run by mypy in .ci/run (not by pytest).

`assert_type` is a no-op at run time; under `mypy --strict` each line fails when a public
function's declared result for that kind of input changes (Expr in gives Expr out, Tensor in
gives Tensor out, a number gives a float).
"""

from __future__ import annotations

from typing import Any, assert_type

import numpy as np

import symgrad as sg

x: sg.Expr = sg.parse("x")
t = sg.tensor([1.0, 2.0], requires_grad=True)
array = np.ones(3)

assert_type(sg.sin(x), sg.Expr)
assert_type(sg.sin(t), sg.Tensor)
assert_type(sg.sin(0.5), float)
assert_type(sg.exp(2), float)
assert_type(sg.sin(array), "np.ndarray | float")
assert_type(sg.sum(x), sg.Expr)
assert_type(sg.sum(t), sg.Tensor)
assert_type(sg.sum(array), float)
assert_type(sg.atan2(x, 1.0), sg.Expr)
assert_type(sg.atan2(1.0, x), sg.Expr)
assert_type(sg.atan2(t, 1.0), sg.Tensor)
assert_type(sg.atan2(1.0, 2.0), float)
assert_type(sg.max(x, x), sg.Expr)
assert_type(sg.matmul(t, t), sg.Tensor)
assert_type(sg.log(x), sg.Expr)
assert_type(sg.log(x, 2.0), sg.Expr)
assert_type(sg.log(8.0, 2.0), float)
assert_type(sg.log(t), sg.Tensor)
assert_type(sg.where(x, x, 0.0), sg.Expr)
assert_type(sg.clamp(t, 0.0, 1.0), sg.Tensor)
assert_type(sg.clamp(0.5, 0.0, 1.0), float)
assert_type(sg.transpose(x), sg.Expr)
assert_type(sg.parse("x*y"), sg.Expr)
assert_type(sg.parse_latex(r"\frac{x}{2}"), sg.Expr)
assert_type(sg.ones(2, 2), sg.Tensor)
assert_type(x.diff("x"), sg.Expr)
assert_type(sg.remainder(t, 2.0), sg.Tensor)
assert_type(sg.fmod(x, x), sg.Expr)
assert_type(sg.heaviside(x), sg.Expr)
assert_type(sg.heaviside(x, 0.5), sg.Expr)
assert_type(sg.heaviside(0.5, x), sg.Expr)
assert_type(sg.heaviside(t), sg.Tensor)
assert_type(sg.heaviside(0.0, 1.0), float)
assert_type(sg.stack([t, t]), sg.Tensor)
assert_type(sg.cat([t, t], dim=0), sg.Tensor)
assert_type(sg.meshgrid(t, t, indexing="ij"), tuple[sg.Tensor, ...])
assert_type(t.to(sg.float32), sg.Tensor)
assert_type(t.dtype, sg.dtype)
assert_type(t.float().double().long().bool(), sg.Tensor)
assert_type(t.add_(1.0), sg.Tensor)
assert_type(t._version, int)
assert_type(sg.ones(2, dtype=sg.float32, device="cpu"), sg.Tensor)

# sg.autograd, sg.nn, sg.optim (PyTorch parity)
assert_type(sg.autograd.grad(t.sum(), [t]), tuple[sg.Tensor | None, ...])
assert_type(sg.autograd.Function.apply(t), Any)
assert_type(sg.autograd.functional.vjp(sg.exp, t, t), tuple[Any, Any])
assert_type(sg.nn.Parameter(t), sg.nn.Parameter)
layer = sg.nn.Linear(2, 1)
assert_type(layer.forward(t), sg.Tensor)
assert_type(layer.weight, sg.nn.Parameter)
assert_type(list(layer.parameters()), list[sg.Tensor])
assert_type(sg.nn.functional.mse_loss(t, t), sg.Tensor)
assert_type(sg.nn.functional.cross_entropy(t, t), sg.Tensor)
assert_type(sg.optim.SGD(layer.parameters(), lr=0.1).step(), Any)
assert_type(sg.optim.Adam(layer.parameters()).zero_grad(), None)
assert_type(sg.manual_seed(0), None)
assert_type(sg.series(x, "x", at=0, order=4), sg.Expr)
assert_type(sg.taylor(x, "x", at=0.5, order=4), np.ndarray)

# Homework verification and grading.
verdict = sg.verify("x^2", "2x", wrt="x", order=1, at={"x": (5, 10)})
assert_type(verdict, sg.Verdict)
assert_type(verdict.ok, "bool | None")
assert_type(verdict.status, str)
assert_type(verdict.to_dict(), "dict[str, Any]")
assert_type(sg.verify("x^2 y", {"x": "2 x y", "y": "x^2"}), sg.Verdict)
assert_type(sg.verify_implicit("x^2 + y^2 = 25", "-x/y", wrt="x", dependent="y"), sg.Verdict)
report = sg.grade([{"id": "1", "function": "x^2", "variable": "x", "answer": "2x"}])
assert_type(report, sg.GradeReport)
assert_type(report.rows[0], sg.Graded)
assert_type(sg.read_answers("answers.csv"), "list[dict[str, Any]]")
assert_type(sg.pi, sg.Expr)
assert_type(sg.E * x, sg.Expr)
assert_type(float(sg.pi), float)
