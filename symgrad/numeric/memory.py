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
PER_SIZE = 4  # blocks kept per size: a caller that keeps every result costs a scan of 4, not all
_ALIGN = 8  # elements: each array starts on a 64-byte boundary of the block (for float64)
_COUNTS_REFERENCES = hasattr(sys, "getrefcount")  # CPython; elsewhere blocks are never reused

Key = tuple[int, str]  # a block's element count and dtype


class Recycler:
    """Blocks of memory given out as arrays, kept (up to `limit` bytes, `PER_SIZE` per size)
    for reuse."""

    def __init__(self, limit: int = LIMIT_BYTES) -> None:
        self.limit = limit
        self.blocks: dict[Key, list[np.ndarray]] = {}  # oldest first, sizes in first-kept order
        self.held = 0
        self.lock = threading.Lock()
        # What `_references` counts for a block nothing else holds, measured on this
        # interpreter through the same call (newer CPythons may not count the argument).
        probe = [np.empty(0)]
        self.free_references = self._references(probe, 0)

    def take(self, count: int, dtype: np.dtype[Any]) -> np.ndarray:
        """A 1-D block of `count` elements: a kept one nothing else refers to, or a new one."""
        if _COUNTS_REFERENCES:
            with self.lock:
                same = self.blocks.get((count, dtype.str)) or []
                for position in reversed(range(len(same))):  # the newest first: warm in cache
                    if self._references(same, position) == self.free_references:
                        block = same.pop(position)
                        self.held -= block.nbytes
                        return block
        return np.empty(count, dtype=dtype)

    @staticmethod
    def _references(blocks: list[np.ndarray], position: int) -> int:
        """The block's reference count: the list's (and getrefcount's argument) alone when no
        array refers to it; no other name may hold it while it is counted."""
        return sys.getrefcount(blocks[position])

    def keep(self, block: np.ndarray) -> None:
        """Remember `block` for reuse once its arrays are dropped; forget the oldest of its size
        beyond `PER_SIZE`, and the oldest overall beyond the limit (their arrays stay valid:
        they refer to their block)."""
        if not _COUNTS_REFERENCES or block.nbytes > self.limit:
            return
        with self.lock:
            same = self.blocks.setdefault((block.size, block.dtype.str), [])
            same.append(block)
            self.held += block.nbytes
            if len(same) > PER_SIZE:
                self.held -= same.pop(0).nbytes
            while self.held > self.limit:
                key = next(iter(self.blocks))
                oldest = self.blocks[key]
                self.held -= oldest.pop(0).nbytes
                if not oldest:
                    del self.blocks[key]

    def arrays(self, shapes: list[Shape], dtype: np.dtype[Any]) -> list[np.ndarray]:
        """Uninitialised arrays of these shapes, views of one block."""
        if not shapes:
            return []
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


def call_arrays(shapes: list[Shape], kept: list[bool], dtype: np.dtype[Any],
                xp: Any = np) -> list[Any]:
    """Arrays for one kernel call: recycled numpy memory, or new arrays of `xp` (CuPy). Those
    marked `kept` (results) share one block and the others (scratch) another, so a result the
    caller keeps does not keep the scratch memory from reuse."""
    if xp is not np:
        return [xp.empty(shape, dtype=dtype) for shape in shapes]
    results = iter(RECYCLER.arrays([s for s, k in zip(shapes, kept) if k], dtype))
    scratch = iter(RECYCLER.arrays([s for s, k in zip(shapes, kept) if not k], dtype))
    return [next(results) if k else next(scratch) for k in kept]
