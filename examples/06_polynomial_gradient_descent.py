"""Lesson 6: fit a cubic to cos(x) on [-2, 2] by plain gradient descent.

The four coefficients are leaf tensors that require grad; each step computes the mean
squared error, lets backward() fill their .grad, and updates them inside no_grad() (the
update itself must not be recorded), then clears the gradients, which would otherwise add up.
Everything above the "symgrad only" line runs unchanged with torch in place of sg.
"""

import symgrad as sg

x = sg.linspace(-2.0, 2.0, 101)
target = sg.cos(x)

coefficients = [sg.tensor(start, requires_grad=True) for start in (0.5, -0.25, 0.0, 0.1)]
learning_rate = 0.02


def cubic(points):
    a, b, c, d = coefficients
    return a + b * points + c * points**2 + d * points**3


for step in range(1, 1501):
    loss = ((cubic(x) - target) ** 2).mean()
    loss.backward()
    with sg.no_grad():
        for coefficient in coefficients:
            coefficient -= learning_rate * coefficient.grad
            coefficient.grad.zero_()
    if step % 300 == 0:
        print(f"step {step:5d}  loss {loss.item():.15e}")

a, b, c, d = (coefficient.item() for coefficient in coefficients)
print(f"cos(x) ~ {a:.15e} + {b:.15e} x + {c:.15e} x^2 + {d:.15e} x^3")
print(f"at x = 1: {cubic(sg.tensor(1.0)).item():.15e}  (cos(1) = {sg.cos(sg.tensor(1.0)).item():.15e})")

# -- symgrad only: the loss as a formula in the coefficients --------------------------------
names = ["a", "b", "c", "d"]
symbolic = [sg.tensor(value.item(), requires_grad=True, name=name)
            for value, name in zip(coefficients, names)]
coefficients = symbolic
loss = ((cubic(x) - target) ** 2).mean()
print("loss as an expression of", sorted(loss.expr.symbols), "with", loss.expr.size, "nodes")
gradient = sg.grad(loss.expr)
at = {name: value.item() for name, value in zip(names, symbolic)}
print("symbolic gradient at the fit:", {name: f"{float(gradient[name].eval(at)):.3e}" for name in names})
