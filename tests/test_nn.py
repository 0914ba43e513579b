"""`sg.nn` and `sg.optim` against torch (float64): forward values, gradients, the names
PyTorch prints, and optimizer trajectories over several steps, from the same weights."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import numpy as np
import pytest

import symgrad as sg
from symgrad import nn

torch = pytest.importorskip("torch")
tnn = torch.nn


def numbers(value: Any) -> np.ndarray:
    return np.array(value.detach().numpy())


def both(values: Any, requires_grad: bool = False) -> tuple[Any, Any]:
    return (sg.tensor(values, requires_grad=requires_grad),
            torch.tensor(values, dtype=torch.float64, requires_grad=requires_grad))


def copy_weights(ours: nn.Module, theirs: Any) -> None:
    """Load torch's initial weights, so both models start from the same point."""
    ours.load_state_dict({key: sg.tensor(value.detach().numpy()) for key, value in theirs.state_dict().items()})


def two_layer(library: Any) -> Any:
    return library.nn.Sequential(library.nn.Linear(3, 4), library.nn.Tanh(), library.nn.Linear(4, 2))


RNG = np.random.default_rng(7)
X = RNG.standard_normal((5, 3))
Y = RNG.standard_normal((5, 2))


@pytest.fixture
def pair_of_models() -> tuple[Any, Any]:
    torch.manual_seed(0)
    theirs = two_layer(torch).double()
    ours = two_layer(sg)
    copy_weights(ours, theirs)
    return ours, theirs


# -- modules -------------------------------------------------------------------------------------
def test_sequential_forward_and_gradients_match_torch(pair_of_models: tuple[Any, Any]) -> None:
    ours, theirs = pair_of_models
    (x, tx), (y, ty) = both(X), both(Y)
    out, tout = ours(x), theirs(tx)
    np.testing.assert_allclose(numbers(out), numbers(tout), rtol=1e-12, atol=1e-12)
    nn.MSELoss()(out, y).backward()
    tnn.MSELoss()(tout, ty).backward()
    for (name, param), (tname, tparam) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(numbers(param.grad), numbers(tparam.grad), rtol=1e-10, atol=1e-12)


def test_module_repr_and_parameter_names_are_torchs(pair_of_models: tuple[Any, Any]) -> None:
    ours, theirs = pair_of_models
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours[0].weight.grad_fn is None
    assert ours(sg.tensor(X)).grad_fn.name() == theirs(torch.tensor(X)).grad_fn.name() == "AddmmBackward0"


def test_linear_on_a_vector_and_without_bias_matches_torch() -> None:
    torch.manual_seed(1)
    for bias in (True, False):
        theirs = tnn.Linear(3, 2, bias=bias).double()
        ours = nn.Linear(3, 2, bias=bias)
        copy_weights(ours, theirs)
        for data in (X[0], X):
            np.testing.assert_allclose(numbers(ours(sg.tensor(data))),
                                       numbers(theirs(torch.tensor(data))), rtol=1e-13)
        assert repr(ours) == repr(theirs)


def test_linear_initialisation_uses_kaiming_bounds_and_manual_seed() -> None:
    sg.manual_seed(3)
    first = nn.Linear(16, 8)
    sg.manual_seed(3)
    second = nn.Linear(16, 8)
    np.testing.assert_array_equal(first.weight.numpy(), second.weight.numpy())
    for param in first.parameters():
        values = param.numpy()
        assert np.all(np.abs(values) <= 0.25) and np.abs(values).max() > 0.15  # 1/sqrt(16)
        assert param.requires_grad and isinstance(param, nn.Parameter)
    assert not isinstance(sg.tensor(1.0, requires_grad=True), nn.Parameter)


class TwoLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.out = nn.Linear(3, 1)
        self.scale = 2.0  # not a parameter

    def forward(self, x: Any) -> Any:
        return self.out(nn.functional.relu(self.hidden(x))) * self.scale


