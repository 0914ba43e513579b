"""From eager tensors to the symbolic DAG: `tensor.expr` and `sg.trace`.

A tensor's record (op, inputs, parameters) is turned into Expr nodes by one iterative walk;
leaves that require grad (or have a name) become symbols, other leaves constants.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

import numpy as np

from ..core.expr import Expr, constant, symbol
from .tensor import Tensor, set_grad_enabled, tensor
from ..core.traverse import topological

_names = itertools.count()


def to_expr(root: Tensor) -> Expr:
    """The Expr that computes `root` from its leaves, built iteratively over the record."""
    built: dict[int, Expr] = {}
    for node in recorded_order(root):
        if node._op is None:
            built[id(node)] = _leaf_expr(node)
        else:
            args = [built[id(item)] if type(item) is Tensor else constant(item)
                    for item in node._inputs]
            built[id(node)] = node._op.to_expr(*args, **(node._params or {}))
    return built[id(root)]


def _leaf_expr(node: Tensor) -> Expr:
    if not node._rg and node._name is None:
        return constant(np.asarray(node._value, dtype=np.float64))
    if node._name is None:
        node._name = f"t{next(_names)}"
    return symbol(node._name, node.shape)


def recorded_order(root: Tensor) -> list[Tensor]:
    """Every tensor in `root`'s record (leaves included), each after its inputs."""
    return topological([root], lambda node: [item for item in node._inputs if type(item) is Tensor])


def trace(function: Callable[..., Any], **example_args: Any) -> Expr:
    """Run `function` on tensors made from `example_args` and return the Expr of the path taken.

    Loops and ifs run as ordinary Python at the example point; the result is an Expr in
    symbols named after the keyword arguments.
    """
    previous = set_grad_enabled(True)
    try:
        arguments = {name: tensor(value, requires_grad=True, name=name)
                     for name, value in example_args.items()}
        result = function(**arguments)
    finally:
        set_grad_enabled(previous)
    if isinstance(result, Tensor):
        return to_expr(result)
    return constant(result)
