"""Custom differentiable operations, as PyTorch writes them: `sg.autograd.Function`.

    class LegendreP3(sg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * (5 * x**3 - 3 * x)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * x**2 - 1)

    y = LegendreP3.apply(x)          # y.grad_fn is <LegendreP3Backward>

`apply` runs `forward` with recording off and records one node whose derivative rule is the
user's `backward`: `y.backward()` and `sg.autograd.grad` use it, with `create_graph` too (the
backward is then recorded, so it differentiates again). `y.expr` is the closed form of
`forward` itself: forward is run once more, recorded, on stand-in tensors that hold the inputs'
values, so `sg.diff(y.expr, "x")` differentiates forward's formula by symgrad's own rules.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

import numpy as np

from ..core.errors import AutogradError
from ..core.expr import Expr
from ..numeric.evaluate import substitute
from .recording import EagerOp
from .tensor import Tensor, make_leaf, set_grad_enabled
from .tracing import to_expr

__all__ = ["Function", "FunctionCtx"]

_stand_in_names = itertools.count()


class FunctionCtx:
    """The `ctx` that `forward` and `backward` share: saved tensors and flags.

    Any other attribute may be set on it in `forward` and read in `backward`.
    """

    def __init__(self, needs_input_grad: tuple[bool, ...] = ()) -> None:
        self.needs_input_grad = needs_input_grad
        self.to_save: tuple[Any, ...] = ()
        self.non_differentiable: tuple[Any, ...] = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep `tensors` for `backward` (read them back as `ctx.saved_tensors`)."""
        for item in tensors:
            if item is not None and not isinstance(item, Tensor):
                raise AutogradError(f"save_for_backward can only save tensors or None, "
                                    f"not {type(item).__name__}")
        self.to_save = tensors

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The tensors given to `save_for_backward`, in order."""
        return self.to_save

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """Declare outputs that gradients never flow through (they do not require grad)."""
        self.non_differentiable = outputs

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted for PyTorch compatibility: symgrad always passes gradients as tensors."""
        self.materialize_grads = value


