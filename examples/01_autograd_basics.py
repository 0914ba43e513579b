"""Seed notebook 1: derivatives of scalar and vector functions with eager tensors.

y = 3x^2 + 4x + 2ux at x = 3, u = 2; z = 3x^2 + x; y again at x = 7; a dot product; a vector
output with a seed; a function with Python control flow, by backward and by tracing.
"""

import symgrad as sg

# y = 3x^2 + 4x + 2ux: dy/dx = 6x + 4 + 2u, dy/du = 2x.
x = sg.tensor(3.0, requires_grad=True)
u = sg.tensor(2.0, requires_grad=True)
y = 3 * x**2 + 4 * x + 2 * u * x
y.backward()
print("dy/dx for x = 3 : ", x.grad)
print("dy/du for u = 2 : ", u.grad)

# Gradients accumulate until zeroed.
x.grad.zero_()
z = 3 * x**2 + x
z.backward()
print("dz/dx at x = 3 : ", x.grad)

x = sg.tensor(7.0, requires_grad=True)
y = 3 * x**2 + 4 * x + 2 * u * x  # a new x needs a new y
y.backward()
print("dy/dx at x = 7 : ", x.grad)

# Vector input, scalar output: the gradient has the input's shape.
row = sg.tensor([[1.0, 7.0, -2.0]])
print("2-D:", row.shape, row.t().shape, row @ row.t())
vector = sg.tensor([1.0, 7.0, -2.0])
print("1-D:", vector.shape, vector.t().shape, vector @ vector.t())
x = sg.tensor([1.0, 7.0, -2.0], requires_grad=True)
y = 3 * sg.dot(x, sg.tensor([1.0, 7.0, 5.0])) + x @ x.t()
print(y)
y.backward()
print("grad of 3 x.[1, 7, 5] + x.x :", x.grad)

# Vector output: backward needs the seed v and gives v^T J.
x = sg.tensor([1.0, 7.0, -2.0], requires_grad=True)
y = 3 * x * x + x**2
print(y)
try:
    y.backward()
except sg.AutogradError as error:
    print("backward() without a seed:", error)
y.backward(gradient=sg.ones(len(y)))
print("v^T J with v = ones :", x.grad)


# Python control flow: the derivative of the path taken.
def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


a = sg.tensor([5.0], requires_grad=True)
d = f(a)
d.backward()
print("df/da at a = 5: ", a.grad)
traced = sg.trace(f, a=5.0)
print("traced path:", traced, " derivative:", sg.diff(traced, "a"))
