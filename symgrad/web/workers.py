"""Worker processes that compute the API's answers under a time limit.

A thread cannot be stopped from outside, so work that runs past its time limit would keep a
core busy after its request was answered. Each job runs in a worker process instead; a worker
that has not answered within the limit is killed, and the next job starts a fresh one. Workers
keep nothing between jobs but imported modules (the server keeps no state).

Workers start with the "spawn" method, the same on every platform: a forked copy of a server
with running threads may inherit a held lock.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from ..core.errors import SymgradError
from . import work

START_SECONDS = 120.0   # how long a new worker may take to import its modules (a cold disk)
Job = tuple[str, dict[str, Any]]
Answer = tuple[int, dict[str, Any]]


class TimeLimitExceeded(SymgradError):
    """A job ran past the time limit; its worker was stopped (HTTP 503)."""


class WorkerFailed(SymgradError):
    """A worker stopped without answering (killed by the system, out of memory, ...)."""


def _address_space() -> int | None:
    """This process's address space in bytes (Linux), or None where it cannot be read."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _limit_memory(megabytes: int) -> None:
    """Allow the worker `megabytes` more address space than it has after its imports (Linux),
    so runaway work raises MemoryError, which the job answers as a 400, instead of pushing the
    machine into swap. Counting from the current size keeps the thread buffers a BLAS library
    reserved per core out of the budget."""
    base = _address_space()
    if base is None:
        return  # not Linux: the time limit still holds
    import resource
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = base + megabytes * 2**20
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass  # not allowed here: the time limit still holds


def _run_jobs(connection: Connection, memory_mb: int) -> None:
    """A worker's life: import the heavy modules once, cap its memory, say so, then answer
    jobs until the connection closes."""
    try:
        import sympy  # noqa: F401  (verify's proofs; loaded now, not inside a job's time)
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.figure  # noqa: F401
    except ImportError:
        pass  # the jobs that need them say so
    if memory_mb > 0:
        _limit_memory(memory_mb)
    connection.send("ready")
    while True:
        try:
            kind, request = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(work.answer(kind, request))


@dataclass
class Worker:
    """One worker process and the parent's end of its pipe."""

    process: Any   # multiprocessing's SpawnProcess; its type is private to multiprocessing
    connection: Connection
    ready: bool = False

    @classmethod
    def start(cls, memory_mb: int = 0) -> Worker:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_run_jobs, args=(child, memory_mb), daemon=True,
                                  name="symgrad-web-worker")
        process.start()
        child.close()
        return cls(process, parent)

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.connection.poll(START_SECONDS):
            raise WorkerFailed(f"a worker did not start within {START_SECONDS:.0f} s")
        try:
            self.connection.recv()
        except (EOFError, OSError):
            raise WorkerFailed("a worker stopped while starting") from None
        self.ready = True

    def run(self, job: Job, seconds: float) -> Answer:
        """The job's answer, or `TimeLimitExceeded` after `seconds` (the worker is then dead)."""
        self.wait_ready()
        try:
            self.connection.send(job)
            if not self.connection.poll(seconds):
                raise TimeLimitExceeded(f"the work took longer than {seconds:g} s, the time limit "
                                        "per request; try a smaller expression or a lower order")
            answer: Answer = self.connection.recv()
            return answer
        except (EOFError, OSError, BrokenPipeError):
            raise WorkerFailed("the worker computing this answer stopped (out of memory?); "
                               "try a smaller expression") from None

    def stop(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.connection.close()


class WorkerPool:
    """At most `size` workers at once; idle ones are reused, failed or late ones replaced."""

    def __init__(self, size: int, time_limit: float, memory_mb: int = 0) -> None:
        self.size = max(1, size)
        self.time_limit = time_limit
        self.memory_mb = memory_mb
        self._slots = threading.BoundedSemaphore(self.size)
        self._idle: list[Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def warm(self) -> None:
        """Start the workers now, so the first requests do not wait for Python to start."""
        with self._lock:
            while len(self._idle) < self.size:
                self._idle.append(Worker.start(self.memory_mb))

    def run(self, job: Job) -> Answer:
        """Run `job` on a free worker (waiting for one), within the time limit. Blocks: call it
        from a thread."""
        with self._slots:
            with self._lock:
                if self._closed:
                    raise WorkerFailed("the server is stopping")
                worker = self._idle.pop() if self._idle else Worker.start(self.memory_mb)
            try:
                answer = worker.run(job, self.time_limit)
            except BaseException:
                worker.stop()
                raise
            with self._lock:
                if self._closed:
                    worker.stop()
                else:
                    self._idle.append(worker)
            return answer

    def close(self) -> None:
        """Stop every idle worker; a busy one stops when its job ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()