class Function:
    """Base class of a custom operation: subclass it with static `forward(ctx, *args)` and
    `backward(ctx, *grad_outputs)`, then call `YourFunction.apply(*args)`.

    `backward` returns one gradient (or None) per argument of `forward`. A forward that
    returns a tuple gives one recorded output per tensor; backward then receives one gradient
    per output (zeros for outputs that were not used).
    """

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        """The values of the operation (runs with recording off)."""
        raise NotImplementedError("a Function subclass must define a static forward(ctx, ...)")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        """One gradient per argument of `forward`, from the gradients of its outputs."""
        raise NotImplementedError("a Function subclass must define a static backward(ctx, ...) "
                                  "to be differentiated")

    vjp = backward

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run `forward` on `args` and record the result for `backward` (as PyTorch's apply)."""
        recording = set_grad_enabled(False)
        try:
            needs = tuple(recording and isinstance(arg, Tensor) and arg.requires_grad for arg in args)
            ctx = FunctionCtx(needs)
            outputs = _run_forward(cls, ctx, args)
        finally:
            set_grad_enabled(recording)
        if not any(needs):
            return outputs
        if isinstance(outputs, tuple):
            count = sum(isinstance(item, Tensor) for item in outputs)
            return tuple(_recorded(cls, ctx, args, item, index, count)
                         if isinstance(item, Tensor) else item
                         for index, item in enumerate(outputs))
        if not isinstance(outputs, Tensor):
            raise AutogradError(f"{cls.__name__}.forward must return a tensor or a tuple, "
                                f"not {type(outputs).__name__}")
        return _recorded(cls, ctx, args, outputs, None, 1)


def _run_forward(cls: type[Function], ctx: FunctionCtx, args: tuple[Any, ...]) -> Any:
    """forward(ctx, *args), or PyTorch 2's split form forward(*args) + setup_context."""
    if hasattr(cls, "setup_context"):
        outputs = cls.forward(*args)
        cls.setup_context(ctx, args, outputs)
        return outputs
    return cls.forward(ctx, *args)


def _recorded(cls: type[Function], ctx: FunctionCtx, args: tuple[Any, ...], output: Tensor,
              index: int | None, count: int) -> Tensor:
    """`output` as a new tensor recorded by the node whose rule is `cls.backward`."""
    if any(output is item for item in ctx.non_differentiable):
        return output
    inputs = tuple(arg for arg in args if isinstance(arg, Tensor))
    rule = _rule(cls, ctx, args, output, index, count)
    name = f"{cls.__name__}Backward"
    op = EagerOp(name, rule, name, bool(ctx.to_save), _expression(cls, args, inputs, index))
    result = make_leaf(output._value)
    result._op, result._inputs, result._rg = op, inputs, True
    return result


def _rule(cls: type[Function], ctx: FunctionCtx, args: tuple[Any, ...], output: Tensor,
          index: int | None, count: int) -> Callable[..., tuple[Any, ...]]:
    """The derivative rule the backward sweeps call: the user's backward, on tensors."""
    positions = [position for position, arg in enumerate(args) if isinstance(arg, Tensor)]
    shapes = [np.shape(args[position]._value) for position in positions]

    def rule(F: Any, g: Any, out: Any, *values: Any) -> tuple[Any, ...]:
        recorded = isinstance(g, Tensor)  # create_graph: the backward pass is recorded
        seed = g if recorded else make_leaf(np.array(g, dtype=np.float64))
        grads = _call_backward(cls, ctx, _grad_outputs(seed, output, index, count), len(args))
        results = []
        for position, shape in zip(positions, shapes):
            grad = grads[position]
            _check_gradient(cls, position, grad, shape)
            if grad is None or recorded:
                results.append(grad)
            else:
                results.append(grad._value if isinstance(grad, Tensor) else np.float64(grad))
        return tuple(results)
    return rule


def _grad_outputs(seed: Tensor, output: Tensor, index: int | None, count: int) -> tuple[Tensor, ...]:
    if index is None:
        return (seed,)
    # One node per output; the others get zero gradients. backward is linear in its gradients,
    # so the nodes' contributions add up to one call with all of them.
    return tuple(seed if position == index else make_leaf(np.zeros(np.shape(output._value)))
                 for position in range(count))


def _call_backward(cls: type[Function], ctx: FunctionCtx, grad_outputs: tuple[Tensor, ...],
                   arity: int) -> tuple[Any, ...]:
    returned = cls.backward(ctx, *grad_outputs)
    grads: tuple[Any, ...] = returned if isinstance(returned, tuple) else (returned,)
    # PyTorch allows extra trailing Nones (for arguments forward did not take).
    while len(grads) > arity and grads[-1] is None:
        grads = grads[:-1]
    if len(grads) != arity:
        raise AutogradError(f"function {cls.__name__}Backward returned an incorrect number of "
                            f"gradients (expected {arity}, got {len(grads)})")
    return grads


def _check_gradient(cls: type[Function], position: int, grad: Any, shape: tuple[int, ...]) -> None:
    if grad is None:
        return
    if not isinstance(grad, (Tensor, int, float, np.ndarray, np.number)):
        raise AutogradError(f"function {cls.__name__}Backward returned a {type(grad).__name__} "
                            f"as gradient {position}; return a tensor or None")
    have = np.shape(grad._value if isinstance(grad, Tensor) else grad)
    try:
        fits = np.broadcast_shapes(have, shape) == shape or np.broadcast_shapes(have, shape) == have
    except ValueError:
        fits = False
    if not fits:
        raise AutogradError(f"function {cls.__name__}Backward returned an invalid gradient at "
                            f"index {position} - got {list(have)} but expected shape "
                            f"compatible with {list(shape)}")


def _expression(cls: type[Function], args: tuple[Any, ...], inputs: tuple[Tensor, ...],
                index: int | None) -> Callable[..., Expr]:
    """What the node becomes in `.expr`: forward's own formula in the inputs' expressions."""
    def build(*input_exprs: Expr) -> Expr:
        names = [f"_{cls.__name__}_arg{next(_stand_in_names)}" for _ in inputs]
        stand_ins = {id(item): make_leaf(item._value).requires_grad_(True) for item in inputs}
        for item, name in zip(inputs, names):
            stand_ins[id(item)]._name = name
        previous = set_grad_enabled(True)
        try:
            outputs = _run_forward(cls, FunctionCtx(tuple(isinstance(arg, Tensor) for arg in args)),
                                   tuple(stand_ins.get(id(arg), arg) for arg in args))
        finally:
            set_grad_enabled(previous)
        output = outputs if index is None else outputs[index]
        if not output.requires_grad:
            raise AutogradError(f"{cls.__name__}.forward leaves symgrad's tensor operations "
                                "(through .numpy(), .item() or .detach()), so .expr has no "
                                "closed form for it; gradients still use its backward")
        return substitute(to_expr(output), dict(zip(names, input_exprs)))
    return build
