"""Seed notebook 4: sg.autograd.grad, seeds (grad_outputs), and a second derivative.

d/dx x^2 at 1 is 2; the gradient of x^2 + y^2 at (1, 2) is (2, 4); for f(x, y) = x^2 y at
(1, 2), d/dy (f_x^2 - 1)^2 = 480, by grad(create_graph=True) and by backward(create_graph=True).
"""

import symgrad as sg
from symgrad.eager.autograd import grad

x = sg.tensor([1.0], requires_grad=True)
y = x**2
print("d x^2/dx at 1:", grad(y, x))

x = sg.tensor([1.0], requires_grad=True)
y = sg.tensor([2.0], requires_grad=True)
z = x**2 + y**2
print("dz/dx:", grad(z, x, retain_graph=True))
print("dz/dy:", grad(z, y, retain_graph=True))
print("dz/d[x, y]:", grad(z, [x, y]))

for seed in (sg.ones(5), sg.zeros(5), sg.ones(5) * 2):
    x = sg.tensor([1.0, 2.0, 3.0, 4.0, 5.0], requires_grad=True)
    y = x**2
    print("grad_outputs", seed.tolist(), "->", grad(y, x, grad_outputs=seed))

# Route 1: f_x as a recorded tensor, then backward through it.
x = sg.tensor([1.0], requires_grad=True)
y = sg.tensor([2.0], requires_grad=True)
f = x * x * y
f_x = grad(f, x, create_graph=True)[0]
print("f_x:", f_x)
w = (f_x**2 - 1) ** 2
w.backward()
print("route 1, dw/dy:", y.grad)

# Route 2: backward(create_graph=True) fills x.grad with a recorded tensor; y.grad holds
# df/dy = x^2 = 1 from that pass, so it is zeroed before the second backward (else 481).
x = sg.tensor([1.0], requires_grad=True)
y = sg.tensor([2.0], requires_grad=True)
f = x * x * y
f.backward(create_graph=True)
w = (x.grad**2 - 1) ** 2
y.grad.zero_()
w.backward()
print("route 2, dw/dy:", y.grad)

# Route 3: the closed form from the traced DAG.
def w_of(x, y):
    f = x * x * y
    (f_x,) = grad(f, x, create_graph=True)
    return (f_x**2 - 1) ** 2


expr = sg.trace(w_of, x=1.0, y=2.0)
print("route 3:", expr, "; d/dy at (1, 2) =", sg.diff(expr, "y").eval(x=1.0, y=2.0))
