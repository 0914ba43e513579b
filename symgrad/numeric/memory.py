"""Memory for the arrays a kernel call writes, recycled once the caller has dropped them.

A kernel's results are fresh arrays, and the first write into fresh memory costs a page fault
per page: for a value-and-gradient kernel that is as much time as its arithmetic (measured
with benchmarks/bench_points.py). So a call takes all its arrays (results and scratch) as
views of one block, and a later call of the same size reuses a block when nothing but this
module refers to it any more: every numpy view of a block refers to the block itself (its
`base`), so a block whose reference count is ours alone has no live array left anywhere.
At most `LIMIT_BYTES` of blocks are kept; a larger block is never kept.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import numpy as np

from ..core.shapes import Shape, size_of

LIMIT_BYTES = 256 << 20
_ALIGN = 8  # elements: each array starts on a 64-byte boundary of the block (for float64)
_COUNTS_REFERENCES = hasattr(sys, "getrefcount")  # CPython; elsewhere blocks are never reused


class Recycler:
    """Blocks of memory given out as arrays, kept (up to `limit` bytes) for reuse."""

    def __init__(self, limit: int = LIMIT_BYTES) -> None:
        self.limit = limit
        self.blocks: list[np.ndarray] = []
        self.held = 0
        self.lock = threading.Lock()
        # What `_references` counts for a block nothing else holds, measured on this
        # interpreter through the same call (newer CPythons may not count the argument).
        self.blocks.append(np.empty(0))
        self.free_references = self._references(0)
        self.blocks.clear()

    def take(self, count: int, dtype: np.dtype[Any]) -> np.ndarray:
        """A 1-D block of `count` elements: a kept one nothing else refers to, or a new one."""
        if _COUNTS_REFERENCES:
            with self.lock:
                for position in range(len(self.blocks)):
                    if self._unused(position, count, dtype):
                        block = self.blocks.pop(position)
                        self.held -= block.nbytes
                        return block
        return np.empty(count, dtype=dtype)

    def _unused(self, position: int, count: int, dtype: np.dtype[Any]) -> bool:
        """Whether the kept block at `position` has this size and no array refers to it.

        Its references are then the list's (and getrefcount's argument) alone: no other name
        may hold it while it is counted."""
        block = self.blocks[position]
        if block.size != count or block.dtype != dtype:
            return False
        del block
        return self._references(position) == self.free_references

    def _references(self, position: int) -> int:
        return sys.getrefcount(self.blocks[position])

    def keep(self, block: np.ndarray) -> None:
        """Remember `block` for reuse once its arrays are dropped; forget the oldest beyond
        the limit (their arrays stay valid: they refer to their block)."""
        if not _COUNTS_REFERENCES or block.nbytes > self.limit:
            return
        with self.lock:
            self.blocks.append(block)
            self.held += block.nbytes
            while self.held > self.limit:
                self.held -= self.blocks.pop(0).nbytes

    def arrays(self, shapes: list[Shape], dtype: np.dtype[Any]) -> list[np.ndarray]:
        """Uninitialised arrays of these shapes, views of one block."""
        sizes = [size_of(shape) for shape in shapes]
        starts = [0]
        for size in sizes:
            starts.append(starts[-1] + -(-size // _ALIGN) * _ALIGN)
        block = self.take(starts[-1], dtype)
        made = [block[start:start + size].reshape(shape)
                for start, size, shape in zip(starts, sizes, shapes)]
        self.keep(block)
        return made


RECYCLER = Recycler()


def call_arrays(shapes: list[Shape], dtype: np.dtype[Any], xp: Any = np) -> list[Any]:
    """Arrays for one kernel call: recycled numpy memory, or new arrays of `xp` (CuPy)."""
    if xp is not np:
        return [xp.empty(shape, dtype=dtype) for shape in shapes]
    return RECYCLER.arrays(shapes, dtype)
