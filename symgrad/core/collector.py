"""Pausing Python's cyclic garbage collector while a large DAG is built.

Building nodes allocates many small objects, and each allocation burst triggers collections
that scan the (growing) set of live objects: a fifth of a large parse's time. The DAG's nodes
are immutable and refer only to their arguments, so building them makes no reference cycles
and a paused collector leaves no garbage behind; reference counting frees what is dropped.
Pauses nest across threads: the collector is enabled again when the last pause ends, and only
if it was enabled when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_active = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off for the duration of the block (nested and threaded pauses
    share one pause)."""
    global _active, _resume
    with _lock:
        if _active == 0:
            _resume = gc.isenabled()
            gc.disable()
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _resume:
                gc.enable()
