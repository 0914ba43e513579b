"""`sg.autograd.functional`: Jacobians, Hessians and products of functions of tensors, with
PyTorch's signatures and return structure.

A single tensor in gives a tensor out, a tuple in gives a tuple out (for `jacobian` and
`hessian`: a tuple of tuples when both sides are tuples). Each function runs `func` on
copies of the inputs that require grad; without `create_graph` the results are plain
tensors, with it they are recorded and can be differentiated again. `vectorize` and the
strategies are accepted and change nothing: the rows are computed one backward pass each.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..core.errors import ArgumentError, AutogradError
from .autograd import grad
from .tensor import Tensor, apply_op, make_leaf, set_grad_enabled

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

Structure = Any  # a Tensor, a tuple of Tensors, or a tuple of tuples, as PyTorch returns


def _as_tuple(value: Any, what: str, function: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether `value` was a tuple, the tensors as a tuple), with PyTorch's type error."""
    is_tuple = isinstance(value, (tuple, list))
    items = tuple(value) if is_tuple else (value,)
    for position, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"the value at index {position}" if is_tuple else f"the given {what}"
            raise ArgumentError(f"The {what} given to {function} must be either a Tensor or a "
                                f"tuple of Tensors but {where} has type {type(item).__name__}.")
    return is_tuple, items


def _prepared(inputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    # With create_graph, an input that requires grad stays connected to its own graph (through
    # a recorded copy), so the results can be differentiated with respect to it.
    return tuple(item.clone() if create_graph and item.requires_grad
                 else make_leaf(item._value).requires_grad_(True) for item in inputs)


def _unpack(values: tuple[Any, ...], is_tuple: bool) -> Structure:
    return values if is_tuple else values[0]


def _finished(value: Tensor, create_graph: bool) -> Tensor:
    return value if create_graph else value.detach()


def _strict_check(outputs: tuple[Tensor, ...], strict: bool) -> None:
    if strict:
        for position, output in enumerate(outputs):
            if not output.requires_grad:
                raise AutogradError(f"Output {position} of the user-provided function does not "
                                    "require gradients. The outputs must be computed in a "
                                    "differentiable manner from the input when running in strict mode.")


def _gradients(output: Tensor, inputs: tuple[Tensor, ...], seed: Any, create_graph: bool,
               strict: bool) -> tuple[Tensor, ...]:
    """d(seed . output)/d(input) for each input; zeros where output does not depend on it."""
    if output.requires_grad:
        found = grad([output], list(inputs), None if seed is None else [seed], retain_graph=True,
                     create_graph=create_graph, allow_unused=True)
    else:
        found = tuple(None for _ in inputs)
    results = []
    for position, (item, value) in enumerate(zip(inputs, found)):
        if value is None:
            if strict:
                raise AutogradError(f"The output of the user-provided function is independent of "
                                    f"input {position}. This is not allowed in strict mode.")
            value = make_leaf(np.zeros(item.shape))
        results.append(value)
    return tuple(results)


def _validate_v(v: Any, others: tuple[Tensor, ...], others_tuple: bool, function: str) -> tuple[Tensor, ...]:
    _, vs = _as_tuple(v, "v", function)
    if len(vs) != len(others):
        if others_tuple:
            raise AutogradError(f"v is a tuple of invalid length: should be {len(others)} but got {len(vs)}.")
        raise AutogradError("The given v should contain a single Tensor.")
    for position, (item, other) in enumerate(zip(vs, others)):
        if item.shape != other.shape:
            prefix = f"Entry {position} in " if others_tuple else ""
            raise AutogradError(f"{prefix}v has invalid size: should be {other.shape} but got {item.shape}.")
    return vs


def _call(func: Callable[..., Any], inputs: tuple[Tensor, ...], function: str) -> tuple[bool, tuple[Tensor, ...]]:
    previous = set_grad_enabled(True)
    try:
        return _as_tuple(func(*inputs), "outputs of the user-provided function", function)
    finally:
        set_grad_enabled(previous)


def _recorded(create_graph: bool) -> Any:
    """A context that records while the derivatives are built, when create_graph asks."""
    class _Recording:
        def __enter__(self) -> None:
            self.previous = set_grad_enabled(create_graph)

        def __exit__(self, *exc: object) -> None:
            set_grad_enabled(self.previous)
    return _Recording()


# -- vjp and jacobian ----------------------------------------------------------------------------
def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Structure, Structure]:
    """(func(inputs), v^T J): the vector-Jacobian product, one backward pass."""
    inputs_tuple, leaves = _as_tuple(inputs, "inputs", "vjp")
    leaves = _prepared(leaves, create_graph)
    outputs_tuple, outputs = _call(func, leaves, "vjp")
    _strict_check(outputs, strict)
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise AutogradError("The vector v can only be None if the user-provided function "
                                "returns a single Tensor with a single element.")
        seeds: tuple[Any, ...] = (None,)
    else:
        seeds = _validate_v(v, outputs, outputs_tuple, "vjp")
    with _recorded(create_graph):
        found = [_gradients(output, leaves, seed, create_graph, strict)
                 for output, seed in zip(outputs, seeds)]
        total = tuple(_sum_products([row[i] for row in found]) for i in range(len(leaves)))
    return (_unpack(tuple(_finished(out, create_graph) for out in outputs), outputs_tuple),
            _unpack(tuple(_finished(item, create_graph) for item in total), inputs_tuple))