def test_subclassed_module_registers_children_in_order() -> None:
    model = TwoLayer()
    assert [name for name, _ in model.named_parameters()] == [
        "hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert [name for name, _ in model.named_children()] == ["hidden", "out"]
    assert len(list(model.modules())) == 3
    assert model.training and not model.eval().training and not model.hidden.training
    assert model.train().hidden.training
    model(sg.tensor([[1.0, -1.0]])).sum().backward()
    assert all(param.grad is not None for param in model.parameters())
    model.zero_grad()
    assert all(param.grad is None for param in model.parameters())


def test_module_errors_say_what_is_wrong() -> None:
    class Early(nn.Module):
        def __init__(self) -> None:
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    model = nn.Linear(2, 2)
    with pytest.raises(sg.ArgumentError, match="missing keys"):
        model.load_state_dict({"weight": sg.ones(2, 2)})
    with pytest.raises(sg.ArgumentError, match="size mismatch for weight"):
        model.load_state_dict({"weight": sg.ones(3, 2), "bias": sg.ones(2)})
    with pytest.raises(sg.ArgumentError, match="cuda"):
        model.to("cuda")
    assert model.to("cpu") is model


def test_loss_expr_is_the_closed_form_in_parameter_symbols() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1))
    loss = nn.MSELoss()(model(sg.tensor(X[:, :2])), sg.tensor(Y[:, :1]))
    loss.backward()
    expr = loss.expr
    assert sorted(expr.symbols) == ["layer0_bias", "layer0_weight", "layer2_bias", "layer2_weight"]
    at = {"layer" + name.replace(".", "_"): param.numpy() for name, param in model.named_parameters()}
    for name, param in model.named_parameters():
        symbol = "layer" + name.replace(".", "_")
        derivative = sg.diff(expr, symbol).eval(at)
        np.testing.assert_allclose(np.asarray(derivative), param.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_named_input_is_a_symbol_of_the_loss() -> None:
    w = sg.tensor([0.5, -0.2], requires_grad=True, name="w")
    loss = nn.functional.mse_loss(sg.tensor(X[:, :2]) @ w, sg.tensor(Y[:, 0]))
    loss.backward()
    derivative = sg.diff(loss.expr, "w").eval(w=np.array([0.5, -0.2]))
    np.testing.assert_allclose(np.asarray(derivative), w.grad.numpy(), rtol=1e-13)


# -- losses and softmax --------------------------------------------------------------------------
PROBABILITIES = [[0.2, 0.9, 0.55], [0.7, 0.05, 0.4]]
LABELS = [[0.0, 1.0, 1.0], [1.0, 0.0, 0.3]]
LOGITS = [[1.5, -0.3, 0.8, 2.0], [-1.0, 0.4, 0.1, 0.0], [0.3, 2.2, -0.7, 1.1]]
CLASSES = [3, 0, 1]
SOFT = [[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.0, 1.0, 0.0, 0.0]]


def loss_cases() -> list[tuple[str, Callable[[Any, Any], Any], list[list[float]]]]:
    """(id, run(library, input) -> loss, input values); run builds the same loss in each library."""
    def t(library: Any, values: Any) -> Any:
        return sg.tensor(values) if library is sg else torch.tensor(values, dtype=torch.float64)

    def classes(library: Any, values: list[int]) -> Any:
        return sg.tensor(values) if library is sg else torch.tensor(values)

    cases: list[tuple[str, Callable[[Any, Any], Any], list[list[float]]]] = []
    for reduction in ("mean", "sum", "none"):
        cases += [
            (f"mse_{reduction}", lambda L, x, r=reduction: L.nn.MSELoss(reduction=r)(x, t(L, LABELS)), PROBABILITIES),
            (f"bce_{reduction}", lambda L, x, r=reduction: L.nn.BCELoss(reduction=r)(x, t(L, LABELS)), PROBABILITIES),
            (f"bce_logits_{reduction}", lambda L, x, r=reduction: L.nn.BCEWithLogitsLoss(reduction=r)(x, t(L, LABELS)), [row[:3] for row in LOGITS[:2]]),
            (f"cross_entropy_{reduction}", lambda L, x, r=reduction: L.nn.CrossEntropyLoss(reduction=r)(x, classes(L, CLASSES)), LOGITS),
            (f"cross_entropy_soft_{reduction}", lambda L, x, r=reduction: L.nn.CrossEntropyLoss(reduction=r)(x, t(L, SOFT)), LOGITS),
            (f"cross_entropy_options_{reduction}", lambda L, x, r=reduction: L.nn.CrossEntropyLoss(
                weight=t(L, [0.5, 1.0, 2.0, 1.5]), ignore_index=0, reduction=r, label_smoothing=0.1)(
                x, classes(L, CLASSES)), LOGITS),
            (f"cross_entropy_soft_options_{reduction}", lambda L, x, r=reduction: L.nn.CrossEntropyLoss(
                weight=t(L, [0.5, 1.0, 2.0, 1.5]), reduction=r, label_smoothing=0.2)(x, t(L, SOFT)), LOGITS),
            (f"nll_{reduction}", lambda L, x, r=reduction: L.nn.NLLLoss(weight=t(L, [0.5, 1.0, 2.0, 1.5]), reduction=r)(
                L.nn.functional.log_softmax(x, dim=1), classes(L, CLASSES)), LOGITS),
        ]
    cases += [
        ("bce_weighted", lambda L, x: L.nn.functional.binary_cross_entropy(x, t(L, LABELS), weight=t(L, [2.0, 1.0, 0.5])), PROBABILITIES),
        ("bce_logits_pos_weight", lambda L, x: L.nn.BCEWithLogitsLoss(weight=t(L, [1.0, 0.5, 2.0]), pos_weight=t(L, [3.0, 1.0, 0.5]))(
            x, t(L, LABELS)), [row[:3] for row in LOGITS[:2]]),
        ("cross_entropy_one_sample", lambda L, x: L.nn.functional.cross_entropy(x[0], classes(L, 2)), LOGITS),
        ("softmax_dim0", lambda L, x: (L.nn.functional.softmax(x, dim=0) * t(L, LOGITS)).sum(), LOGITS),
        ("softmax_dim1", lambda L, x: (L.nn.Softmax(dim=1)(x) * t(L, LOGITS)).sum(), LOGITS),
        ("log_softmax_large", lambda L, x: (L.nn.functional.log_softmax(x * 100, dim=-1) ** 2).sum(), LOGITS),
        ("log_softmax_vector", lambda L, x: L.nn.LogSoftmax(dim=0)(x[1])[2] + L.nn.functional.log_softmax(x[1], dim=0)[0], LOGITS),
        ("relu_tanh_sigmoid", lambda L, x: (L.nn.ReLU()(x) + L.nn.Tanh()(x) * L.nn.Sigmoid()(x)).sum(), LOGITS),
    ]
    return cases


@pytest.mark.parametrize("name, run, values", loss_cases(), ids=[case[0] for case in loss_cases()])
def test_loss_values_and_gradients_match_torch(name: str, run: Callable[[Any, Any], Any],
                                               values: list[list[float]]) -> None:
    x, tx = both(values, requires_grad=True)
    loss, tloss = run(sg, x), run(torch, tx)
    np.testing.assert_allclose(numbers(loss), numbers(tloss), rtol=1e-12, atol=1e-14)
    seed = np.linspace(0.5, 1.5, numbers(tloss).size).reshape(numbers(tloss).shape)
    loss.backward(sg.tensor(seed))
    tloss.backward(torch.tensor(seed))
    np.testing.assert_allclose(numbers(x.grad), numbers(tx.grad), rtol=1e-11, atol=1e-13)
    if tloss.ndim == 0 and name.split("_")[0] in ("mse", "bce", "cross", "nll") and "soft" not in name:
        assert loss.grad_fn.name() == tloss.grad_fn.name()


def test_losses_refuse_a_bad_reduction_and_mismatched_shapes() -> None:
    with pytest.raises(sg.ArgumentError, match="elementwise is not a valid value for reduction"):
        nn.MSELoss(reduction="elementwise")
    with pytest.raises(sg.ShapeError, match="different to the input size"):
        nn.functional.binary_cross_entropy(sg.tensor([0.5, 0.5]), sg.tensor([[1.0], [0.0]]))
    with pytest.raises(sg.ArgumentError, match="out of bounds"):
        nn.functional.cross_entropy(sg.tensor(LOGITS), sg.tensor([0, 4, 1]))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        nn.functional.softmax(sg.tensor(LOGITS))


# -- optimizers ----------------------------------------------------------------------------------
OPTIMIZERS: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("sgd", lambda L, p: L.optim.SGD(p, lr=0.1)),
    ("sgd_momentum", lambda L, p: L.optim.SGD(p, lr=0.05, momentum=0.9)),
    ("sgd_dampening_decay", lambda L, p: L.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("sgd_nesterov", lambda L, p: L.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("sgd_maximize", lambda L, p: L.optim.SGD(p, lr=0.01, maximize=True)),
    ("adam", lambda L, p: L.optim.Adam(p, lr=0.01)),
    ("adam_options", lambda L, p: L.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ("adam_amsgrad", lambda L, p: L.optim.Adam(p, lr=0.02, amsgrad=True)),
    ("adamw", lambda L, p: L.optim.AdamW(p, lr=0.02)),
]


@pytest.mark.parametrize("name, make", OPTIMIZERS, ids=[case[0] for case in OPTIMIZERS])
def test_optimizer_trajectory_matches_torch(name: str, make: Callable[[Any, Any], Any],
                                            pair_of_models: tuple[Any, Any]) -> None:
    ours, theirs = pair_of_models
    optimizer, reference = make(sg, ours.parameters()), make(torch, theirs.parameters())
    (x, tx), (y, ty) = both(X), both(Y)
    for _ in range(6):
        optimizer.zero_grad()
        reference.zero_grad()
        nn.MSELoss()(ours(x), y).backward()
        tnn.MSELoss()(theirs(tx), ty).backward()
        optimizer.step()
        reference.step()
    for param, tparam in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(param.numpy(), numbers(tparam), rtol=1e-12, atol=1e-12)


def test_optimizer_param_groups_and_closure_as_torch() -> None:
    w, tw = both([1.0, -2.0], requires_grad=True)
    b, tb = both([0.5], requires_grad=True)
    optimizer = sg.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.5)
    reference = torch.optim.SGD([{"params": [tw]}, {"params": [tb], "lr": 0.5}], lr=0.1, momentum=0.5)

    def closure(library: Any, weight: Any, bias: Any, opt: Any) -> Any:
        def run() -> Any:
            opt.zero_grad()
            loss = ((weight * weight).sum() + bias * weight[0]).sum()
            loss.backward()
            return loss
        return run

    for _ in range(3):
        loss = optimizer.step(closure(sg, w, b, optimizer))
        tloss = reference.step(closure(torch, tw, tb, reference))
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-14)
    np.testing.assert_allclose(w.numpy(), numbers(tw), rtol=1e-14)
    np.testing.assert_allclose(b.numpy(), numbers(tb), rtol=1e-14)
    assert [group["lr"] for group in optimizer.param_groups] == [0.1, 0.5]
    assert w.is_leaf and w.requires_grad  # updated in place, not rebound


def test_zero_grad_without_none_keeps_zero_tensors_as_torch() -> None:
    w, tw = both(1.5, requires_grad=True)
    v, tv = both([1.0, 2.0], requires_grad=True)
    optimizer = sg.optim.SGD([w, v], lr=0.1)
    reference = torch.optim.SGD([tw, tv], lr=0.1)
    (w * v).sum().backward()
    (tw * tv).sum().backward()
    optimizer.zero_grad(set_to_none=False)
    reference.zero_grad(set_to_none=False)
    assert w.grad.item() == tw.grad.item() == 0.0
    assert v.grad.tolist() == tv.grad.tolist() == [0.0, 0.0]


def test_optimizer_refuses_bad_hyperparameters() -> None:
    w = sg.tensor([1.0], requires_grad=True)
    with pytest.raises(sg.ArgumentError, match="Invalid learning rate: -0.1"):
        sg.optim.SGD([w], lr=-0.1)
    with pytest.raises(sg.ArgumentError, match="Nesterov momentum requires"):
        sg.optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(sg.ArgumentError, match="Invalid beta parameter at index 1"):
        sg.optim.Adam([w], betas=(0.9, 1.0))
    with pytest.raises(sg.ArgumentError, match="empty parameter list"):
        sg.optim.Adam([])
    with pytest.raises(sg.ArgumentError, match="non-leaf"):
        sg.optim.SGD([w * 2], lr=0.1)


def test_optimizer_accepts_an_ordered_dict_model() -> None:
    model = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 1)), ("act", nn.Sigmoid())]))
    assert [name for name, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]
    assert model.fc.weight.expr.symbols == ["fc_weight"]
