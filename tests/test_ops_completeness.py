"""Completeness of the operation table: every entry carries every piece, and every piece that
is derived from the table (Tensor methods, the SymPy bridge both ways, parser names, LaTeX,
DOT edge labels, PyTorch backward names) works for every entry.

`missing_pieces` is the static check; the parametrised tests below run it and the behaviour
it stands for on each entry, and `test_a_fake_entry_missing_pieces_is_caught` shows it fails
for an entry that lacks them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sympy

import symgrad as sg
from symgrad.core.expr import Expr, apply
from symgrad.core.opspec import OPS, OpSpec
from symgrad.language.sympy_bridge import from_sympy, sympy_class_of, to_sympy
from symgrad.ops import functions
from test_ops_table import STRUCTURED, interval

POINTS = 4
# Printing lays these out itself (n-ary signs and fractions, a parameter as the exponent).
LAID_OUT_BY_PRINTING = {"add", "mul", "pow"}
# Ops whose SymPy form is a composite of other functions, or an array of elements: converting
# back gives an equal expression, not the op. Every other op with a SymPy mapping comes back
# as itself (the test below fails for an op listed here that does come back, so the list
# cannot hide one).
SYMPY_COMPOSITE = {
    "log2", "log10",  # SymPy's log(x, 2) is log(x)/log(2)
    "cbrt",  # sign(x)*|x|**(1/3), the real cube root
    "expm1",  # exp(x) - 1: SymPy's own expm1 lives in codegen, which simplify does not know
    "exp2", "log1p",  # 2**x and log(1 + x), for the same reason
    "sinc",  # SymPy's sinc is unnormalized: ours (numpy's, torch's) is sinc(pi*x) there
    "fmod",  # sign(a)*Mod(|a|, |b|): SymPy has no fmod
    "sigmoid", "softplus", "relu", "clamp", "where",  # exp/log, Piecewise, Min(Max(...))
    "matmul", "transpose", "outer", "sum_to", "broadcast_to", "index", "scatter", "stack",
    "sum", "mean", "prod", "prod_except", "norm",  # arrays of element expressions
}
# Public ops without a PyTorch function of the same meaning to take the backward name from.
NOT_IN_TORCH = {"cbrt", "sec", "csc", "cot", "sech", "csch", "coth",
                "asec", "acsc", "acot", "asech", "acsch", "acoth"}
# Public ops PyTorch has but does not differentiate (its grad_fn is NotImplemented, backward
# raises): symgrad's derivative is 0, a.e. (test_heaviside.py checks both facts).
NOT_DIFFERENTIABLE_IN_TORCH = {"heaviside"}


def missing_pieces(spec: OpSpec) -> list[str]:
    """What `spec` lacks of what every entry needs (empty when it is complete)."""
    missing = []
    arity = spec.arity if spec.arity >= 0 else 2
    if len(spec.domain) not in (1, arity) or any(low >= high for low, high in spec.domain):
        missing.append("a domain interval per argument")
    if spec.grad is None:
        missing.append("a derivative rule")
    if spec.taylor is None and not spec.elementwise:
        missing.append("a Taylor-mode rule (elementwise ops derive theirs from the derivative rule)")
    if spec.sympy is None:
        missing.append("a SymPy mapping")
    if spec.latex is None and spec.name not in LAID_OUT_BY_PRINTING:
        missing.append("a LaTeX template")
    if not spec.torch:
        missing.append("a PyTorch backward name")
    if spec.public:
        if not callable(getattr(sg, spec.name, None)):
            missing.append(f"the public function sg.{spec.name}")
        if not callable(getattr(sg.Tensor, spec.name, None)):
            missing.append(f"the Tensor method .{spec.name}()")
        if spec.name not in functions.CALLS:
            missing.append("a name the parser knows")
    if spec.name not in STRUCTURED and not spec.elementwise:
        missing.append("argument shapes in test_ops_table.STRUCTURED (its derivative test)")
    return missing


# -- examples: each op on generic symbolic arguments of the right shapes ---------------------
def example(spec: OpSpec) -> tuple[Expr, list[Expr]]:
    """`spec`'s op on symbols `a0, a1, ...` (shaped as its first STRUCTURED case)."""
    if spec.elementwise:
        shapes: list[tuple[int, ...]] = [()] * (spec.arity if spec.arity >= 0 else 3)
        params: dict[str, Any] = {"exponent": 2.5} if spec.name == "pow" else {}
    else:
        shapes, params = STRUCTURED[spec.name][0]
    args = [sg.symbols(f"a{position}", shape=shape) for position, shape in enumerate(shapes)]
    return apply(spec.name, *args, **params), args


