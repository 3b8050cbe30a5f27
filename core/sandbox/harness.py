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
    token = spec.pop("token")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
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
        report(event="syntax_error", error=_describe(exc))
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


if __name__ == "__main__":
    main()
