"""Warm sandboxes: one long-lived bubblewrap sandbox per pool slot that forks each program.

A fresh sandbox costs bubblewrap's setup and an interpreter start (about 15 ms of CPU) before a
small program runs for a millisecond. A warm sandbox pays that once: its harness serves
programs (``harness.serve``) and gives each one, in a forked child, what a fresh sandbox would:
new PID, IPC and mount namespaces, a new size-bounded tmpfs work dir holding only ``harness.py``
and ``main.py``, a new /proc, the limits and the slot's unprivileged user. Between programs
nothing of the last one is left: its namespaces die with it, and the server is never touched
by program code (it is root; the program is not, and cannot see it).

The host side here speaks to that server over a socket pair: per program it sends the program's
three pipes (stdout, stderr, reports) and its job (a memfd the server's child reads, so the
server never holds a job in its own memory), reads the pipes with their caps exactly as for a
fresh sandbox, then reads the exit status. At a timeout or an output cap the whole warm sandbox
is killed, like a fresh one, and the slot starts another at its next program.

Needs bubblewrap and root (the server switches each program to the slot's user, and mounts).
"""

from __future__ import annotations

import marshal
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from agentctl.sandbox import backends
from agentctl.sandbox.result import Result
from agentctl.sandbox.runner import CHANNEL_LIMIT, HARNESS, Sandbox, _classify, _collect, _events, _memfd, split_tests

__all__ = ["WarmSandbox", "warm_supported"]


def warm_supported(sandbox: Sandbox) -> str | None:
    """Why warm sandboxes cannot run here (None if they can)."""
    if sandbox.backend != "bwrap":
        return f"warm sandboxes need bubblewrap; this host uses the {sandbox.backend} backend"
    if os.geteuid() != 0:
        return "warm sandboxes need root (each program is switched to the slot's user)"
    return None


class WarmSandbox:
    """One slot's long-lived sandbox. ``run`` takes the same arguments as ``Sandbox.run``; one
    program at a time (a lock makes concurrent callers wait their turn)."""

    def __init__(self, sandbox: Sandbox, slot: int) -> None:
        self.sandbox = sandbox
        self.slot = slot
        self._proc: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._lock = threading.Lock()

    def run(self, source: str, tests: str | Sequence[str] | None = None, setup: str = "") -> Result:
        if isinstance(tests, str):
            setup, tests = split_tests(tests)
        with self._lock:
            return self._run(source, None if tests is None else list(tests), setup)

    def close(self) -> None:
        """Stop the server (it exits when the socket closes; killed if it lingers)."""
        with self._lock:
            self._stop(kill=False)

    # -- one program ---------------------------------------------------------------------------

    def _run(self, source: str, tests: list[str] | None, setup: str) -> Result:
        cfg = self.sandbox.config
        spec = self.sandbox._spec(tests, setup, self.slot)
        job = marshal.dumps({**spec, "source": source})
        pipes = [os.pipe() for _ in range(3)]
        reads = [r for r, _ in pipes]
        try:
            start = time.monotonic()
            self._send(job, [w for _, w in pipes])
            out_fd, err_fd, report_r = reads
            deadline = start + cfg.timeout_s
            streams, timed_out, over_limit = _collect(
                {out_fd: cfg.output_limit, err_fd: cfg.output_limit, report_r: CHANNEL_LIMIT}, deadline)
            returncode, stderr_extra = None, ""
            if not (timed_out or over_limit):
                returncode = self._status(max(1.0, deadline - time.monotonic()))
                if returncode is None and self._proc.poll() is None:  # the tree closed its pipes but lingers
                    timed_out = True
                elif returncode is None:  # the server died (never by the program's hand: say why)
                    stderr_extra = self._server_stderr()
            if returncode is None:  # as for a fresh sandbox: kill it all; the next program starts another
                returncode = self._stop(kill=True)
            duration = time.monotonic() - start
        finally:
            for fd in reads:
                os.close(fd)
        events = _events(bytes(streams[report_r]), spec["token"])
        stdout = streams[out_fd].decode("utf-8", "replace")
        stderr = streams[err_fd].decode("utf-8", "replace") + stderr_extra
        return _classify("bwrap", returncode, stdout, stderr, duration, events, tests, timed_out, over_limit)

    def _send(self, job: bytes, writes: list[int]) -> None:
        """Hand the server a program: one byte carrying its pipes and its job. Our copies of the
        write ends are closed here, so EOF on a pipe means the program's tree is gone. A server
        that died since the last program (its thread ended, or it was killed) is restarted once."""
        job_fd = _memfd("job", "")
        try:
            os.write(job_fd, job)
            os.lseek(job_fd, 0, os.SEEK_SET)
            for attempt in (1, 2):
                if self._proc is None or self._proc.poll() is not None:
                    self._stop(kill=True)
                    self._start()
                try:
                    self._control.sendmsg([b"R"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                                    _fd_bytes([*writes, job_fd]))])
                    return
                except OSError:
                    if attempt == 2:
                        raise
                    self._stop(kill=True)
        finally:
            for fd in (*writes, job_fd):
                os.close(fd)

    def _status(self, timeout: float) -> int | None:
        """The program's exit status from the server, or None if none comes in ``timeout``
        seconds or the server is gone."""
        data = b""
        deadline = time.monotonic() + timeout
        while len(data) < 4:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._control], [], [], left)[0]:
                return None
            chunk = self._control.recv(4 - len(data))
            if not chunk:
                return None
            data += chunk
        return int.from_bytes(data, sys.byteorder)

    # -- the server ----------------------------------------------------------------------------

    def _start(self) -> None:
        sandbox = self.sandbox
        cfg = sandbox.config
        host_end, server_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        server_fd = server_end.fileno()  # the same number inside: pass_fds keeps it
        harness_fd = _memfd("harness.py", HARNESS)
        try:
            cmd = backends.bwrap_command(backends.which("bwrap"), sandbox.python, {"harness.py": harness_fd},
                                         cfg.disk_mb << 20)
            cmd += [sandbox.python.executable, "-I", "-S", "harness.py"]
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    pass_fds=(server_fd, harness_fd), cwd="/", env={},
                                    start_new_session=True)
        except BaseException:
            host_end.close()
            raise
        finally:
            server_end.close()
            os.close(harness_fd)
        try:
            proc.stdin.write(marshal.dumps({"serve": True, "control_fd": server_fd, "disk_bytes": cfg.disk_mb << 20,
                                            "workdir": backends.WORKDIR}))
            proc.stdin.close()
        except OSError:  # it died at start: the first program's result says so
            pass
        self._proc, self._control = proc, host_end

    def _stop(self, kill: bool) -> int | None:
        """End the server (SIGKILL to its whole sandbox if ``kill`` or if it does not leave when
        asked) and return bubblewrap's exit code."""
        proc, self._proc = self._proc, None
        if self._control is not None:
            self._control.close()
            self._control = None
        if proc is None:
            return None
        try:
            if not kill:
                try:
                    return proc.wait(timeout=2.0)
                except subprocess.TimeoutExpired:
                    pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return proc.wait()
        finally:
            proc.stderr.close()

    def _server_stderr(self) -> str:
        """What a server that died on its own wrote (for the result's stderr)."""
        try:
            self._proc.wait(timeout=1.0)
            text = self._proc.stderr.read(4096).decode("utf-8", "replace")
        except (OSError, ValueError, subprocess.TimeoutExpired):
            return ""
        return f"\n[the warm sandbox ended: {text.strip()[-2000:]}]\n" if text.strip() else ""


def _fd_bytes(fds: list[int]) -> bytes:
    return b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in fds)
