"""Run one untrusted Python program (and optionally its tests) in the sandbox.

The host side of the protocol: pick the backend once (bubblewrap if it works here), ship the
harness and the program in, feed the harness its limits and a random token on stdin, read
stdout, stderr and the report channel with caps while the program runs, kill the whole tree at
the deadline, and turn what was seen into a :class:`Result`.
"""

from __future__ import annotations

import ast
import json
import marshal
import os
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from agentctl.sandbox import backends
from agentctl.sandbox.config import SandboxConfig
from agentctl.sandbox.result import Result, TestOutcome

__all__ = ["Sandbox", "SandboxWarning", "split_tests"]

HARNESS = (Path(__file__).with_name("harness.py")).read_text(encoding="utf-8")
CHANNEL_LIMIT = 1 << 20  # bytes of reports; only a program forging reports could send more
_WARNED: set[str] = set()
_PROBED: dict[str, str] = {}  # requested backend -> the one that works here


class SandboxWarning(UserWarning):
    """The sandbox runs with weaker containment than bubblewrap gives."""


def split_tests(text: str) -> tuple[str, list[str]]:
    """A tests file as (setup, tests): each top-level ``assert`` or expression statement is one
    test; everything else (imports, defs, assignments) is setup, run once before the tests.
    A HumanEval-style file (``def check(candidate): ...`` then ``check(fn)``) is one test."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        from agentctl.errors import UserError

        raise UserError(f"the tests do not parse: line {exc.lineno}: {exc.msg}") from None
    setup, tests = [], []
    for node in tree.body:
        segment = ast.get_source_segment(text, node) or ""
        (tests if isinstance(node, (ast.Assert, ast.Expr)) else setup).append(segment)
    return "\n".join(setup), tests


class Sandbox:
    """Runs programs under one :class:`SandboxConfig`. ``slot`` selects the sandbox user
    (``config.uid + slot``), so programs run at once by a pool never share a process count."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.python = backends.interpreter()
        self.backend = self._choose_backend()

    def run(self, source: str, tests: str | Sequence[str] | None = None, setup: str = "", slot: int = 0) -> Result:
        """Run ``source`` as ``main.py``. Without tests it runs as a script (status from its exit);
        with tests (a tests file's text, or a list of test statements plus ``setup``) it is
        defined as a module and each test runs against it."""
        if isinstance(tests, str):
            setup, tests = split_tests(tests)
        return self._run(self.backend, source, None if tests is None else list(tests), setup, slot)

    # -- choosing a backend ------------------------------------------------------------------

    def _choose_backend(self) -> str:
        requested = self.config.backend
        if requested in _PROBED:
            return _PROBED[requested]
        order = ["bwrap", "unshare", "rlimits"] if requested == "auto" else [requested]
        reasons = []
        for name in order:
            why = self._unusable(name)
            if why is None:
                break
            reasons.append(why)
        else:
            from agentctl.errors import UserError

            raise UserError(f"the sandbox backend {requested!r} does not work here: {'; '.join(reasons)}")
        if name != "bwrap" and name not in _WARNED:
            _WARNED.add(name)
            weaker = {"unshare": "own PID and network namespaces and a tmpfs work dir, but host files stay readable "
                                 "and /tmp writable (outside the disk limit)",
                      "rlimits": "resource limits and a temporary directory only: no namespaces, host files readable, "
                                 "/tmp writable (outside the disk limit), network reachable"}[name]
            because = f" ({'; '.join(reasons)})" if reasons else ""
            warnings.warn(f"the code sandbox runs without bubblewrap{because}: {weaker}. Containment is weaker; "
                          "install bubblewrap (apt-get install bubblewrap) for full isolation.",
                          SandboxWarning, stacklevel=3)
        _PROBED[requested] = name
        return name

    def _unusable(self, name: str) -> str | None:
        """Why ``name`` cannot run programs here (None if it can): a real trivial program."""
        if name == "bwrap" and backends.which("bwrap") is None:
            return "bwrap is not installed"
        if name == "unshare" and (os.geteuid() != 0 or backends.which("unshare") is None):
            return "unshare needs root and util-linux"
        result = self._run(name, "import math\nprint(math.floor(42.5))", None, "", 0)
        if result.status == "ok" and result.stdout.strip() == "42":
            return None
        return f"{name} failed: {(result.stderr.strip().splitlines() or [result.status])[-1][:200]}"

    # -- one run -----------------------------------------------------------------------------

    def _run(self, backend: str, source: str, tests: list[str] | None, setup: str, slot: int) -> Result:
        cfg = self.config
        spec = self._spec(tests, setup, slot)
        uid = spec["uid"]
        files = {"harness.py": HARNESS, "main.py": source}
        report_r, report_w = os.pipe()
        opened = [report_r, report_w]
        tempdir = None
        try:
            spec["channel_fd"] = report_w
            executable = self.python.executable if backend == "bwrap" else backends.shared_executable(self.python)
            python_cmd = [executable, "-I", "-S", "harness.py"]
            if backend == "bwrap":
                fds = {name: _memfd(name, text) for name, text in files.items()}
                opened += fds.values()
                cmd = backends.bwrap_command(backends.which("bwrap"), self.python, fds, cfg.disk_mb << 20)
                if os.geteuid() != 0:
                    cmd[1:1] = ["--unshare-user"]
                pass_fds, cwd = (report_w, *fds.values()), "/"
            else:
                tempdir = tempfile.mkdtemp(prefix="agentctl-sandbox-")
                os.chmod(tempdir, 0o755)
                target = os.path.join(tempdir, "in" if backend == "unshare" else "work")
                os.makedirs(target)
                os.makedirs(os.path.join(tempdir, "work"), exist_ok=True)
                for name, text in files.items():
                    Path(target, name).write_text(text, encoding="utf-8")
                if backend == "unshare":
                    cmd = backends.unshare_command(backends.which("unshare"), tempdir, cfg.disk_mb << 20)
                else:
                    cmd = []
                    if os.geteuid() == 0:
                        os.chown(target, uid, uid)
                pass_fds, cwd = (report_w,), os.path.join(tempdir, "work")
            return self._execute(backend, cmd + python_cmd, pass_fds, cwd, spec, tests, uid, report_r, opened)
        finally:
            for fd in opened:
                _close(fd)
            if tempdir is not None:
                shutil.rmtree(tempdir, ignore_errors=True)

    def _spec(self, tests: list[str] | None, setup: str, slot: int) -> dict:
        """What the harness needs to run one program (all but ``channel_fd``), with a new token."""
        cfg = self.config
        uid = cfg.uid + slot
        return {"token": secrets.token_hex(16), "uid": uid, "gid": uid, "nproc": self._nproc(), "tests": tests,
                "setup": setup, "test_timeout_s": cfg.test_timeout_s, "rlimits": {
                    "RLIMIT_CPU": cfg.cpu_s, "RLIMIT_AS": cfg.memory_mb << 20, "RLIMIT_FSIZE": cfg.max_file_mb << 20,
                    "RLIMIT_NOFILE": cfg.max_open_files, "RLIMIT_CORE": 0}}

    def _execute(self, backend: str, cmd: list[str], pass_fds: tuple[int, ...], cwd: str, spec: dict,
                 tests: list[str] | None, uid: int, report_r: int, opened: list[int]) -> Result:
        cfg = self.config
        token, report_w = spec["token"], spec["channel_fd"]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                pass_fds=pass_fds, cwd=cwd, env={}, start_new_session=True)
        # The child holds the write end now: EOF on the read end comes when its tree is gone.
        _close(report_w)
        opened.remove(report_w)
        try:
            proc.stdin.write(marshal.dumps(spec))
            proc.stdin.close()
        except OSError:  # the sandbox died at start; its stderr says why
            pass
        out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
        deadline = start + cfg.timeout_s
        streams, timed_out, over_limit = _collect(
            {out_fd: cfg.output_limit, err_fd: cfg.output_limit, report_r: CHANNEL_LIMIT}, deadline)
        if timed_out or over_limit:
            self._kill(proc, backend, uid)
        try:
            returncode = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:  # the tree closed its pipes but lingers: same as a timeout
            timed_out = True
            self._kill(proc, backend, uid)
            returncode = proc.wait()
        if backend == "rlimits" and os.geteuid() == 0:
            self._kill_user(uid)  # no PID namespace: reap whatever the program left behind
        duration = time.monotonic() - start
        proc.stdout.close()
        proc.stderr.close()
        events = _events(bytes(streams[report_r]), token)
        stdout = streams[out_fd].decode("utf-8", "replace")
        stderr = streams[err_fd].decode("utf-8", "replace")
        return _classify(backend, returncode, stdout, stderr, duration, events, tests, timed_out, over_limit)

    def _kill(self, proc: subprocess.Popen, backend: str, uid: int) -> None:
        """SIGKILL the whole tree. With bwrap/unshare the program is PID 1's child in its own
        PID namespace and PID 1 dies with its parent (the killed process): the kernel then
        kills every process in the namespace, ``setsid`` or not."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if backend == "rlimits" and os.geteuid() == 0:
            self._kill_user(uid)

    def _kill_user(self, uid: int) -> None:
        """Kill every process of the sandbox user (``kill(-1)`` as that user reaches exactly its
        own processes): how the rlimits backend reaches children that left the session."""
        subprocess.run(["kill", "-KILL", "-1"], user=uid, group=uid, extra_groups=[], env={}, cwd="/", stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)

    def _nproc(self) -> int:
        """RLIMIT_NPROC for the sandbox. As root the program gets a user of its own, so the
        limit is the program's. Otherwise it shares our user, whose other processes count too."""
        if os.geteuid() == 0:
            return self.config.max_processes
        mine = sum(1 for p in Path("/proc").iterdir() if p.name.isdigit() and _owner(p) == os.geteuid())
        return mine + self.config.max_processes