def sample(spec: OpSpec, args: list[Expr], seed: int = 3) -> dict[str, np.ndarray]:
    """Values for `args` inside the op's domain, POINTS of them per argument."""
    rng = np.random.default_rng(seed + len(spec.name))
    return {arg.name: rng.uniform(*interval(spec, position), size=(POINTS,) + arg.shape)  # type: ignore[misc]
            for position, arg in enumerate(args)}


def value_at(expr: Expr, points: dict[str, np.ndarray]) -> np.ndarray:
    """`expr` at the points; a symbol `a0_1` (SymPy's element of `a0`) reads element 1 of a0."""
    values = {}
    for name in expr.symbols:
        if name in points:
            values[name] = points[name]
        else:
            base, *index = name.split("_")
            values[name] = points[base][(slice(None), *map(int, index))]
    return np.broadcast_to(expr.eval(**values), (POINTS,) + expr.shape)


def _ids(spec: OpSpec) -> str:
    return spec.name


# -- the static check --------------------------------------------------------------------------
@pytest.mark.parametrize("spec", list(OPS.values()), ids=_ids)
def test_every_entry_has_every_piece(spec: OpSpec):
    assert missing_pieces(spec) == [], f"{spec.name} lacks {', '.join(missing_pieces(spec))}"


def test_a_fake_entry_missing_pieces_is_caught(monkeypatch: pytest.MonkeyPatch):
    fake = OpSpec(name="fake_erf", arity=1, numpy=np.abs, grad=None,
                  sympy=lambda sympy, x: sympy.erf(x))
    monkeypatch.setitem(OPS, fake.name, fake)
    assert missing_pieces(fake) == [
        "a domain interval per argument", "a derivative rule", "a LaTeX template",
        "a PyTorch backward name", "the public function sg.fake_erf",
        "the Tensor method .fake_erf()", "a name the parser knows"]
    # Its SymPy mapping builds one class but names no way back: the round trip catches that.
    a = sg.symbols("a0")
    assert from_sympy(to_sympy(apply("fake_erf", a))) is not apply("fake_erf", a)
    assert sympy_class_of(fake, sympy) is None


# -- behaviour derived from the table ----------------------------------------------------------
@pytest.mark.parametrize("spec", [s for s in OPS.values() if s.sympy is not None], ids=_ids)
def test_sympy_round_trip_gives_the_op_back(spec: OpSpec):
    expr, args = example(spec)
    back = from_sympy(to_sympy(expr))
    if spec.name not in SYMPY_COMPOSITE:
        assert back is expr, f"{spec.name}: {expr} came back from SymPy as {back}"
        return
    assert back is not expr, f"{spec.name} comes back from SymPy: drop it from SYMPY_COMPOSITE"
    points = sample(spec, args)
    np.testing.assert_allclose(value_at(back, points), value_at(expr, points), rtol=1e-12,
                               atol=1e-12, err_msg=f"{spec.name}: {back}")


def test_sympy_classes_come_back_as_their_ops():
    a, b, c = sympy.symbols("a0 a1 a2")
    x, y, z = sg.symbols("a0 a1 a2")
    assert from_sympy(sympy.Min(a, b, c)) is sg.min(sg.min(x, y), z)
    assert from_sympy(a < b) is apply("lt", x, y)
    assert from_sympy(sympy.Piecewise((a, b >= c), (c, True))) is sg.where(apply("ge", y, z), x, z)


