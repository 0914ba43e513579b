"""Lesson 7: a custom autograd Function, the Legendre polynomial P3(x) = (5x^3 - 3x) / 2.

forward computes the values and saves its input; backward returns the chain rule's factor
P3'(x) = 3 (5x^2 - 1) / 2 times the incoming gradient. Autograd then treats LegendreP3 as
one operation: gradients flow through the hand-written backward. The lesson checks that
backward against a central difference, finds the positive root of P3 by Newton's method
(derivatives by autograd), and fits y = exp(x) ~ a + b x + c P3(x) by gradient descent.
Everything above the "symgrad only" line runs unchanged with torch in place of sg.
"""

import symgrad as sg


class LegendreP3(sg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x**3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x**2 - 1)


# 1. The hand-written backward against a central difference.
points = sg.tensor([-0.9, -0.3, 0.2, 0.75], requires_grad=True)
LegendreP3.apply(points).sum().backward()
step = 1e-6
with sg.no_grad():
    central = (LegendreP3.apply(points + step) - LegendreP3.apply(points - step)) / (2 * step)
for value, by_backward, by_difference in zip(points.tolist(), points.grad.tolist(), central.tolist()):
    print(f"P3'({value:+.2f}) backward {by_backward:.12e}  central difference {by_difference:.6e}")

# 2. Newton's method for the positive root of P3 (it is sqrt(3/5)).
x = sg.tensor(1.0, requires_grad=True)
for iteration in range(1, 7):
    value = LegendreP3.apply(x)
    (slope,) = sg.autograd.grad(value, [x])
    with sg.no_grad():
        x -= value / slope
    print(f"Newton step {iteration}: x = {x.item():.15e}")
print(f"sqrt(3/5) = {(3 / 5) ** 0.5:.15e}")

# 3. Fit exp(x) on [-1, 1] by a + b x + c P3(x).
grid = sg.linspace(-1.0, 1.0, 41)
target = sg.exp(grid)
a = sg.tensor(0.0, requires_grad=True)
b = sg.tensor(0.0, requires_grad=True)
c = sg.tensor(0.0, requires_grad=True)
for epoch in range(1, 801):
    loss = ((a + b * grid + c * LegendreP3.apply(grid) - target) ** 2).mean()
    loss.backward()
    with sg.no_grad():
        for parameter in (a, b, c):
            parameter -= 0.05 * parameter.grad
            parameter.grad = None
    if epoch % 200 == 0:
        print(f"epoch {epoch}: loss {loss.item():.15e}")
print(f"exp(x) ~ {a.item():.12e} + {b.item():.12e} x + {c.item():.12e} P3(x)")

# -- symgrad only: the custom op's node and closed form ---------------------------------------
t = sg.tensor(0.5, requires_grad=True, name="t")
y = LegendreP3.apply(t)
print("grad_fn:", y.grad_fn, " expr:", y.expr, " d/dt by symgrad's rules:", sg.diff(y.expr, "t"))
