"""The program that runs *inside* the sandbox: it applies the limits, drops privileges, then
runs the untrusted code (and its tests) and reports what happened.

It is shipped into the sandbox as a file and run with ``python -I -S``, so it uses the
standard library only and imports nothing of agentctl. Its input is one ``marshal``-ed dict on
stdin, up to EOF (written by the host, read before any untrusted code runs; stdin is then
pointed at /dev/null):
``{"token", "channel_fd", "rlimits", "uid", "gid", "nproc", "setup", "tests", "test_timeout_s"}``.
Start-up time is most of what a small program costs, so the harness imports only modules built
into the interpreter: ``json`` (which pulls in ``re``, ``enum``, ``collections``) and ``signal``
(``enum``) would double it. Reports are written as JSON by ``_json`` below, and ``traceback`` is
imported only when there is one to print.

Reports go to the file descriptor ``channel_fd`` (a pipe to the host), one line each, ``TOKEN<TAB>{json}``. The token is random per
run and known only to the host and this process, so a program that prints look-alike lines,
or ends early with ``os._exit(0)``, cannot pass a test it did not pass: a test counts only if
its report carries the token. (Code running in this same process could in principle dig the
token out of memory; docs/sandbox.md lists that among what the sandbox does not defend.)
"""

import _signal as signal  # the C module behind ``signal``, without its enum wrappers
import builtins
import marshal
import os
import resource
import sys

SOURCE = "main.py"


class TestTimeout(BaseException):
    """Raised by the per-test alarm; a BaseException so ``except Exception`` in the tested
    code does not swallow it. ``fired`` records the alarm, so a test that swallows it anyway
    (a bare ``except:``) still counts as a timeout, not as a pass."""

    fired = False


def main() -> None:
    spec = marshal.loads(sys.stdin.buffer.read())
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    if "serve" in spec:
        serve(spec)
    run(spec)


def run(spec: dict) -> None:
    """Run one program as its spec says, in this process (stdin already /dev/null)."""
    token = spec.pop("token")
    channel = os.fdopen(spec["channel_fd"], "w", buffering=1)

    def report(**event: object) -> None:
        try:
            channel.write(token + "\t" + _json(event) + "\n")
            channel.flush()
        except Exception:  # the program closed or broke fd 3: its loss, nothing is reported
            pass

    _limit_and_drop(spec)
    try:
        with open(SOURCE, encoding="utf-8", errors="replace") as f:
            code = compile(f.read(), SOURCE, "exec")
    except (SyntaxError, ValueError) as exc:
        report(event="syntax_error", error=_describe(exc), line=exc.lineno or 0)
        _print_exc()
        sys.stderr.flush()
        os._exit(1)
    report(event="compiled")
    if spec["tests"] is None:
        _run_plain(code, report)
    else:
        _run_tests(code, spec, report)


def _limit_and_drop(spec: dict) -> None:
    """Hard limits first (an unprivileged process can lower them, never raise them), then the
    sandbox user: as root we switch to it, which drops every capability."""
    for name, value in spec["rlimits"].items():
        # CPU: at the soft limit the kernel sends SIGXCPU (reported as a timeout); the hard
        # limit, a second later, is SIGKILL for a program that ignores SIGXCPU. With soft ==
        # hard the kernel sends SIGKILL at once, which looks like any other kill.
        hard = value + 1 if name == "RLIMIT_CPU" else value
        resource.setrlimit(getattr(resource, name), (value, hard))
    if os.getuid() == 0:
        os.setgroups([])
        os.setresgid(spec["gid"], spec["gid"], spec["gid"])
        os.setresuid(spec["uid"], spec["uid"], spec["uid"])
    # RLIMIT_NPROC counts every process of this user, ours included: set after the switch.
    resource.setrlimit(resource.RLIMIT_NPROC, (spec["nproc"], spec["nproc"]))


def _run_plain(code: object, report) -> None:
    """Run the program as ``python main.py`` would; its exit code is the status."""
    namespace = {"__name__": "__main__", "__file__": SOURCE, "__builtins__": builtins}
    try:
        exec(code, namespace)
    except SystemExit:
        raise
    except BaseException as exc:
        report(event="exception", error=_describe(exc), type=type(exc).__name__)
        raise
    report(event="finished")


