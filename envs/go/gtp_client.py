"""Drive an external Go engine over the Go Text Protocol (GTP v2) in a subprocess.

Robustness: every command has a timeout (a reader thread feeds a queue, so a hung
engine never blocks us); an engine that exits, closes its output or answers garbage
raises a :class:`GTPError` subclass with the command, the exit code and the tail of
its stderr (all on one line).  After a timeout or a protocol error the engine is killed
(the stream can no longer be trusted) and later calls raise :class:`GTPEngineDied`.

Lifetime: the engine runs in its own session, so a terminal's Ctrl-C (SIGINT to the whole
foreground process group) reaches only us, and we shut the engine down when we are done
(``close``; at interpreter exit at the latest).  Only the reader threads touch the
engine's stdout/stderr: they end at EOF and close their own pipe (closing a pipe under a
blocked reader is what aborts an interpreter at exit).
"""
from __future__ import annotations

import atexit
import collections
import os
import queue
import shutil
import subprocess
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Self

GNUGO_FALLBACK = "/usr/games/gnugo"
GNUGO_LEVELS = range(11)  # gnugo --level accepts 0..10


class GTPError(RuntimeError):
    """Base class; also raised as-is when the engine answers ``? message``."""


class GTPCommandError(GTPError):
    """The engine answered ``? message`` (``self.message``)."""

    def __init__(self, command: str, message: str):
        super().__init__(f"GTP engine refused {command!r}: {message}")
        self.command = command
        self.message = message


class GTPTimeout(GTPError):
    pass


class GTPEngineDied(GTPError):
    pass


class GTPProtocolError(GTPError):
    pass


_EOF = object()
_LIVE: weakref.WeakSet[GTPClient] = weakref.WeakSet()  # engines to stop at interpreter exit


@atexit.register
def _stop_live_engines() -> None:
    """Runs before daemon threads are frozen: kill leftover engines and let their readers end."""
    for client in list(_LIVE):
        client.kill()


def _pump(stream: Any, sink: Callable[[Any], None], end: object) -> None:
    """Reader thread: ``sink`` each line until EOF (then ``end``, unless None), then close the
    pipe; this thread is the pipe's only user."""
    with stream:
        try:
            for line in stream:
                sink(line)
        except (OSError, ValueError):
            pass
    if end is not None:
        sink(end)


