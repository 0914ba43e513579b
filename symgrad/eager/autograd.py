"""The backward pass over recorded tensors, and `sg.autograd.grad`.

One sweep in reverse creation order applies each recorded op's derivative rule. Without
`create_graph` the rule runs on numpy values (`numeric.backend.NumericBackend` with no batch
axes); with it, the rule runs on tensors (`TensorBackend`), so the backward pass is itself
recorded and can be differentiated again. Both fit contributions to shapes with
`core.opspec.fit_shape` and mask zero adjoints with `numeric.backend.mask`.
"""

from __future__ import annotations

import dis
import itertools
import re
import operator
from typing import Any, Callable, Sequence

import numpy as np

from ..core.errors import AutogradError, InPlaceError, ShapeError
from ..core.opspec import fit_shape
from ..core.shapes import Shape
from ..numeric.backend import NumericBackend, mask, zero_upstream
from .tensor import (Tensor, apply_op, dtype_name, hooks_used, inplace_used, make_leaf, retain_used,
                     set_grad_enabled, where_recorded)
from .recording import ELEMENTWISE, cast_like

__all__ = ["grad", "backward"]

_NUMERIC = NumericBackend(0)


class TensorBackend:
    """The `F` a derivative rule sees when the backward pass is recorded (create_graph)."""

    @staticmethod
    def shape(value: Any) -> Shape:
        return tuple(np.shape(value._value if type(value) is Tensor else value))

    def broadcast_to(self, value: Any, shape: Shape, exact: bool = False) -> Any:
        shape = tuple(shape)
        return value if self.shape(value) == shape else apply_op("broadcast_to", (value,), {"shape": shape})

    def sum_to(self, value: Any, shape: Shape) -> Any:
        shape = tuple(shape)
        return value if self.shape(value) == shape else apply_op("sum_to", (value,), {"shape": shape})

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return lambda *args, **params: apply_op(name, args, params)


_TENSORS = TensorBackend()


def _order(roots: Sequence[Tensor]) -> list[Tensor]:
    """Every tensor that requires grad reachable from `roots`, outputs before their inputs.

    Creation order is a topological order (an input exists before the op that reads it), so
    one marking walk and a sort by creation number replace a two-phase depth-first search.
    """
    epoch = _next_epoch()
    nodes: list[Tensor] = []
    for root in roots:
        if root._mark != epoch:
            root._mark = epoch
            nodes.append(root)
    stack = list(nodes)
    append, push, pop = nodes.append, stack.append, stack.pop
    checking = inplace_used()
    while stack:
        node = pop()
        if checking and node._op is not None:
            _check_versions(node)
        for item in node._inputs:
            if type(item) is Tensor and item._rg and item._mark != epoch:
                item._mark = epoch
                append(item)
                push(item)
    nodes.sort(key=_creation, reverse=True)
    return nodes


def _check_versions(node: Tensor) -> None:
    """After in-place operations: point `node` at the records its inputs held when it was
    made, and refuse (as PyTorch) when values it needs were changed since."""
    inputs = node._inputs
    resolved = []
    for item in inputs:
        if type(item) is Tensor and item._history:
            for when, before in item._history:
                if when > node._seq:  # changed after `node` used it: use the record of then
                    item = before
                    break
        resolved.append(item)
    if any(new is not old for new, old in zip(resolved, inputs)):
        node._inputs = tuple(resolved)
    for position in _saved_positions(node):
        item = node._inputs[position]
        if type(item) is Tensor:
            _check_unchanged(item, node._seq)
    if _reads_out(node._op) and _needs_out(node):
        _check_unchanged(node, node._seq)


def _needs_out(node: Tensor) -> bool:
    # a / b and a ** b read their value only for the partial by b.
    if node._op.name in ("div", "power"):  # type: ignore[union-attr]
        second = node._inputs[1]
        return type(second) is Tensor and second._rg
    return True


