"""The one topological order every pass over the DAG uses: iterative, any depth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from .expr import Expr


def topological(roots: Iterable[Expr]) -> list[Expr]:
    """Each node reachable from `roots`, after all of its arguments, each once."""
    order: list[Expr] = []
    seen: set[int] = set()
    stack = [(root, False) for root in reversed(list(roots))]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((arg, False) for arg in reversed(node.args))
    return order
