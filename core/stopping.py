"""Stop signals during training: Ctrl-C (SIGINT), SIGTERM and SIGHUP alike.

``timeout``, ``docker stop``, job schedulers and a closed terminal send SIGTERM or SIGHUP;
each means "stop now, keep the work", the same as a first Ctrl-C. Inside the training loop
the first signal asks the loop to stop after the current update (it then checkpoints and the
command exits with 128 + the signal number); a second one aborts at once. Before the loop
runs (start-up) there is nothing to keep yet, so a signal aborts at once.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any, Self

from agentctl.errors import Interrupted

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopSignals:
    """Context manager that owns the stop signals; ``armed`` once the loop can stop cleanly."""

    def __init__(self) -> None:
        self.requested: int | None = None  # the first signal received
        self.armed = False
        self._previous: dict[int, Any] = {}
        self._previous_hook = sys.unraisablehook

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():  # Python only allows it there
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
            self._previous_hook, sys.unraisablehook = sys.unraisablehook, self._unraisable
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.armed and self.requested is None:
            self.requested = signum
            return
        if self.requested is None:
            # Kept as well as raised: the exception may never reach us (a C extension's import
            # clears it, torch's does; in a finalizer Python drops it); the loop then still stops.
            self.requested = signum
        # Once the loop has run, "aborted" (not a start-up stop): the work so far is on disk.
        raise Interrupted(signum, "aborted" if self.armed else "")

    def _unraisable(self, unraisable: Any) -> None:
        """A signal that landed in a finalizer or a weakref callback (an import's module lock
        has one): Python drops its exception and would print it as a traceback. The signal is
        kept in ``requested``, so it is no error to show."""
        if not isinstance(unraisable.exc_value, Interrupted):
            self._previous_hook(unraisable)

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        if self._previous:
            sys.unraisablehook = self._previous_hook
        self._previous.clear()
