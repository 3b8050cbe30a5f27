"""Several sandboxed programs at once: a thread per slot, each slot its own sandbox user."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from agentctl.sandbox.config import SandboxConfig
from agentctl.sandbox.result import Result
from agentctl.sandbox.runner import Sandbox

__all__ = ["Job", "SandboxPool"]

# (program source, tests) — tests as in Sandbox.run: None, a tests file's text, or a list of
# test statements; an optional third item is the setup code run before a list of tests.
Job = tuple[str, "str | Sequence[str] | None"] | tuple[str, Sequence[str], str]


class SandboxPool:
    """Runs jobs on ``workers`` threads; each thread waits on its own sandboxed process, so the
    work is the processes' and the threads cost nothing but waiting. The default, two per core,
    keeps the cores busy while other programs start up or wait on pipes."""

    def __init__(self, config: SandboxConfig | None = None, workers: int | None = None) -> None:
        self.sandbox = Sandbox(config)
        self.workers = workers or 2 * (os.cpu_count() or 1)
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="sandbox")
        self._slots = threading.local()
        self._next_slot = 0
        self._lock = threading.Lock()

    def run(self, source: str, tests: str | Sequence[str] | None = None, setup: str = "") -> Result:
        """One program on the calling thread's slot (slot 0 off the pool)."""
        return self.sandbox.run(source, tests, setup, slot=self._slot())

    def map(self, jobs: Iterable[Job]) -> list[Result]:
        """Run every job, in parallel, and return the results in the jobs' order."""
        return list(self._executor.map(lambda job: self.run(*job), jobs))

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _slot(self) -> int:
        slot = getattr(self._slots, "index", None)
        if slot is None:
            with self._lock:
                slot = self._slots.index = self._next_slot
                self._next_slot += 1
        return slot