@pytest.mark.parametrize("spec", [s for s in OPS.values() if s.public], ids=_ids)
def test_every_public_op_is_a_tensor_method_computing_the_function(spec: OpSpec):
    expr, args = example(spec)
    points = sample(spec, args)
    tensors = [sg.tensor(points[arg.name][0], requires_grad=True) for arg in args]
    if spec.name == "where":  # PyTorch's order: x.where(condition, other)
        result = tensors[1].where(tensors[0], tensors[2])
    else:
        result = getattr(tensors[0], spec.name)(*tensors[1:])
    expected = getattr(sg, spec.name)(*(points[arg.name][0] for arg in args))
    np.testing.assert_allclose(result.numpy(), expected,
                               rtol=1e-12, atol=1e-12)
    assert result.grad_fn is not None and spec.torch in result.grad_fn.name()


def test_cbrt_is_a_tensor_method():
    x = sg.tensor([-8.0, 27.0], requires_grad=True)
    x.cbrt().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 / 12, 1 / 27])  # 1/(3 x^(2/3))


@pytest.mark.parametrize("spec", [s for s in OPS.values() if s.public], ids=_ids)
def test_parser_reads_every_public_op_by_name(spec: OpSpec):
    expr, args = example(spec)
    shapes = {arg.name: arg.shape for arg in args}
    call = f"{spec.name}({', '.join(arg.name for arg in args)})"  # type: ignore[arg-type]
    assert sg.parse(call, shapes=shapes) is expr
    assert sg.parse(str(expr), shapes=shapes) is expr


@pytest.mark.parametrize("spec", list(OPS.values()), ids=_ids)
def test_every_op_prints_in_latex_with_all_its_arguments(spec: OpSpec):
    expr, args = example(spec)
    text = expr.latex()
    for arg in args:
        assert arg.latex() in text, f"{spec.name}: {text}"
    if spec.name in LAID_OUT_BY_PRINTING:
        assert r"\operatorname" not in text


@pytest.mark.parametrize("spec", [s for s in OPS.values() if s.arity in (-1, 2) and s.elementwise],
                         ids=_ids)
def test_commutative_flag_matches_the_values(spec: OpSpec):
    expr, args = example(spec)
    swapped = apply(spec.name, *reversed(args))
    points = sample(spec, args)
    # Both arguments from one interval, so swapping them stays in the domain.
    shared = {name: np.concatenate([points[args[0].name], points[args[1].name]])[:POINTS]
              for name in points}
    shared[args[1].name] = shared[args[1].name][::-1]
    same = np.allclose(value_at(expr, shared), value_at(swapped, shared), rtol=1e-14)
    assert same == spec.commutative, f"{spec.name}: commutative={spec.commutative}"


def test_dot_numbers_edges_only_where_the_order_matters():
    x, y = sg.symbols("a0 a1")
    assert '[label="1"]' in sg.atan2(x, y).to_dot()
    assert '[label="1"]' in apply("lt", x, y).to_dot()
    assert '[label="1"]' not in sg.min(x, y).to_dot()
    assert '[label="1"]' not in (x * y).to_dot()


@pytest.mark.parametrize("spec", [s for s in OPS.values() if s.public and s.name not in NOT_IN_TORCH
                                  and s.name not in NOT_DIFFERENTIABLE_IN_TORCH], ids=_ids)
def test_backward_names_match_pytorch(spec: OpSpec):
    torch = pytest.importorskip("torch")
    expr, args = example(spec)
    points = sample(spec, args)
    values = [points[arg.name][0] for arg in args]
    functional = {"min": torch.minimum, "max": torch.maximum, "transpose": torch.t,
                  "norm": torch.linalg.vector_norm, "where": lambda c, a, b: torch.where(c > 0.5, a, b),
                  "softplus": torch.nn.functional.softplus}
    function = functional.get(spec.name) or getattr(torch, spec.name)
    theirs = function(*(torch.tensor(value, requires_grad=True) for value in values))
    ours = getattr(sg, spec.name)(*(sg.tensor(value, requires_grad=True) for value in values))
    assert ours.grad_fn.name() == theirs.grad_fn.name()