def _collect(caps: dict[int, int], deadline: float) -> tuple[dict[int, bytearray], bool, bool]:
    """Read each fd until EOF, keeping at most ``caps[fd]`` bytes of it. Stops at the deadline
    (timed out) or as soon as a stream passes its cap (over the limit): the caller kills the
    tree then. EOF on every fd means every process that held a write end is gone."""
    streams = {fd: bytearray() for fd in caps}
    timed_out = over_limit = False
    open_fds = set(streams)
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select(list(open_fds), [], [], left)
        for fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.discard(fd)
                continue
            buf = streams[fd]
            buf += chunk[: max(0, caps[fd] + 1 - len(buf))]
            if len(buf) > caps[fd]:
                del buf[caps[fd]:]
                over_limit = True
        if over_limit:
            break
    return streams, timed_out, over_limit


def _classify(backend: str, returncode: int, stdout: str, stderr: str, duration: float, events: list[dict],
              tests: list[str] | None, timed_out: bool, over_limit: bool) -> Result:
    outcomes = [TestOutcome(t, "not_run") for t in tests or []]
    seen = {e.get("event") for e in events}
    for e in events:
        if e.get("event") == "test" and isinstance(e.get("index"), int) and 0 <= e["index"] < len(outcomes):
            outcomes[e["index"]].outcome = str(e.get("outcome"))
            outcomes[e["index"]].error = str(e.get("error", ""))
    exception = next((e for e in events if e.get("event") == "exception"), None)
    syntax = next((e for e in events if e.get("event") == "syntax_error"), None)
    oom = (exception is not None and exception.get("type") == "MemoryError") or any(
        t.error.startswith("MemoryError") for t in outcomes)
    signum = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    detail = ""
    if timed_out:
        status, detail = "timeout", "wall-clock limit"
    elif over_limit:
        status, detail = "output_limit", "output passed the cap; the program was stopped"
    elif syntax is not None:
        status, detail = "syntax_error", syntax.get("error", "")
    elif oom:
        status, detail = "oom", "memory limit"
    elif tests is None and returncode == 0:
        status = "ok"
    elif tests is not None and "done" in seen:
        status = "ok" if all(t.outcome == "passed" for t in outcomes) else "failed"
    elif exception is not None:
        status, detail = "error", exception.get("error", "")
    elif signum == signal.SIGXCPU:
        status, detail = "timeout", "CPU-time limit"
    elif signum:
        status, detail = "killed", f"signal {signal.Signals(signum).name if signum in signal.valid_signals() else signum}"
    elif tests is None:
        status = "failed"
    else:
        status, detail = "error", "the program ended before its tests finished"
    if tests is not None and status in ("timeout", "killed", "oom") and "done" not in seen:
        for t in outcomes:
            if t.outcome == "not_run":
                t.outcome = status if status == "timeout" else "not_run"
                break
    error_line = syntax.get("line") if status == "syntax_error" else None
    return Result(status, returncode, stdout, stderr, round(duration, 4), backend, outcomes, detail,
                  error_line if isinstance(error_line, int) and error_line > 0 else None)


def _events(data: bytes, token: str) -> list[dict]:
    """The harness's reports: lines that carry this run's token, in order."""
    out = []
    prefix = token + "\t"
    for line in data.decode("utf-8", "replace").splitlines():
        if line.startswith(prefix):
            try:
                event = json.loads(line[len(prefix):])
            except ValueError:
                continue
            if isinstance(event, dict):
                out.append(event)
    return out


def _memfd(name: str, text: str) -> int:
    fd = os.memfd_create(name, 0)  # no MFD_CLOEXEC: bubblewrap reads it
    os.write(fd, text.encode("utf-8"))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _owner(path: Path) -> int:
    try:
        return path.stat().st_uid
    except OSError:
        return -1
