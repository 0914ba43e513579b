"""Lesson 8: a two-layer network trained with sg.nn and sg.optim.SGD.

The data: 36 points on a grid in the square [-1, 1]^2, labelled 1 where x1 * x2 > 0 (the
"XOR" quadrants), which no linear model separates. The model: Linear(2, 8) -> Tanh ->
Linear(8, 1) giving a logit, trained full batch on BCEWithLogitsLoss with momentum SGD.
The weights start from a fixed formula instead of random numbers, so the run is the same
every time and in every library. Everything above the "symgrad only" line runs unchanged
with torch in place of sg.
"""

import math

import symgrad as sg

coordinates = [-1.0 + 0.4 * step for step in range(6)]
points = [[u, v] for u in coordinates for v in coordinates]
inputs = sg.tensor(points)
labels = sg.tensor([[1.0 if u * v > 0 else 0.0] for u, v in points])

model = sg.nn.Sequential(sg.nn.Linear(2, 8), sg.nn.Tanh(), sg.nn.Linear(8, 1))
with sg.no_grad():
    for number, parameter in enumerate(model.parameters()):
        shape = parameter.shape
        rows, columns = shape[0], shape[1] if len(shape) == 2 else 1
        values = [[math.sin(1.7 * row + 2.3 * column + number) for column in range(columns)]
                  for row in range(rows)]
        parameter[:] = sg.tensor(values if len(shape) == 2 else [row[0] for row in values])

loss_function = sg.nn.BCEWithLogitsLoss()
optimizer = sg.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)

for epoch in range(1, 301):
    optimizer.zero_grad()
    loss = loss_function(model(inputs), labels)
    loss.backward()
    optimizer.step()
    if epoch % 50 == 0:
        print(f"epoch {epoch:4d}  loss {loss.item():.15e}")

with sg.no_grad():
    logits = model(inputs)
correct = sum(1 for logit, label in zip(logits.tolist(), labels.tolist())
              if (logit[0] > 0) == (label[0] > 0.5))
print(f"training accuracy: {correct} of {len(points)}")
print(f"logit at (0.5, 0.5): {model(sg.tensor([0.5, 0.5])).item():.15e}")
print(f"logit at (0.5, -0.5): {model(sg.tensor([0.5, -0.5])).item():.15e}")

# -- symgrad only: the loss as one closed form in the named parameters ------------------------
loss = loss_function(model(inputs), labels)
optimizer.zero_grad()
loss.backward()
formula = loss.expr
print("parameters in the loss formula:", sorted(formula.symbols))
at = {"layer" + name.replace(".", "_"): parameter.numpy() for name, parameter in model.named_parameters()}
by_formula = sg.diff(formula, "layer2_bias").eval(at)
print(f"d loss / d layer2_bias: by backward {model[2].bias.grad.tolist()[0]:.6e}, "
      f"by the formula {float(by_formula.reshape(-1)[0]):.6e}")
