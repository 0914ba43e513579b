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
assert_type(sg.ones(2, 2), sg.Tensor)
assert_type(x.diff("x"), sg.Expr)

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
