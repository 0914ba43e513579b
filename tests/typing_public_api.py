"""Static checks of the public functions' overloads, run by mypy in .ci/run (not by pytest).

`assert_type` is a no-op at run time; under `mypy --strict` each line fails when a public
function's declared result for that kind of input changes (Expr in gives Expr out, Tensor in
gives Tensor out, a number gives a float).
"""

from __future__ import annotations

from typing import assert_type

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
assert_type(sg.pi, sg.Expr)
assert_type(sg.E * x, sg.Expr)
assert_type(float(sg.pi), float)
