"""Seed notebook 3: autograd on a 2x2 tensor, non-leaf gradients, vector-Jacobian products."""

import warnings

import symgrad as sg

x = sg.ones(2, 2, requires_grad=True)
print(x)
y = x + 2
print(y)
print(y.grad_fn)
z = y * y * 3
out = z.mean()
print(z, out)

a = sg.randn(2, 2, seed=0)
a = (a * 3) / (a - 1)
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn)

# o = mean(3 (x + 2)^2), so do/dx = 3/2 (x + 2) = 4.5 at x = 1.
out.backward()
print(x.grad)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # PyTorch's warning: .grad of a non-leaf is never filled
    print(y.grad)
    print(z.grad)

# y = x * 2^k until |y| >= 1000; backward(v) gives J^T v = 2^k v. A fixed x keeps it exact.
x = sg.tensor([-0.3707, 0.0267, -0.5518], requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
print(y)
v = sg.tensor([0.1, 1.0, 0.0001])
y.backward(v)
print(x.grad)

# The first example again, seeded by a 2x2 v: d z / d x = 6 (x + 2) = 18 times v.
x = sg.tensor(sg.ones(2, 2), requires_grad=True, name="x")
y = x + 2
z = y * y * 3
print(z)
v = sg.tensor([[1.0, 1.0], [10.0, 10.0]])
z.backward(v)
print(x.grad)

# The same vector-Jacobian product by numeric reverse mode on the symbolic DAG.
value, gradient = sg.reverse(z.expr, at={"x": x.detach().numpy()}, seed=v.numpy())
print("sg.reverse of", z.expr, ":", gradient["x"].tolist())