def _blocks(outputs: tuple[Tensor, ...], inputs: tuple[Tensor, ...], create_graph: bool,
            strict: bool) -> list[list[Tensor]]:
    """blocks[o][i]: d outputs[o] / d inputs[i], of shape outputs[o].shape + inputs[i].shape."""
    blocks = []
    for output in outputs:
        rows: list[tuple[Tensor, ...]] = []
        for position in range(output.numel()):
            index = tuple(int(i) for i in np.unravel_index(position, output.shape))
            with _recorded(True):  # selecting the element is recorded even without create_graph
                element = output[index] if index else output
            rows.append(_gradients(element, inputs, None, create_graph, strict))
        with _recorded(create_graph):
            blocks.append([_assemble([row[i] for row in rows], output.shape, create_graph)
                           for i in range(len(inputs))])
    return blocks


def _assemble(rows: list[Tensor], shape: tuple[int, ...], create_graph: bool) -> Tensor:
    """The rows (in C order over `shape`) as one tensor of shape `shape + row shape`."""
    if not create_graph:
        row_shape = rows[0].shape
        return make_leaf(np.array([row._value for row in rows]).reshape(shape + row_shape))
    level: list[Tensor] = rows
    for extent in reversed(shape):  # stack the last axis first, so no reshape is needed
        level = [apply_op("stack", tuple(level[start:start + extent]), {})
                 for start in range(0, len(level), extent)]
    return level[0]


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Structure:
    """The Jacobian of `func` at `inputs`: d output / d input has shape output.shape + input.shape."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ArgumentError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    inputs_tuple, leaves = _as_tuple(inputs, "inputs", "jacobian")
    leaves = _prepared(leaves, create_graph)
    outputs_tuple, outputs = _call(func, leaves, "jacobian")
    _strict_check(outputs, strict)
    blocks = _blocks(outputs, leaves, create_graph, strict)
    rows = tuple(_unpack(tuple(_finished(block, create_graph) for block in row), inputs_tuple)
                 for row in blocks)
    return _unpack(rows, outputs_tuple)


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Structure:
    """The Hessian of scalar `func` at `inputs`: shape input.shape + input.shape per pair."""
    inputs_tuple, items = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*leaves: Tensor) -> tuple[Tensor, ...]:
        output = _single_output(func, leaves, "hessian")
        return _gradients(output, leaves, None, True, strict)

    # The Jacobian of a tuple-valued function of a tuple is a tuple of tuples.
    result = jacobian(gradient, items, create_graph, strict, vectorize, outer_jacobian_strategy)
    return result if inputs_tuple else result[0][0]


def _single_output(func: Callable[..., Any], leaves: tuple[Tensor, ...], function: str) -> Tensor:
    output = func(*leaves)
    if not isinstance(output, Tensor):
        raise AutogradError(f"The function given to {function} should return a single Tensor")
    if output.numel() != 1:
        raise AutogradError(f"The Tensor returned by the function given to {function} should "
                            "contain a single element")
    return output


# -- jvp, hvp, vhp -------------------------------------------------------------------------------
def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Structure, Structure]:
    """(func(inputs), J v): the Jacobian-vector product, shaped like the outputs."""
    inputs_tuple, leaves = _as_tuple(inputs, "inputs", "jvp")
    leaves = _prepared(leaves, create_graph)
    vs = _tangents(v, leaves, inputs_tuple, "jvp")
    outputs_tuple, outputs = _call(func, leaves, "jvp")
    _strict_check(outputs, strict)
    blocks = _blocks(outputs, leaves, create_graph, strict)
    with _recorded(create_graph):
        products = tuple(_sum_products([_contract(block, tangent) for block, tangent in zip(row, vs)])
                         for row in blocks)
    return (_unpack(tuple(_finished(out, create_graph) for out in outputs), outputs_tuple),
            _unpack(tuple(_finished(item, create_graph) for item in products), outputs_tuple))


def _tangents(v: Any, leaves: tuple[Tensor, ...], inputs_tuple: bool, function: str) -> tuple[Tensor, ...]:
    if v is None:
        if len(leaves) != 1 or leaves[0].numel() != 1:
            raise AutogradError(f"The vector v can only be None if the input to the user-provided "
                                f"function is a single Tensor with a single element.")
        return (make_leaf(np.ones(leaves[0].shape)),)
    return _validate_v(v, leaves, inputs_tuple, function)


def _contract(block: Tensor, tangent: Tensor) -> Tensor:
    """sum over the trailing (input) axes of block * tangent."""
    trailing = tangent.ndim
    if trailing == 0:
        return block * tangent
    kept = block.shape[:block.ndim - trailing]
    summed = apply_op("sum_to", (block * tangent,), {"shape": kept + (1,) * trailing})
    return summed[(slice(None),) * len(kept) + (0,) * trailing] if kept else summed.sum()


def _sum_products(terms: list[Tensor]) -> Tensor:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _second_order(func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool,
                  strict: bool, function: str) -> tuple[Structure, Structure]:
    inputs_tuple, leaves = _as_tuple(inputs, "inputs", function)
    leaves = _prepared(leaves, create_graph)
    vs = _tangents(v, leaves, inputs_tuple, function)
    previous = set_grad_enabled(True)
    try:
        output = _single_output(func, leaves, function)
        _strict_check((output,), strict)
        first = _gradients(output, leaves, None, True, strict)
        directional = _sum_products([(item * tangent).sum() for item, tangent in zip(first, vs)])
    finally:
        set_grad_enabled(previous)
    with _recorded(create_graph):
        second = _gradients(directional, leaves, None, create_graph, strict)
    return (_finished(output, create_graph),
            _unpack(tuple(_finished(item, create_graph) for item in second), inputs_tuple))


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, Structure]:
    """(func(inputs), H v) for scalar `func`, shaped like the inputs."""
    return _second_order(func, inputs, v, create_graph, strict, "hvp")


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, Structure]:
    """(func(inputs), v^T H) for scalar `func` (equal to `hvp` for twice-differentiable func)."""
    return _second_order(func, inputs, v, create_graph, strict, "vhp")