def _check_unchanged(item: Tensor, since: int) -> None:
    # whose storage (and version counter) it is
    owner = item if item._snapshot_of is None else item._snapshot_of
    changes = owner._modified
    if not changes or changes[-1] <= since:
        return
    expected = sum(1 for when in changes if when < since)
    # PyTorch names the node that now produces the tensor (the one that saved it, for its output).
    producer = item if item is not owner and _reads_out(item._op) else owner
    source = "" if producer._op is None or not producer._rg else \
        f", which is output 0 of {re.sub(r'Backward[0-9]*$', '', producer._op.torch)},"
    raise InPlaceError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [torch.{dtype_name(item._value)}Tensor {list(np.shape(item._value))}]{source} "
        f"is at version {len(changes)}; expected version {expected} instead. Hint: the "
        "operation that modified it ran after this value was used; compute on a .clone() "
        "or modify it after backward().")


# Ops whose rule reads an input only to differentiate another one (PyTorch saves it only then).
_CROSS = frozenset({"mul", "matmul", "outer"})


def _saved_positions(node: Tensor) -> range | list[int]:
    op = node._op
    inputs = node._inputs
    if op is None or not op.saves:
        return []
    name = op.name
    if name in _CROSS or name == "div":
        wanted = [position for position, item in enumerate(inputs)
                  if any(type(other) is Tensor and other._rg
                         for index, other in enumerate(inputs) if index != position)]
        if name == "div" and type(inputs[0]) is Tensor and inputs[0]._rg and 1 not in wanted:
            wanted.append(1)  # a / b needs b for d/da
        return wanted
    return range(len(inputs))


_OUT_READERS: dict[Any, bool] = {}


def _reads_out(op: Any) -> bool:
    """Whether a rule uses the node's own value `out` (then changing it in place is an error)."""
    rule = op.grad
    found = _OUT_READERS.get(rule)
    if found is None:
        code = getattr(rule, "__code__", None)
        found = code is not None and any(
            instruction.opname.startswith("LOAD_FAST") and instruction.argval == "out"
            for instruction in dis.get_instructions(code))
        _OUT_READERS[rule] = found
    return found


_next_epoch = itertools.count(1).__next__
_creation = operator.attrgetter("_seq")


def _type_of(value: Any) -> np.dtype:
    """The numpy type of a tensor's values (a numpy array or scalar: `.dtype` is quickest)."""
    kind = getattr(value, "dtype", None)
    return kind if kind is not None else np.result_type(value)


def _seed(root: Tensor, gradient: Any, create_graph: bool) -> Any:
    if not root._rg:
        raise AutogradError("this tensor does not require grad and has no grad_fn: nothing "
                            "was recorded; create its leaves with requires_grad=True")
    kind = _type_of(root._value)  # the seed has the output's type (float32 or float64)
    if gradient is None:
        if np.size(root._value) != 1:
            raise AutogradError(f"grad can be implicitly created only for scalar outputs: this "
                                f"tensor has shape {root.shape}; pass gradient= (the v in v^T J) "
                                "of the same shape")
        value = np.ones(np.shape(root._value), dtype=kind)
    else:
        value = gradient._value if isinstance(gradient, Tensor) else np.asarray(gradient, dtype=kind)
        if np.shape(value) != root.shape:
            raise ShapeError(f"the gradient has shape {np.shape(value)} but the output has "
                             f"shape {root.shape}; they must match")
    if create_graph:
        return gradient if isinstance(gradient, Tensor) else make_leaf(np.array(value, dtype=kind))
    return np.asarray(value, dtype=kind)


def _freed_error(node: Tensor) -> AutogradError:
    return AutogradError(f"trying to backward through the graph a second time "
                         f"({node._op.torch}): its saved values were freed after the first "  # type: ignore[union-attr]
                         "backward; pass retain_graph=True to the first backward() to keep them")


def _add_adjoint(item: Tensor, contribution: Any) -> None:
    previous = item._adj
    item._adj = contribution if previous is None else previous + contribution


