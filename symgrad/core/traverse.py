"""The one topological order every pass over the DAG uses: iterative, any depth."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

Node = TypeVar("Node")


def _arguments(node: Any) -> Sequence[Any]:
    return node.args  # type: ignore[no-any-return]


def topological(roots: Iterable[Node],
                children: Callable[[Node], Sequence[Node]] = _arguments) -> list[Node]:
    """Each node reachable from `roots`, after all of its children (`node.args` by default),
    each once; a node's first child is visited first."""
    order: list[Node] = []
    seen: set[int] = set()
    mark, emit = seen.add, order.append
    for root in roots:
        if id(root) in seen:
            continue
        mark(id(root))
        # Depth first with an iterator per open node: a node is emitted once its iterator
        # runs out, so each edge is looked at once and no tuple is made per edge.
        stack: list[tuple[Node, Iterator[Node]]] = [(root, iter(children(root)))]
        push = stack.append
        while stack:
            node, pending = stack[-1]
            for child in pending:
                if id(child) not in seen:
                    mark(id(child))
                    grandchildren = children(child)
                    if grandchildren:
                        push((child, iter(grandchildren)))
                        break
                    emit(child)
            else:
                stack.pop()
                emit(node)
    return order
