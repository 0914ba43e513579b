"""PyTorch parity for the autograd extensions (API.md section 5): `sg.autograd.Function` and
`sg.autograd.functional`, each run side by side with torch (float64) as the oracle."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import symgrad as sg

torch = pytest.importorskip("torch")


def numbers(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return np.array(value.detach().numpy())
    return np.array(value.detach().numpy())


def assert_same_structure(ours: Any, theirs: Any, tolerance: float = 1e-12) -> None:
    """Same nesting of tuples (PyTorch's return structure) and the same numbers inside."""
    pending = [(ours, theirs)]
    while pending:
        mine, reference = pending.pop()
        if isinstance(reference, tuple):
            assert isinstance(mine, tuple) and len(mine) == len(reference)
            pending.extend(zip(mine, reference))
        else:
            assert isinstance(mine, sg.Tensor), type(mine)
            assert mine.shape == tuple(reference.shape)
            np.testing.assert_allclose(numbers(mine), numbers(reference), rtol=tolerance, atol=tolerance)


def pair(values: Any, requires_grad: bool = True) -> tuple[Any, Any]:
    return (sg.tensor(values, requires_grad=requires_grad),
            torch.tensor(values, dtype=torch.float64, requires_grad=requires_grad))


# -- autograd.Function -------------------------------------------------------------------------
def legendre_p3(library: Any) -> type:
    class LegendreP3(library.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return 0.5 * (5 * x ** 3 - 3 * x)

        @staticmethod
        def backward(ctx: Any, grad_output: Any) -> Any:
            (x,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * x ** 2 - 1)
    return LegendreP3


def straight_through(library: Any) -> type:
    """A forward whose backward is not its derivative: gradients must use the backward."""
    class RoundStraightThrough(library.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, scale: float) -> Any:
            ctx.scale = scale
            return library.sign(x) * scale

        @staticmethod
        def backward(ctx: Any, grad_output: Any) -> Any:
            return grad_output * ctx.scale, None
    return RoundStraightThrough


POINTS = [-0.9, -0.2, 0.35, 1.3]


def test_custom_function_values_and_gradients_match_torch() -> None:
    (x, tx) = pair(POINTS)
    y, ty = legendre_p3(sg).apply(x), legendre_p3(torch).apply(tx)
    np.testing.assert_allclose(numbers(y), numbers(ty), rtol=1e-14)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(numbers(x.grad), numbers(tx.grad), rtol=1e-13)


def test_custom_function_grad_fn_is_named_after_the_class() -> None:
    y = legendre_p3(sg).apply(sg.tensor(0.5, requires_grad=True))
    assert repr(y.grad_fn) == "<LegendreP3Backward>"
    assert "grad_fn=<LegendreP3Backward>" in repr(y)


def test_gradients_use_the_custom_backward_not_the_forward_derivative() -> None:
    (x, tx) = pair(POINTS)
    function, reference = straight_through(sg), straight_through(torch)
    (g,) = sg.autograd.grad(function.apply(x, 2.5).sum(), [x])
    (tg,) = torch.autograd.grad(reference.apply(tx, 2.5).sum(), [tx])
    np.testing.assert_array_equal(numbers(g), numbers(tg))
    assert numbers(g).tolist() == [2.5] * 4  # d sign(x)/dx is 0: the forward's rule was not used


def test_custom_backward_is_recorded_for_second_derivatives() -> None:
    (x, tx) = pair(POINTS)
    (g,) = sg.autograd.grad(legendre_p3(sg).apply(x).sum(), [x], create_graph=True)
    (tg,) = torch.autograd.grad(legendre_p3(torch).apply(tx).sum(), [tx], create_graph=True)
    (h,) = sg.autograd.grad(g.sum(), [x])
    (th,) = torch.autograd.grad(tg.sum(), [tx])
    np.testing.assert_allclose(numbers(h), numbers(th), rtol=1e-13)
    np.testing.assert_allclose(numbers(h), 15 * np.array(POINTS), rtol=1e-13)  # P3'' = 15 x


def test_custom_function_expr_is_the_forward_closed_form() -> None:
    x = sg.tensor(POINTS, requires_grad=True, name="x")
    y = legendre_p3(sg).apply(2 * x)
    xs = sg.symbols("x", shape=(4,))
    assert y.expr is 0.5 * (5 * (2 * xs) ** 3 - 3 * (2 * xs))
    derivative = sg.diff(sg.sum(y.expr), "x")
    hand = 2 * 1.5 * (5 * (2 * np.array(POINTS)) ** 2 - 1)
    np.testing.assert_allclose(np.asarray(derivative.eval(x=np.array(POINTS))), hand, rtol=1e-13)


def test_custom_function_expr_refuses_a_forward_that_leaves_tensors() -> None:
    class ViaNumpy(sg.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return sg.tensor(np.cos(x.detach().numpy()))

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return g

    y = ViaNumpy.apply(sg.tensor([0.1, 0.2], requires_grad=True))
    with pytest.raises(sg.AutogradError, match="no closed form"):
        y.expr


def test_needs_input_grad_matches_torch() -> None:
    seen: dict[str, Any] = {}

    def probe(library: Any, key: str) -> type:
        class Probe(library.autograd.Function):
            @staticmethod
            def forward(ctx: Any, a: Any, b: Any, k: float) -> Any:
                seen[key] = ctx.needs_input_grad
                return a * b * k

            @staticmethod
            def backward(ctx: Any, g: Any) -> Any:
                return g, g, None
        return Probe

    probe(sg, "sg").apply(sg.tensor(1.0, requires_grad=True), sg.tensor(2.0), 3.0)
    probe(torch, "torch").apply(torch.tensor(1.0, requires_grad=True), torch.tensor(2.0), 3.0)
    assert seen["sg"] == seen["torch"] == (True, False, False)


def test_wrong_number_of_gradients_is_torchs_error() -> None:
    class Short(sg.autograd.Function):
        @staticmethod
        def forward(ctx: Any, a: Any, b: Any) -> Any:
            return a * b

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return g

    y = Short.apply(sg.tensor(1.0, requires_grad=True), sg.tensor(2.0, requires_grad=True))
    with pytest.raises(sg.AutogradError, match=r"function ShortBackward returned an incorrect "
                                                r"number of gradients \(expected 2, got 1\)"):
        y.backward()


def test_second_backward_through_saved_tensors_needs_retain_graph() -> None:
    x = sg.tensor(0.4, requires_grad=True)
    y = legendre_p3(sg).apply(x)
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(2 * 1.5 * (5 * 0.16 - 1))
    with pytest.raises(sg.AutogradError, match="second time"):
        y.backward()


def test_non_differentiable_outputs_and_no_grad_apply_record_nothing() -> None:
    class Split(sg.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            flags = x > 0
            ctx.mark_non_differentiable(flags)
            return x * 2, flags

        @staticmethod
        def backward(ctx: Any, g: Any, g_flags: Any) -> Any:
            return g * 2

    x = sg.tensor([-1.0, 2.0], requires_grad=True)
    doubled, flags = Split.apply(x)
    assert doubled.requires_grad and not flags.requires_grad
    with sg.no_grad():
        assert not legendre_p3(sg).apply(x).requires_grad


def test_multiple_outputs_match_torch() -> None:
    def both(library: Any) -> type:
        class Both(library.autograd.Function):
            @staticmethod
            def forward(ctx: Any, x: Any) -> Any:
                ctx.save_for_backward(x)
                return x * 3, x * x

            @staticmethod
            def backward(ctx: Any, g_first: Any, g_second: Any) -> Any:
                (x,) = ctx.saved_tensors
                return g_first * 3 + g_second * 2 * x
        return Both

    (x, tx) = pair(POINTS)
    first, second = both(sg).apply(x)
    tfirst, tsecond = both(torch).apply(tx)
    (first.sum() + (second * second).sum()).backward()
    (tfirst.sum() + (tsecond * tsecond).sum()).backward()
    np.testing.assert_allclose(numbers(x.grad), numbers(tx.grad), rtol=1e-13)


def test_setup_context_form_matches_torch() -> None:
    def cube(library: Any) -> type:
        class Cube(library.autograd.Function):
            @staticmethod
            def forward(x: Any) -> Any:
                return x ** 3

            @staticmethod
            def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
                ctx.save_for_backward(inputs[0])

            @staticmethod
            def backward(ctx: Any, g: Any) -> Any:
                (x,) = ctx.saved_tensors
                return 3 * x ** 2 * g
        return Cube

    (x, tx) = pair(POINTS)
    cube(sg).apply(x).sum().backward()
    cube(torch).apply(tx).sum().backward()
    np.testing.assert_allclose(numbers(x.grad), numbers(tx.grad), rtol=1e-14)


# -- autograd.functional -----------------------------------------------------------------------
def two_inputs(library: Any) -> Callable[[Any, Any], Any]:
    return lambda a, b: library.sin(a) * b ** 2 + a * b


def two_outputs(library: Any) -> Callable[[Any], Any]:
    return lambda a: (library.exp(a) * a[0], (a ** 3).sum())


def scalar_of_two(library: Any) -> Callable[[Any, Any], Any]:
    return lambda a, b: (library.sin(a) * b ** 3).sum() + (a * a * b).sum()


def matrix_output(library: Any) -> Callable[[Any], Any]:
    return lambda a: library.outer(a, library.cos(a))


A, B = [0.3, -1.1, 0.8], [1.5, 0.2, -0.6]


def inputs_for(library: Any, *columns: list[float]) -> tuple[Any, ...]:
    if library is torch:
        return tuple(torch.tensor(column, dtype=torch.float64) for column in columns)
    return tuple(sg.tensor(column) for column in columns)


CASES: list[tuple[str, Callable[[Any], tuple[Any, ...]]]] = [
    ("jacobian_single", lambda L: (L.autograd.functional.jacobian(L.sin, inputs_for(L, A)[0]),)),
    ("jacobian_tuple_in", lambda L: (L.autograd.functional.jacobian(two_inputs(L), inputs_for(L, A, B)),)),
    ("jacobian_tuple_out", lambda L: (L.autograd.functional.jacobian(two_outputs(L), inputs_for(L, A)[0]),)),
    ("jacobian_matrix_out", lambda L: (L.autograd.functional.jacobian(matrix_output(L), inputs_for(L, A)[0]),)),
    ("jacobian_tuple_both", lambda L: (L.autograd.functional.jacobian(two_outputs(L), inputs_for(L, A)),)),
    ("hessian_single", lambda L: (L.autograd.functional.hessian(lambda a: scalar_of_two(L)(a, a), inputs_for(L, A)[0]),)),
    ("hessian_tuple", lambda L: (L.autograd.functional.hessian(scalar_of_two(L), inputs_for(L, A, B)),)),
    ("vjp_single", lambda L: L.autograd.functional.vjp(L.exp, inputs_for(L, A)[0], inputs_for(L, B)[0])),
    ("vjp_tuple", lambda L: L.autograd.functional.vjp(two_inputs(L), inputs_for(L, A, B), inputs_for(L, B)[0])),
    ("vjp_scalar_no_v", lambda L: L.autograd.functional.vjp(scalar_of_two(L), inputs_for(L, A, B))),
    ("jvp_single", lambda L: L.autograd.functional.jvp(matrix_output(L), inputs_for(L, A)[0], inputs_for(L, B)[0])),
    ("jvp_tuple", lambda L: L.autograd.functional.jvp(two_inputs(L), inputs_for(L, A, B), inputs_for(L, B, A))),
    ("jvp_tuple_out", lambda L: L.autograd.functional.jvp(two_outputs(L), inputs_for(L, A), inputs_for(L, B))),
    ("hvp_single", lambda L: L.autograd.functional.hvp(lambda a: scalar_of_two(L)(a, a), inputs_for(L, A)[0], inputs_for(L, B)[0])),
    ("hvp_tuple", lambda L: L.autograd.functional.hvp(scalar_of_two(L), inputs_for(L, A, B), inputs_for(L, B, A))),
    ("vhp_tuple", lambda L: L.autograd.functional.vhp(scalar_of_two(L), inputs_for(L, A, B), inputs_for(L, B, A))),
]


@pytest.mark.parametrize("name, run", CASES, ids=[case[0] for case in CASES])
def test_functional_matches_torch_values_and_structure(name: str, run: Callable[[Any], Any]) -> None:
    assert_same_structure(run(sg), run(torch))


def test_functional_results_are_plain_without_create_graph() -> None:
    (a,) = inputs_for(sg, A)
    jac = sg.autograd.functional.jacobian(sg.exp, a)
    assert not jac.requires_grad
    output, product = sg.autograd.functional.vjp(sg.exp, a, a)
    assert not output.requires_grad and not product.requires_grad


def test_functional_create_graph_differentiates_again_as_torch() -> None:
    (a, ta) = pair(A)
    jac = sg.autograd.functional.jacobian(lambda x: x ** 3 * x[0], a, create_graph=True)
    tjac = torch.autograd.functional.jacobian(lambda x: x ** 3 * x[0], ta, create_graph=True)
    (g,) = sg.autograd.grad((jac * jac).sum(), [a])
    (tg,) = torch.autograd.grad((tjac * tjac).sum(), [ta])
    np.testing.assert_allclose(numbers(g), numbers(tg), rtol=1e-13)
    _, hv = sg.autograd.functional.hvp(lambda x: (x ** 4).sum(), a, sg.ones(3), create_graph=True)
    _, thv = torch.autograd.functional.hvp(lambda x: (x ** 4).sum(), ta,
                                           torch.ones(3, dtype=torch.float64), create_graph=True)
    (g,) = sg.autograd.grad(hv.sum(), [a])
    (tg,) = torch.autograd.grad(thv.sum(), [ta])
    np.testing.assert_allclose(numbers(g), numbers(tg), rtol=1e-13)


def test_functional_of_unused_input_is_zeros_and_strict_refuses_it() -> None:
    a, b = inputs_for(sg, A, B)
    ta, tb = inputs_for(torch, A, B)
    assert_same_structure(sg.autograd.functional.jacobian(lambda x, y: x * 2, (a, b)),
                          torch.autograd.functional.jacobian(lambda x, y: x * 2, (ta, tb)))
    with pytest.raises(sg.AutogradError, match="independent of input 1"):
        sg.autograd.functional.jacobian(lambda x, y: x * 2, (a, b), strict=True)


def test_functional_argument_errors_say_what_is_expected() -> None:
    (a,) = inputs_for(sg, A)
    with pytest.raises(sg.AutogradError, match="v can only be None"):
        sg.autograd.functional.vjp(sg.exp, a)
    with pytest.raises(sg.AutogradError, match=r"v has invalid size: should be \(3,\) but got \(2,\)"):
        sg.autograd.functional.jvp(sg.exp, a, sg.ones(2))
    with pytest.raises(sg.AutogradError, match="should contain a single element"):
        sg.autograd.functional.hessian(sg.exp, a)
    with pytest.raises(sg.ArgumentError, match="must be either a Tensor or a tuple of Tensors"):
        sg.autograd.functional.jacobian(sg.exp, [1.0, 2.0])