def _sweep_numbers(nodes: list[Tensor], visit: Callable[[Tensor, Any], None], keep: set[int],
                   free: bool) -> None:
    """The backward pass on numpy values: the hot loop, kept flat on purpose (its first lines
    repeat `_sweep_tensors`': a generator serving both made backward 3% slower)."""
    backend = _NUMERIC
    masking = where_recorded()
    special = bool(keep) or retain_used()
    hooking = hooks_used()
    for node in nodes:
        adjoint = node._adj
        if adjoint is None:
            continue
        node._adj = None
        if hooking and node._hooks:
            adjoint = _run_hooks(node, adjoint, False)
        op = node._op
        if op is None or (special and (node._retain or id(node) in keep)):
            visit(node, adjoint)
            if op is None:
                continue
        if op.freed:
            raise _freed_error(node)
        inputs = node._inputs
        if len(inputs) == 2:
            first, second = inputs
            args = (first._value if type(first) is Tensor else first,
                    second._value if type(second) is Tensor else second)
        else:
            args = tuple(item._value if type(item) is Tensor else item for item in inputs)
        params = node._params
        if params:
            results = op.grad(backend, adjoint, node._value, *args, **params)
        else:
            results = op.grad(backend, adjoint, node._value, *args)
        if free:
            node._op = op.released
        zero = zero_upstream(np.asarray(adjoint), 0, op.name in ELEMENTWISE) if masking else None
        for item, contribution in zip(inputs, results):
            if type(item) is not Tensor or not item._rg:
                continue
            if contribution is None:  # a rule with no contribution (sign, heaviside): zeros,
                contribution = np.zeros_like(item._value)  # as PyTorch's sign gives
            if zero is not None:
                contribution = mask(backend, contribution, contribution, zero, 0)
            value = item._value
            kind = type(value)
            # Scalars fit scalars; otherwise compare shapes (the rule may have broadcast).
            if type(contribution) is not kind or (kind is np.ndarray and contribution.shape != value.shape):
                contribution = fit_shape(backend, contribution, np.shape(value))
            previous = item._adj
            item._adj = contribution if previous is None else previous + contribution


def _sweep_tensors(nodes: list[Tensor], visit: Callable[[Tensor, Any], None], keep: set[int],
                   free: bool) -> None:
    """The backward pass recorded as tensor operations (create_graph=True)."""
    masking = where_recorded()
    hooking = hooks_used()
    for node in nodes:
        adjoint = node._adj
        if adjoint is None:
            continue
        node._adj = None
        if hooking and node._hooks:
            adjoint = _run_hooks(node, adjoint, True)
        op = node._op
        if op is None or node._retain or id(node) in keep:
            visit(node, adjoint)
            if op is None:
                continue
        if op.freed:
            raise _freed_error(node)
        results = op.grad(_TENSORS, adjoint, node, *node._inputs, **(node._params or {}))
        if free:
            node._op = op.released
        zero = zero_upstream(np.asarray(adjoint._value), 0, op.name in ELEMENTWISE) if masking else None
        for item, contribution in zip(node._inputs, results):
            if type(item) is not Tensor or not item._rg:
                continue
            if contribution is None:
                contribution = np.zeros_like(item._value)
            if zero is not None and type(contribution) is Tensor:
                contribution = mask(_TENSORS, contribution, contribution._value, zero, 0)
            if type(contribution) is not Tensor:
                contribution = make_leaf(np.asarray(contribution, dtype=np.result_type(item._value)))
            _add_adjoint(item, fit_shape(_TENSORS, contribution, item.shape))


def _run_hooks(node: Tensor, adjoint: Any, recorded: bool) -> Any:
    """The gradient after `node`'s hooks (each may return a replacement), in their order."""
    for hook in list(node._hooks):
        given = adjoint if recorded else make_leaf(np.array(adjoint))
        result = hook(given)
        if result is None:
            continue
        if not isinstance(result, Tensor):
            raise AutogradError(f"a hook returned a {type(result).__name__}; it must return a "
                                "Tensor (the new gradient) or None")
        if result.shape != node.shape:
            raise ShapeError(f"hook 'hook' has changed the size of value: the gradient has "
                             f"shape {node.shape}, the hook returned shape {result.shape}")
        adjoint = cast_like(result, node) if recorded else np.array(
            result._value, dtype=np.result_type(node._value))
    return adjoint


