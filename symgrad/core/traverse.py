"""The one topological order every pass over the DAG uses: iterative, any depth."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence, TypeVar

Node = TypeVar("Node")


def _arguments(node: Any) -> Sequence[Any]:
    return node.args  # type: ignore[no-any-return]


def topological(roots: Iterable[Node],
                children: Callable[[Node], Sequence[Node]] = _arguments) -> list[Node]:
    """Each node reachable from `roots`, after all of its children (`node.args` by default),
    each once; a node's first child is visited first."""
    order: list[Node] = []
    seen: set[int] = set()
    stack = [(root, False) for root in reversed(list(roots))]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children(node)))
    return order
