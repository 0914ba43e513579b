"""Seed notebook 2: sin'(2), strides and views, finite differences, dot products, detach."""

import numpy as np

import symgrad as sg

x = sg.tensor([2.0], requires_grad=True)
y = sg.sin(x)
y.backward()
print("d sin(x)/dx at 2:", x.grad)
print("x.stride():", x.stride())

# A transpose is a view: writing into it writes into the original.
A = sg.ones(10, 10)
B = A.t()
print("strides:", A.stride(), B.stride())
B[1] = 10
print(A)

# The limit definition of the derivative of 3x^2 - 4x at 1 (the answer is 2).
f = lambda x: 3 * x**2 - 4 * x  # noqa: E731
for h in 10 ** np.arange(-1, -6, -1, dtype=float):
    print(f"h={h:.5f}, numerical limit= {(f(1 + h) - f(1)) / h:.5f}")
print("symbolic:", sg.diff(f(sg.symbols("x")), "x").eval(x=1.0))

x = sg.arange(4.0, requires_grad=True)
y = 2 * x @ x
y.backward()
print((y, x.grad))
print("x.grad == 4*x:", x.grad == 4 * x)

x.grad.zero_()
y = 2 * x.sum()
y.backward()
print("grad of 2 sum(x):", x.grad, y, x.sum())

x.grad.zero_()
y = x * x
y.backward(gradient=sg.ones(len(y)))
print("v^T J of x*x:", x.grad, y)

# detach() makes u a constant: d(u * x)/dx = u.
x.grad.zero_()
y = x * x
u = y.detach()
z = u * x
z.sum().backward()
print("x.grad == u:", x.grad == u)