def _run_tests(code: object, spec: dict, report) -> None:
    """Define the program, run the setup, then each test with its own time limit."""
    namespace = {"__name__": "solution", "__file__": SOURCE, "__builtins__": builtins}
    signal.signal(signal.SIGALRM, _alarm)
    try:
        exec(code, namespace)
        exec(compile(spec["setup"], "tests.py", "exec"), namespace)
    except BaseException as exc:
        report(event="exception", error=_describe(exc), type=type(exc).__name__)
        _print_exc()
        sys.stderr.flush()
        os._exit(1)
    for index, test in enumerate(spec["tests"]):
        outcome, error = "passed", ""
        try:
            compiled = compile(test, "tests.py", "exec")
            TestTimeout.fired = False
            signal.setitimer(signal.ITIMER_REAL, spec["test_timeout_s"])
            try:
                exec(compiled, namespace)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except TestTimeout:
            outcome, error = "timeout", "the test ran past its time limit"
        except AssertionError as exc:
            outcome, error = "failed", _describe(exc)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt included: not a pass
            outcome, error = "error", _describe(exc)
        if TestTimeout.fired:
            outcome, error = "timeout", "the test ran past its time limit"
        report(event="test", index=index, outcome=outcome, error=error)
    report(event="done")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(0)  # not sys.exit: no atexit hooks or threads of the tested code run after this


def _alarm(signum: int, frame: object) -> None:
    TestTimeout.fired = True
    raise TestTimeout()


def _print_exc() -> None:
    import traceback

    traceback.print_exc()


def _json(event: dict) -> str:
    """``json.dumps`` for a flat dict of str and int values, ASCII only (the host reads it with
    ``json.loads``)."""
    return "{" + ", ".join(_json_str(k) + ": " + (_json_str(v) if isinstance(v, str) else str(int(v)))
                           for k, v in event.items()) + "}"


def _json_str(text: str) -> str:
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code < 0x10000:
            out.append("\\u%04x" % code)
        else:  # a UTF-16 surrogate pair, as JSON spells characters beyond the BMP
            code -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)))
    return '"' + "".join(out) + '"'


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (type(exc).__name__ + (": " + text[0] if text else ""))[:300]


# -- warm mode ---------------------------------------------------------------------------------
# A pool slot keeps one sandbox running this harness in ``serve`` mode: started once, it forks
# per program instead of paying for bubblewrap and an interpreter each time. Each program still
# gets everything a fresh sandbox gives it: new PID, IPC and mount namespaces (so its whole tree
# dies with it, and nothing it made outlives it), a new tmpfs work dir, a new /proc, its limits
# and the slot's user. The server itself stays root and never reads a program's job: the job
# (spec, token, source) comes in a file descriptor that only the forked child reads, so no
# program can find an earlier program's tests or token in the memory it inherits.

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWPID = 0x00020000, 0x08000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
JOB_FDS = 4  # per program, from the host: stdout, stderr and report pipes (write ends), the job


def serve(spec: dict) -> None:
    """Run programs until the host closes the control socket. Per program the host sends one
    byte with ``JOB_FDS`` descriptors attached; the answer is the program's exit status as
    4 bytes (``128 + signal`` when a signal ended it, as bubblewrap reports it)."""
    import _socket
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    control = _socket.socket(fileno=spec["control_fd"])
    with open(__file__, "rb") as f:
        harness = f.read()
    with open("/proc/self/mountinfo", encoding="utf-8") as f:  # what bubblewrap made read-only
        covers = [line.split()[4] for line in f if line.split()[4].startswith("/proc/")]
    own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY)
    os.chdir("/")
    while True:
        data, ancillary, _, _ = control.recvmsg(1, _socket.CMSG_SPACE(JOB_FDS * 4))
        fds = [int.from_bytes(payload[i:i + 4], sys.byteorder, signed=True)
               for level, kind, payload in ancillary if (level, kind) == (_socket.SOL_SOCKET, _socket.SCM_RIGHTS)
               for i in range(0, len(payload) - 3, 4)]
        if not data:
            os._exit(0)
        if len(fds) != JOB_FDS:
            for fd in fds:
                os.close(fd)
            control.sendall((255).to_bytes(4, sys.byteorder))
            continue
        # The next child is PID 1 of a new PID namespace; then our children are born in ours again.
        _check(libc, libc.unshare(CLONE_NEWPID))
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                os.close(own_pid_ns)
                _program(libc, fds, harness, covers, spec)
            except BaseException as exc:
                _setup_failed(fds[1], exc)
            finally:
                os._exit(255)
        _check(libc, libc.setns(own_pid_ns, CLONE_NEWPID))
        for fd in fds:
            os.close(fd)
        control.sendall(_status_code(os.waitpid(pid, 0)[1]).to_bytes(4, sys.byteorder))


