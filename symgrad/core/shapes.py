"""Static shapes: numpy broadcasting on the core (per-point) shape of an expression."""

from __future__ import annotations

from .errors import ShapeError

Shape = tuple[int, ...]


def broadcast(*shapes: Shape, operation: str = "operation") -> Shape:
    """The numpy broadcast of `shapes`, or a `ShapeError` naming the operation and the shapes."""
    if len(shapes) == 1:
        return shapes[0]
    rank = max(len(shape) for shape in shapes)
    result: list[int] = []
    for axis in range(-rank, 0):
        sizes = {shape[axis] for shape in shapes if len(shape) >= -axis} - {1}
        if len(sizes) > 1:
            listed = " and ".join(str(shape) for shape in shapes)
            raise ShapeError(f"shapes {listed} do not broadcast together in {operation}")
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def size_of(shape: Shape) -> int:
    """The number of elements of an array of `shape`."""
    count = 1
    for extent in shape:
        count *= extent
    return count


def summed_axes(from_shape: Shape, to_shape: Shape) -> tuple[int, ...]:
    """Negative axes of `from_shape` to sum (keeping dims) so it reduces to `to_shape`.

    The leading axes `to_shape` lacks come first; a caller drops them after summing.
    """
    extra = len(from_shape) - len(to_shape)
    axes = list(range(-len(from_shape), -len(from_shape) + extra))
    for offset, (big, small) in enumerate(zip(from_shape[extra:], to_shape)):
        if small == 1 and big != 1:
            axes.append(-len(to_shape) + offset)
    return tuple(axes)