class GTPClient:
    """``GTPClient(["gnugo", "--mode", "gtp"], timeout=10)``; ``send("genmove b")``
    returns the answer text (without ``=``), raising on ``?`` answers, timeouts and
    engine death.  Commands are sent with numeric ids and answers are matched to them
    (stray output lines before an answer are skipped)."""

    def __init__(self, cmd: list[str], timeout: float = 10.0, startup_timeout: float | None = None,
                 env: dict | None = None, cwd: str | None = None):
        self.cmd = list(cmd)
        self.timeout = timeout
        self._id = 0
        self._stderr: collections.deque[str] = collections.deque(maxlen=50)
        self._lines: queue.Queue = queue.Queue()
        self._broken: str | None = None
        try:
            self.proc = subprocess.Popen(
                self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, errors="replace", bufsize=1, env=env, cwd=cwd, start_new_session=True)
        except OSError as e:
            raise GTPEngineDied(f"cannot start GTP engine {self.cmd[0]!r}: {e.strerror or e}") from e
        # the threads get the pipes and sinks, not self: a dropped client can still be collected
        self._readers = [
            threading.Thread(target=_pump, args=(self.proc.stdout, self._lines.put, _EOF), daemon=True),
            threading.Thread(target=_pump, args=(self.proc.stderr, self._stderr.append, None), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        _LIVE.add(self)
        # a first round trip proves the engine speaks GTP
        try:
            self.protocol_version = self.send("protocol_version", timeout=startup_timeout or max(timeout, 30.0))
        except GTPError:
            self.kill()
            raise

    def stderr_tail(self) -> str:
        return "".join(self._stderr).rstrip("\n")

    def _died(self, command: str, why: str) -> GTPEngineDied:
        self._broken = why
        self._shutdown(grace=1.0)  # reap it and read its last stderr lines
        msg = f"GTP engine {self.cmd[0]!r} {why} during {command!r} (exit code {self.proc.returncode})"
        tail = [line.strip() for line in self._stderr if line.strip()][-3:]
        if tail:
            msg += "; its stderr ends: " + " | ".join(tail)
        return GTPEngineDied(msg)

    # ------------------------------------------------------------------ protocol
    def send(self, command: str, timeout: float | None = None) -> str:
        """Send one command and return the answer text; raise GTPError subclasses."""
        if self._broken:
            raise GTPEngineDied(f"GTP engine {self.cmd[0]!r} is unusable ({self._broken})")
        command = command.strip()
        if not command or "\n" in command:
            raise ValueError(f"bad GTP command {command!r}")
        self._id += 1
        cid = self._id
        try:
            self.proc.stdin.write(f"{cid} {command}\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise self._died(command, "closed its input") from None
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        answer: list[str] | None = None
        status = None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                self._broken = "timed out"
                raise GTPTimeout(f"GTP engine {self.cmd[0]!r} did not answer {command!r} "
                                 f"within {timeout:g} s (engine killed)")
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is _EOF:
                raise self._died(command, "exited")
            line = line.rstrip("\r\n")
            if answer is None:
                if not line.strip():
                    continue
                head = line[0]
                if head not in "=?":
                    continue  # stray output (debug prints); skip
                tok, _, rest = line[1:].partition(" ")
                if tok and tok.isdigit() and int(tok) != cid:
                    continue  # a late answer to an earlier command
                if tok and not tok.isdigit():
                    rest = line[1:]
                status = head
                answer = [rest.strip()]
            else:
                if line.strip() == "":
                    break
                answer.append(line)
        text = "\n".join(answer).strip()
        if status == "?":
            raise GTPCommandError(command, text)
        return text

    # ------------------------------------------------------------------ helpers
    def boardsize(self, n: int) -> None:
        self.send(f"boardsize {n}")

    def clear_board(self) -> None:
        self.send("clear_board")

    def komi(self, k: float) -> None:
        self.send(f"komi {k:g}")

    def play(self, color: str, vertex: str) -> None:
        self.send(f"play {color} {vertex}")

    def genmove(self, color: str, timeout: float | None = None) -> str:
        return self.send(f"genmove {color}", timeout=timeout)

    def final_score(self, timeout: float | None = None) -> str:
        return self.send("final_score", timeout=timeout)

    def kill(self) -> None:
        """Stop the engine now (no ``quit``)."""
        self._broken = self._broken or "killed"
        self._shutdown(grace=0.0)

    def close(self, timeout: float = 2.0) -> None:
        """Say ``quit`` politely, then make sure the engine is gone (killed if need be)."""
        if self.proc.poll() is None and not self._broken:
            try:
                self.send("quit", timeout=timeout)
            except GTPError:
                pass
        self._broken = self._broken or "closed"
        self._shutdown(grace=timeout)

    def _shutdown(self, grace: float) -> None:
        """Close our end of its stdin (EOF also asks a GTP engine to quit), give it ``grace``
        seconds, kill it, reap it, then wait for the reader threads to see EOF and finish."""
        try:
            self.proc.stdin.close()
        except OSError:  # it already exited: flushing into the closed pipe fails
            pass
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for reader in self._readers:
            if reader is not threading.current_thread():
                reader.join(timeout=1.0)
        _LIVE.discard(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            proc.kill()  # files are left to the reader threads, even here


def parse_score(text: str) -> float:
    """GTP score ("B+3.5", "W+0.5", "0", "Draw") -> black minus white."""
    t = text.strip().upper()
    if t in ("0", "DRAW"):
        return 0.0
    if len(t) < 3 or t[0] not in "BW" or t[1] != "+":
        raise ValueError(f"bad GTP score {text!r}")
    v = float(t[2:])
    return v if t[0] == "B" else -v


def find_gnugo() -> str | None:
    """GnuGo's path: ``$GNUGO`` if set (as given: a wrong one must fail, naming it, rather than
    quietly run another gnugo), then PATH, then /usr/games/gnugo (Debian); None if absent."""
    if os.environ.get("GNUGO"):
        return os.environ["GNUGO"]
    return shutil.which("gnugo") or (GNUGO_FALLBACK if os.access(GNUGO_FALLBACK, os.X_OK) else None)


def gnugo_command(level: int = 0, path: str | None = None) -> list[str]:
    if level not in GNUGO_LEVELS:
        raise ValueError(f"GnuGo levels are {GNUGO_LEVELS.start}..{GNUGO_LEVELS.stop - 1}, got {level!r}")
    path = path or find_gnugo()
    if path is None:
        raise FileNotFoundError("gnugo not found on PATH or at /usr/games/gnugo "
                                "(Debian/Ubuntu: apt-get install gnugo)")
    return [path, "--mode", "gtp", "--chinese-rules", "--capture-all-dead", "--level", str(level)]


def start_gnugo(level: int = 0, board_size: int = 9, komi: float = 7.5, timeout: float = 30.0,
                path: str | None = None) -> GTPClient:
    """Start GnuGo with area-scoring flags, set board size and komi, clear the board."""
    c = GTPClient(gnugo_command(level, path), timeout=timeout)
    try:
        c.boardsize(board_size)
        c.komi(komi)
        c.clear_board()
    except GTPError:
        c.kill()
        raise
    return c