def _program(libc, fds: list[int], harness: bytes, covers: list[str], spec: dict) -> None:
    """PID 1 of the program's new PID namespace, still root: read the job, make new mount and
    IPC namespaces, the work dir and /proc, start the program as PID 2 (as bubblewrap does: PID 1
    ignores the signals it has no handler for, and the program must not), reap orphans until
    the program ends, and exit with its status; the kernel then kills whatever is left."""
    out, err, channel, job_fd = fds
    with os.fdopen(job_fd, "rb") as f:
        job = marshal.loads(f.read())
    os.setsid()  # the program's session and process group are PID 1's, as under bubblewrap
    _check(libc, libc.unshare(CLONE_NEWNS | CLONE_NEWIPC))
    _check(libc, libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None))
    options = b"size=%d,mode=1777" % spec["disk_bytes"]
    _check(libc, libc.mount(b"tmpfs", spec["workdir"].encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options))
    os.chdir(spec["workdir"])
    for name, data in (("harness.py", harness), (SOURCE, job.pop("source").encode("utf-8", "surrogatepass"))):
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        os.write(fd, data)
        os.close(fd)
    _check(libc, libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None))
    for path in covers:
        target = path.encode()
        _check(libc, libc.mount(target, target, None, MS_BIND | MS_REC, None))
        _check(libc, libc.mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                None))
    pid = os.fork()
    if pid == 0:
        try:
            for fd, target in ((out, 1), (err, 2), (channel, 3)):
                os.dup2(fd, target)
            os.closerange(4, 1 << 16)
            job["channel_fd"] = 3
            _run_forked(job)
        finally:
            os._exit(255)
    for fd in (out, err, channel):
        os.close(fd)
    while True:
        child, status = os.wait()
        if child == pid:
            os._exit(_status_code(status))


def _run_forked(spec: dict) -> None:
    """``run``, then end as the interpreter ends ``python harness.py``: a forked child has no
    interpreter exit to return to, so this takes its steps (SystemExit's code or the uncaught
    exception's traceback, then non-daemon threads joined, atexit hooks, output flushed, and
    an uncaught KeyboardInterrupt ending the process by SIGINT)."""
    import atexit

    code, interrupted = 0, False
    try:
        run(spec)
    except SystemExit as exc:
        code = _system_exit_code(exc)
    except BaseException as exc:
        code, interrupted = 1, isinstance(exc, KeyboardInterrupt)
        try:
            sys.excepthook(*sys.exc_info())
        except BaseException:
            pass
    try:
        threading = sys.modules.get("threading")
        if threading is not None:
            threading._shutdown()
        atexit._run_exitfuncs()
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr):  # as Py_FinalizeEx: a failed flush makes it 120
        try:
            if stream is not None and not stream.closed:
                stream.flush()
        except BaseException as exc:
            code = 120
            if stream is sys.stdout:
                try:
                    sys.stderr.write(f"Exception ignored in: {stream!r}\n{_describe(exc)}\n")
                    sys.stderr.flush()
                except BaseException:
                    pass
    if interrupted and code == 1:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(code)


def _system_exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    try:
        sys.stderr.write(str(exc.code) + "\n")
    except BaseException:
        pass
    return 1


def _status_code(status: int) -> int:
    return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _setup_failed(err: int, exc: BaseException) -> None:
    try:
        os.write(err, ("the warm sandbox could not start the program: " + _describe(exc) + "\n").encode())
    except OSError:
        pass


def _check(libc, result: int) -> None:
    if result != 0:
        import ctypes

        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


if __name__ == "__main__":
    main()
