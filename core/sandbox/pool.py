"""Several sandboxed programs at once: a thread per slot, each slot its own sandbox user.

Where bubblewrap runs as root (the usual container), each slot keeps a warm sandbox
(``warm.py``) that forks every program instead of starting bubblewrap and Python for it: about
three times the programs per second on 2 cores (benchmarks/sandbox_throughput.py), with the
same containment per program.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from agentctl.sandbox.config import SandboxConfig
from agentctl.sandbox.result import Result
from agentctl.sandbox.runner import Sandbox, SandboxWarning
from agentctl.sandbox.warm import WarmSandbox, warm_supported

__all__ = ["Job", "SandboxPool"]

# (program source, tests) — tests as in Sandbox.run: None, a tests file's text, or a list of
# test statements; an optional third item is the setup code run before a list of tests.
Job = tuple[str, "str | Sequence[str] | None"] | tuple[str, Sequence[str], str]
_WARM_PROBED: list[bool] = []  # whether warm sandboxes work here, once known


class SandboxPool:
    """Runs jobs on ``workers`` threads; each thread waits on its own sandboxed process, so the
    work is the processes' and the threads cost nothing but waiting. The default, two per core,
    keeps the cores busy while other programs start up or wait on pipes.

    ``warm``: True keeps a warm sandbox per slot (an error where that cannot work), False starts
    a fresh sandbox per program, None (default) is warm wherever a trial program runs warm."""

    def __init__(self, config: SandboxConfig | None = None, workers: int | None = None,
                 warm: bool | None = None) -> None:
        self.sandbox = Sandbox(config)
        self.workers = workers or 2 * (os.cpu_count() or 1)
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="sandbox")
        self._slots = threading.local()
        self._next_slot = 0
        self._lock = threading.Lock()
        self._warm: dict[int, WarmSandbox] = {}
        self.warm = False
        self.warm = self._warm_works() if warm is None else warm
        if warm and (why := warm_supported(self.sandbox)):
            from agentctl.errors import UserError

            raise UserError(f"{why}; use SandboxPool(warm=False)")

    def run(self, source: str, tests: str | Sequence[str] | None = None, setup: str = "") -> Result:
        """One program on the calling thread's slot (slot 0 off the pool)."""
        slot = self._slot()
        if self.warm:
            return self._warm_sandbox(slot).run(source, tests, setup)
        return self.sandbox.run(source, tests, setup, slot=slot)

    def map(self, jobs: Iterable[Job]) -> list[Result]:
        """Run every job, in parallel, and return the results in the jobs' order."""
        return list(self._executor.map(lambda job: self.run(*job), jobs))

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        with self._lock:
            warm, self._warm = list(self._warm.values()), {}
        for sandbox in warm:
            sandbox.close()

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _warm_sandbox(self, slot: int) -> WarmSandbox:
        with self._lock:
            if slot not in self._warm:
                self._warm[slot] = WarmSandbox(self.sandbox, slot)
            return self._warm[slot]

    def _warm_works(self) -> bool:
        """Whether warm sandboxes work here: bubblewrap as root, and a real trivial program run
        warm (once per process). It runs on a pool thread, whose slot then keeps its sandbox:
        a warm sandbox lives as long as the thread that started it (bubblewrap's
        ``--die-with-parent``), and is started again if that thread has ended."""
        if warm_supported(self.sandbox) is not None:
            return False
        if not _WARM_PROBED:
            self.warm = True
            result = self._executor.submit(self.run, "import math\nprint(math.floor(42.5))").result()
            works = result.status == "ok" and result.stdout.strip() == "42"
            if not works:
                why = (result.stderr.strip().splitlines() or [result.status])[-1][:200]
                warnings.warn(f"warm sandboxes do not work here (a trial program: {why}); each program starts a "
                              "fresh sandbox, which is slower", SandboxWarning, stacklevel=3)
                with self._lock:
                    failed, self._warm = list(self._warm.values()), {}
                for sandbox in failed:
                    sandbox.close()
            _WARM_PROBED.append(works)
        return _WARM_PROBED[0]

    def _slot(self) -> int:
        slot = getattr(self._slots, "index", None)
        if slot is None:
            with self._lock:
                slot = self._slots.index = self._next_slot
                self._next_slot += 1
        return slot