def _run(roots: Sequence[Tensor], gradients: Sequence[Any] | None, retain_graph: bool | None,
         create_graph: bool, visit: Callable[[Tensor, Any], None], keep: set[int]) -> None:
    seeds = [_seed(root, None if gradients is None else gradients[i], create_graph)
             for i, root in enumerate(roots)]
    nodes = _order(roots)
    for root, seed in zip(roots, seeds):
        _add_adjoint(root, seed)
    free = not (create_graph if retain_graph is None else retain_graph)
    previous = set_grad_enabled(create_graph)
    try:
        with np.errstate(all="ignore"):
            (_sweep_tensors if create_graph else _sweep_numbers)(nodes, visit, keep, free)
    except BaseException:
        for node in nodes:
            node._adj = None  # a failed pass leaves no adjoints behind
        raise
    finally:
        set_grad_enabled(previous)


def _accumulate(create_graph: bool) -> Callable[[Tensor, Any], None]:
    def accumulate(leaf: Tensor, adjoint: Any) -> None:
        current = leaf._grad
        kind = _type_of(leaf._value)  # a gradient has its leaf's type, as in PyTorch
        if create_graph:
            adjoint = cast_like(adjoint, leaf)
            if current is None:
                leaf._grad = adjoint.clone() if adjoint._rg else make_leaf(np.array(adjoint._value))
            else:
                leaf._grad = current + adjoint
        elif current is None:
            leaf._grad = make_leaf(np.array(adjoint, dtype=kind))
        elif current._rg:
            leaf._grad = make_leaf(current._value + adjoint)  # a recorded grad is not overwritten
        else:
            _add_into(current, adjoint if _type_of(adjoint) == kind else np.asarray(adjoint, dtype=kind))
    return accumulate


def _add_into(target: Tensor, adjoint: Any) -> None:
    """`target += adjoint`, in place where numpy can (PyTorch accumulates in place)."""
    value = target._value
    if isinstance(value, np.ndarray) and value.flags.writeable and value.shape == np.shape(adjoint):
        value += adjoint
    else:
        target._value = value + adjoint


def backward(tensors: Sequence[Tensor], grad_tensors: Sequence[Any] | None = None,
             retain_graph: bool | None = None, create_graph: bool = False) -> None:
    """Accumulate the gradients of `tensors` (seeded by `grad_tensors`) into leaves' `.grad`."""
    tensors = _as_list(tensors)
    if grad_tensors is not None:
        grad_tensors = _as_list(grad_tensors)
        if len(grad_tensors) != len(tensors):
            raise AutogradError(f"got {len(grad_tensors)} gradients for {len(tensors)} outputs")
    _run(tensors, grad_tensors, retain_graph, create_graph, _accumulate(create_graph), set())


def _as_list(items: Any) -> list[Any]:
    return list(items) if isinstance(items, (list, tuple)) else [items]


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of `outputs` with respect to `inputs`, as a tuple; `.grad` is untouched.

    `grad_outputs` seeds non-scalar outputs (v^T J). With `create_graph=True` the results are
    recorded tensors that can be differentiated again. An input the outputs do not depend on
    is an error unless `allow_unused`, which gives None for it.
    """
    outputs, targets = _as_list(outputs), _as_list(inputs)
    for target in targets:
        if not isinstance(target, Tensor) or not target._rg:
            raise AutogradError("one of the differentiated tensors does not require grad")
    seeds = None if grad_outputs is None else _as_list(grad_outputs)
    if seeds is not None and len(seeds) != len(outputs):
        raise AutogradError(f"got {len(seeds)} grad_outputs for {len(outputs)} outputs")
    wanted = {id(target) for target in targets}
    found: dict[int, Any] = {}

    def collect(node: Tensor, adjoint: Any) -> None:
        if id(node) in wanted:
            found[id(node)] = adjoint

    _run(outputs, seeds, retain_graph, create_graph, collect, wanted)
    return tuple(_result(found.get(id(target)), target, allow_unused, create_graph)
                 for target in targets)


def _result(adjoint: Any, target: Tensor, allow_unused: bool, create_graph: bool) -> Tensor | None:
    if adjoint is None:
        if not allow_unused:
            raise AutogradError("one of the differentiated tensors appears not to have been "
                                "used in the graph; pass allow_unused=True to get None for it")
        return None
    if create_graph:
        recorded: Tensor = cast_like(adjoint, target)  # recorded tensors, of the input's type
        return recorded
    return make_leaf(np.array(adjoint, dtype=np.result_type(target._value)))


