"""Seed notebook 5: derivatives by hand, by autograd, and for a logistic-regression loss.

dz/dx of sin(x^2) is 2x cos(x^2): -7.6613 at x = 4. For one example of binary cross-entropy
with a sigmoid the chain rule by hand and backward() agree: dL/dw = 6.6918, dL/db = 0.9988.
"""

import math

import symgrad as sg


def dz_dx(x):
    return 2 * x * math.cos(x**2)


print("dy/dx of x^2 at 3 by hand:", 2 * 3)
print("dz/dx of sin(x^2) at 2 by hand:", dz_dx(2))

x = sg.tensor(3.0, requires_grad=True)
y = x**2
print(x, y)
y.backward()
print("dy/dx at 3:", x.grad)

x = sg.tensor(3.0, requires_grad=True)
y = x**2
z = sg.sin(y)
print(x, y, z)

print("dz/dx at 4 by hand:", dz_dx(4))
x = sg.tensor(4.0, requires_grad=True, name="x")
y = x**2
z = sg.sin(y)
print(x, y, z)
z.backward()
print("dz/dx at 4 by autograd:", x.grad)
print("and symbolically:", sg.diff(z.expr, "x"), "=", sg.diff(z.expr, "x").eval(x=4.0))


def binary_cross_entropy_loss(prediction, target):
    epsilon = 1e-8
    prediction = sg.clamp(prediction, epsilon, 1 - epsilon)
    return -target * sg.log(prediction) - (1 - target) * sg.log(1 - prediction)


# The chain rule by hand, on tensors that record nothing.
x = sg.tensor(6.7)  # input feature
y = sg.tensor(0.0)  # true label
w = sg.tensor(1.0)
b = sg.tensor(0.0)
z = w * x + b
y_pred = sg.sigmoid(z)
loss = binary_cross_entropy_loss(y_pred, y)
dloss_dy_pred = -y / y_pred + (1 - y) / (1 - y_pred)
dy_pred_dz = y_pred * (1 - y_pred)
dL_dw = dloss_dy_pred * dy_pred_dz * x
dL_db = dloss_dy_pred * dy_pred_dz * 1
print(f"Manual gradient of loss with respect to w: {dL_dw}")
print(f"Manual gradient of loss with respect to b: {dL_db}")

# The same by backward().
w = sg.tensor(1.0, requires_grad=True)
b = sg.tensor(0.0, requires_grad=True)
z = w * x + b
print(z)
y_pred = sg.sigmoid(z)
print(y_pred)
loss = binary_cross_entropy_loss(y_pred, y)
print(loss)
loss.backward()
print(w.grad)
print(b.grad)

# Vector input: d mean(x^2)/dx = 2x/3.
x = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
print(x)
y = (x**2).mean()
print(y)
y.backward()
print(x.grad)

# Clearing gradients.
x = sg.tensor(2.0, requires_grad=True)
print(x)
y = x**2
print(y)
y.backward()
print(x.grad)
print(x.grad.zero_())

# Three ways to stop tracking: requires_grad=False, detach(), no_grad().
x = sg.tensor(2.0, requires_grad=True)
print(x.detach())
with sg.no_grad():
    y = x**2
print(y, y.requires_grad)
