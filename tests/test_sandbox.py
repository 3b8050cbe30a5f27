"""Hostile programs against the code sandbox (issue #11).

Each case runs a program written to break out, starve the host or cheat the tests, and checks
three things: the program was stopped within its limits, it got the right status, and nothing
of it is left running afterwards (no process of the sandbox user, ``config.uid + slot``, in the
host's /proc). The test process surviving is checked by the suite going on; the kill cases also
keep a sentinel process of ours alive.

A check that cannot fail proves nothing, so where the containment is the point, a "control"
runs the same program where it is *not* contained (without the sandbox, or with the weaker
``rlimits`` backend) and shows the check sees the difference.

The sandbox users here start at 59700, not the default 59000, so programs other test runs
start on this machine at the same time are never counted as ours.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
import warnings
from pathlib import Path
from typing import Self

import pytest
from agentctl.errors import UserError
from agentctl.sandbox import Sandbox, SandboxConfig, SandboxPool, SandboxWarning, backends, runner

UID = 59700
REPO = Path(__file__).resolve().parents[1]
ROOT = os.geteuid() == 0
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
# Small limits, so the whole file runs in seconds.
LIMITS = {"timeout_s": 1.5, "cpu_s": 5, "test_timeout_s": 0.5, "memory_mb": 256, "max_processes": 16,
          "max_file_mb": 1, "disk_mb": 4, "max_open_files": 64, "output_limit": 4096, "uid": UID}
T = LIMITS["timeout_s"]


def make(backend: str = "bwrap", **overrides: object) -> Sandbox:
    return Sandbox(SandboxConfig(**{**LIMITS, "backend": backend, **overrides}))


class _Warm:
    """``Sandbox.run`` the way a pool runs programs by default: on one long-lived (warm)
    sandbox per slot, which forks each program instead of starting bubblewrap for it."""

    def __init__(self, base: Sandbox, factory: type) -> None:
        self.config, self.python = base.config, base.python
        self._base, self._factory, self._slots = base, factory, {}

    def run(self, source: str, tests=None, setup: str = "", slot: int = 0):
        if slot not in self._slots:
            self._slots[slot] = self._factory(self._base, slot)
        return self._slots[slot].run(source, tests, setup)

    def close(self) -> None:
        for warm in self._slots.values():
            warm.close()


@pytest.fixture(scope="module", params=["fresh", "warm"])
def sb(request):
    """The default sandbox (bubblewrap): a fresh one per program, and a pool slot's warm one."""
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    base = make()
    if request.param == "fresh":
        yield base
        return
    warm = pytest.importorskip("agentctl.sandbox.warm")
    if why := warm.warm_supported(base):
        pytest.skip(why)
    sandbox = _Warm(base, warm.WarmSandbox)
    yield sandbox
    sandbox.close()


# -- processes of the sandbox user ---------------------------------------------------------------

def running(uid: int) -> list[int]:
    """Live (not zombie) processes of ``uid``; as non-root the sandbox shares our uid, so then
    the processes of ours that run the harness."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            owner = entry.stat().st_uid
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        state = stat[stat.rindex(")") + 2]
        ours = owner == uid if ROOT else owner == os.geteuid() and b"harness.py" in cmdline
        if ours and state not in "ZX":
            pids.append(int(entry.name))
    return pids


def left_running(uid: int, within: float = 3.0) -> list[int]:
    """Processes of ``uid`` still alive ``within`` seconds after a run (the kernel takes a few
    milliseconds to finish off a killed namespace)."""
    deadline = time.monotonic() + within
    while (pids := running(uid)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return pids


class Census:
    """The most processes of ``uid`` seen at once while the block runs (sampled every 5 ms)."""

    def __init__(self, uid: int) -> None:
        self.uid, self.most, self._stop = uid, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.most = max(self.most, len(running(self.uid)))
            time.sleep(0.005)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def contained(sandbox: Sandbox, source: str, tests=None, slot: int = 0):
    """Run, then require that nothing of the program outlives the run."""
    result = sandbox.run(source, tests, slot=slot)
    assert left_running(sandbox.config.uid + slot) == [], f"processes of the sandbox user outlived the run: {result}"
    return result


def unsandboxed(source: str) -> subprocess.CompletedProcess:
    """The control: the same program run plainly, with our environment and rights."""
    return subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=30, check=False)


# -- time -------------------------------------------------------------------------------------

def test_infinite_loop_is_stopped_at_the_wall_clock(sb):
    result = contained(sb, "while True:\n    pass\n")
    assert (result.status, result.detail) == ("timeout", "wall-clock limit")
    assert T <= result.duration_s < T + 1.5


def test_busy_loop_is_stopped_by_the_cpu_limit_before_the_wall_clock():
    sandbox = make(timeout_s=20, cpu_s=1)
    result = contained(sandbox, "while True:\n    pass\n")
    assert (result.status, result.detail) == ("timeout", "CPU-time limit")
    assert result.duration_s < 8
    # Ignoring SIGXCPU buys one second: the hard limit is SIGKILL.
    result = contained(sandbox, "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n")
    assert result.status == "killed" and "SIGKILL" in result.detail
    assert result.duration_s < 12


def test_ignoring_sigterm_does_not_help(sb):
    source = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.01)\n"
    result = contained(sb, source)
    assert result.status == "timeout" and T <= result.duration_s < T + 1.5


# -- processes ------------------------------------------------------------------------------------

@needs_bwrap
def test_fork_bomb_is_capped_by_max_processes():
    sandbox = make(max_processes=8)
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    with Census(UID) as census:
        result = contained(sandbox, bomb)
    assert result.status == "timeout" and result.duration_s < T + 1.5
    assert 2 <= census.most <= 8, census.most  # the census does see the bomb, and never past the cap
    # Counted from inside: the program and its children never exceed max_processes.
    counter = ("import os, time\nn = 0\nwhile True:\n    try:\n        if os.fork() == 0:\n            time.sleep(60)\n"
               "            os._exit(0)\n        n += 1\n    except OSError as exc:\n        print(n, exc.errno)\n        break\n")
    result = contained(sandbox, counter)
    assert result.stdout.split() == ["7", "11"]  # 7 children + the program = 8; then EAGAIN


def test_child_that_leaves_the_session_is_killed_with_the_run(sb):
    # The grandchild is in a session and process group of its own and would sleep a minute; the
    # program itself waits half a second, so the census sees it alive during the run.
    source = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(60)\n"
              "        os._exit(0)\n    os._exit(0)\ntime.sleep(0.5)\nprint('parent done')\n")
    with Census(UID) as census:
        result = contained(sb, source)
    assert census.most >= 2  # the check below would see the escapee if it survived
    assert result.status == "ok" and result.stdout == "parent done\n"
    assert result.duration_s < T  # the escapee held no pipe open past the program's end


def test_killing_the_parent_init_or_everyone_hurts_no_host_process(sb):
    sentinel = subprocess.Popen(["sleep", "30"])
    try:
        attempts = [f"os.kill({sentinel.pid}, 9)", "os.kill(os.getppid(), 9)", "os.kill(1, 9)", "os.kill(-1, 9)",
                    f"os.killpg({os.getpgid(0)}, 9)"]
        source = "import os\n" + "".join(
            f"try:\n    {a}\n    print('SENT', {a!r})\nexcept OSError as exc:\n    print('DENIED', type(exc).__name__)\n"
            for a in attempts)
        result = contained(sb, source)
        assert result.status == "ok", result
        assert result.stdout.count("DENIED") == len(attempts), result.stdout
        for attempt in attempts[1:4]:  # the same, uncaught: an error of the program, nothing more
            result = contained(sb, f"import os\n{attempt}\n")
            assert result.status in ("error", "killed"), result
        assert sentinel.poll() is None, "the sandboxed program killed a host process"
    finally:
        sentinel.kill()
        sentinel.wait()


def test_limits_cannot_be_raised_and_the_program_runs_unprivileged(sb):
    source = """import os, resource
for name in ("RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CPU"):
    soft, hard = resource.getrlimit(getattr(resource, name))
    try:
        resource.setrlimit(getattr(resource, name), (hard + 1, hard + 1))
        print(name, soft, hard, "RAISED")
    except (ValueError, OSError):
        print(name, soft, hard, "refused")
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
print(os.getuid(), os.getgid(), os.getgroups(), status["CapEff"].strip(), status["NoNewPrivs"].strip())
"""
    result = contained(sb, source, slot=3)
    assert result.status == "ok", result
    *limits, who = result.stdout.splitlines()
    assert limits == [f"RLIMIT_AS {256 << 20} {256 << 20} refused", "RLIMIT_NPROC 16 16 refused",
                      f"RLIMIT_FSIZE {1 << 20} {1 << 20} refused", "RLIMIT_NOFILE 64 64 refused",
                      "RLIMIT_CPU 5 6 refused"]
    if ROOT:
        assert who == f"{UID + 3} {UID + 3} [] 0000000000000000 1"


# -- memory, recursion ------------------------------------------------------------------------------

def test_memory_bomb_gets_memory_error_within_the_limit(sb):
    source = ("chunks = []\ntry:\n    while True:\n        chunks.append(bytearray(1 << 20))\nexcept MemoryError:\n"
              "    n = len(chunks)\n    del chunks\n    print(n)\n    raise\n")
    result = contained(sb, source)
    assert (result.status, result.detail) == ("oom", "memory limit")
    assert 100 < int(result.stdout) < 256  # MB held when it stopped: under memory_mb, and not nothing
    assert result.duration_s < T


def test_deep_recursion(sb):
    result = contained(sb, "def f(n):\n    return f(n + 1)\nf(0)\n")
    assert result.status == "error" and result.detail.startswith("RecursionError")
    # With the interpreter's guard lifted the C stack overflows: an error or a crash (or, on a
    # slow machine, the wall clock first), contained either way.
    result = contained(sb, "import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1)\nf(0)\n")
    assert result.status in ("error", "killed", "timeout"), result
    assert result.duration_s < T + 1.5


# -- output -------------------------------------------------------------------------------------

@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_gigabyte_of_output_is_cut_at_the_cap(sb, stream):
    source = f"import sys\nblock = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.{stream}.write(block)\n"
    result = contained(sb, source)
    assert result.status == "output_limit"
    assert getattr(result, stream) == "x" * 4096
    assert result.duration_s < 1.0  # stopped while writing, not after a gigabyte


def test_closing_stdout(sb):
    # The program's own loss: Python cannot flush at exit (exit status 120), nothing hangs.
    result = contained(sb, "import os\nos.close(1)\nprint('hello')\n")
    assert result.status == "failed" and result.returncode == 120 and result.stdout == ""
    # The reports travel on their own channel, so the tests still count.
    result = contained(sb, "import os\nos.close(1)\nprint('hello')\ndef f(x):\n    return x\n", ["assert f(1) == 1"])
    assert result.status == "ok" and result.passed == 1


# -- files -------------------------------------------------------------------------------------

def test_nothing_of_one_program_reaches_the_next_in_the_same_slot(sb):
    first = ("import builtins, os\nopen('left-behind', 'w').write('A')\nos.mkdir('dir-behind')\n"
             "builtins.LEFT_BEHIND = 1\nprint(sorted(os.listdir('.')))\n")
    result = contained(sb, first)
    assert result.stdout == "['dir-behind', 'harness.py', 'left-behind', 'main.py']\n"
    second = "import builtins, os\nprint(sorted(os.listdir('.')), hasattr(builtins, 'LEFT_BEHIND'))\n"
    assert contained(sb, second).stdout == "['harness.py', 'main.py'] False\n"


def test_filling_the_disk_stops_at_disk_mb_inside_the_sandbox(sb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = f"sandbox-fill-{uuid.uuid4().hex}"
    source = f"""import os
n = 0
try:
    while True:
        with open("{marker}-%d" % n, "w") as f:
            f.write("x" * 4096)
        n += 1
except OSError as exc:
    print(n, exc.errno, os.statvfs(".").f_blocks * os.statvfs(".").f_frsize)
"""
    result = contained(sb, source)
    assert result.status == "ok", result
    count, errno, size = map(int, result.stdout.split())
    assert errno == 28 and size == 4 << 20  # ENOSPC, on a 4 MB tmpfs
    assert (4 << 20) // 2 < count * 4096 <= 4 << 20
    for place in ("/tmp", "/var/tmp", "/dev/shm", "/", str(tmp_path), str(REPO), os.path.expanduser("~")):
        assert not Path(place, f"{marker}-0").exists(), f"the program's files reached the host: {place}"
    assert not list(Path("/tmp").glob("agentctl-sandbox-*/**/" + marker + "-0"))


def test_a_file_larger_than_max_file_mb_is_refused(sb):
    source = ("import os\ntry:\n    with open('big', 'wb') as f:\n        f.write(b'x' * (3 << 20))\n"
              "except OSError as exc:\n    print(exc.errno, os.path.getsize('big'))\n")
    result = contained(sb, source)
    assert result.status == "ok" and result.stdout.split() == ["27", str(1 << 20)]  # EFBIG, cut at 1 MB
    result = contained(sb, "open('big', 'wb').write(b'x' * (3 << 20))\n")
    assert result.status == "error" and "File too large" in result.detail
    # With SIGXFSZ back at its default the kernel kills the writer.
    result = contained(sb, "import signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_DFL)\n"
                           "open('big', 'wb').write(b'x' * (3 << 20))\n")
    assert (result.status, result.detail) == ("killed", "signal SIGXFSZ")


WRITE_EVERYWHERE = """import os
for place in PLACES:
    try:
        with open(os.path.join(place, NAME), "w") as f:
            f.write("escaped")
        print("WROTE", place)
    except OSError as exc:
        print("FAILED", place, exc.errno)
"""


def test_writing_outside_the_work_dir_fails(sb):
    name = f"sandbox-escape-{uuid.uuid4().hex}"
    places = [os.path.expanduser("~"), "/tmp", "/var/tmp", "/dev/shm", "/", "/usr", "/usr/lib", "/root", "/dev",
              str(REPO)]
    source = f"PLACES = {places!r}\nNAME = {name!r}\n" + WRITE_EVERYWHERE + "print(open(NAME, 'w').write('ok'))\n"
    result = contained(sb, source)
    assert result.status == "ok", result
    assert "WROTE" not in result.stdout and result.stdout.count("FAILED") == len(places)
    assert result.stdout.endswith("\n2\n")  # the work dir itself is writable
    for place in places:
        assert not Path(place, name).exists(), place


HOST_FILES = """import os
for path in PATHS:
    try:
        if os.path.isdir(path):
            print("LISTED", path, sorted(os.listdir(path)))
        else:
            print("READ", path, open(path, errors="replace").read()[:200].replace("\\n", " "))
    except OSError as exc:
        print("FAILED", path, exc.errno)
"""


def test_host_files_are_not_readable(sb, monkeypatch):
    readme = REPO / "README.md"
    paths = ["/etc/passwd", "/etc/hostname", "/etc/shadow", str(readme), str(REPO), "/home", "/root", "/work"]
    result = contained(sb, f"PATHS = {paths!r}\n" + HOST_FILES)
    assert result.status == "ok", result
    lines = {line.split(" ", 2)[1]: line for line in result.stdout.splitlines()}
    for path in paths:
        if path == "/root":
            # Only the directories on the way to the interpreter exist there, empty of anything else.
            allowed = {Path(p).relative_to("/root").parts[0] for p in sb.python.read_only if p.startswith("/root/")}
            assert lines[path].startswith("FAILED") or set(ast.literal_eval(lines[path].split(" ", 2)[2])) <= allowed, lines[path]
        else:
            assert lines[path].startswith("FAILED"), lines[path]
    assert readme.read_text()[:40] not in result.stdout
    # Control: the rlimits fallback, which leaves host files visible, reads them with the same program.
    weak = _fallback("rlimits", monkeypatch).run(f"PATHS = {['/etc/passwd']!r}\n" + HOST_FILES)
    assert weak.stdout.startswith("READ /etc/passwd root:")


def test_the_callers_environment_is_not_visible(sb, monkeypatch):
    secret = f"sekrit-{uuid.uuid4().hex}"
    monkeypatch.setenv("AGENTCTL_TEST_SECRET", secret)
    source = f"""import os
print(sorted(os.environ))
print(dict(os.environ))
for pid in ("1", "self", "{os.getpid()}", "{os.getppid()}"):
    try:
        print(pid, open("/proc/%s/environ" % pid, "rb").read())
    except OSError as exc:
        print(pid, "FAILED", exc.errno)
"""
    result = contained(sb, source)
    assert result.status == "ok", result
    assert secret not in result.stdout + result.stderr
    keys = ast.literal_eval(result.stdout.splitlines()[0])
    assert set(keys) <= {"PWD", "LC_CTYPE"}, keys  # what bwrap and Python's locale coercion set, no more
    assert "1 FAILED" in result.stdout or "1 b''" in result.stdout
    # Control: the same program outside the sandbox prints the secret.
    assert secret in unsandboxed(source).stdout


def test_no_network_even_to_the_hosts_loopback(sb, monkeypatch):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        source = (f"import socket\nfor host in ('127.0.0.1', 'localhost', '::1'):\n    try:\n"
                  f"        socket.create_connection((host, {port}), timeout=1).close()\n        print('CONNECTED', host)\n"
                  "    except OSError as exc:\n        print('FAILED', host, exc.errno)\n")
        result = contained(sb, source)
        assert result.status == "ok", result
        assert "CONNECTED" not in result.stdout and result.stdout.count("FAILED") == 3
        listener.settimeout(0.2)
        with pytest.raises(TimeoutError):
            listener.accept()
        # Control: the rlimits fallback shares the host's network, and the listener sees it.
        weak = _fallback("rlimits", monkeypatch).run(source)
        assert "CONNECTED 127.0.0.1" in weak.stdout
        listener.accept()[0].close()


# -- tests and reports ----------------------------------------------------------------------------

def test_each_test_has_its_own_outcome_and_an_endless_test_costs_only_itself(sb):
    source = "def f(x):\n    return x + 1\n"
    tests = ["assert f(1) == 2", "assert f(1) == 3", "f(None)", "while True:\n    pass", "assert f(2) == 3"]
    result = contained(sb, source, tests)
    assert [t.outcome for t in result.tests] == ["passed", "failed", "error", "timeout", "passed"]
    assert result.status == "failed" and result.passed == 2 and result.pass_fraction == 2 / 5
    assert result.tests[2].error.startswith("TypeError")
    # A tests file: each top-level assert or expression is a test. Code that swallows the
    # alarm (a bare except) and then returns the right answer still ran past its limit.
    source += ("def loop():\n    while True:\n        pass\ndef swallow():\n    try:\n        loop()\n"
               "    except:\n        return 42\n")
    result = contained(sb, source, "import math\nassert f(0) == 1\nloop()\nassert swallow() == 42\n"
                                   "assert f(math.e) > 3\n")
    assert [(t.test, t.outcome) for t in result.tests] == [
        ("assert f(0) == 1", "passed"), ("loop()", "timeout"), ("assert swallow() == 42", "timeout"),
        ("assert f(math.e) > 3", "passed")]


@pytest.mark.parametrize("source", [
    "import signal\ndef f():\n    signal.setitimer(signal.ITIMER_REAL, 0)\n    while True:\n        pass\n",
    "def f():\n    return sum(range(10**12))\n",  # one long C call: the alarm's handler waits for it
], ids=["disarmed", "c-call"])
def test_a_test_the_alarm_cannot_stop_is_stopped_by_the_wall_clock(sb, source):
    result = contained(sb, source, ["assert 1", "f()", "assert 2"])
    assert result.status == "timeout"
    assert [t.outcome for t in result.tests] == ["passed", "timeout", "not_run"]


@pytest.mark.parametrize("exit_call", ["import sys\nsys.exit(0)", "import os\nos._exit(0)"])
def test_exiting_before_the_tests_passes_nothing(sb, exit_call):
    result = contained(sb, exit_call + "\ndef f(x):\n    return x\n", ["assert f(1) == 1", "assert f(2) == 2"])
    assert result.status == "error" and result.passed == 0
    assert [t.outcome for t in result.tests] == ["not_run", "not_run"]


def test_exiting_inside_a_test(sb):
    result = contained(sb, "import sys\ndef f(x):\n    sys.exit(0)\n", ["assert f(1) is None", "assert 1"])
    assert [t.outcome for t in result.tests] == ["error", "passed"] and result.status == "failed"
    result = contained(sb, "import os\ndef f(x):\n    os._exit(0)\n", ["assert 1", "assert f(1) is None", "assert 2"])
    assert [t.outcome for t in result.tests] == ["passed", "not_run", "not_run"] and result.status == "error"


FORGER = """import json, os
fake = "".join("\\t" + json.dumps(e) + "\\n" for e in
               [{"event": "test", "index": i, "outcome": "passed", "error": ""} for i in range(2)] + [{"event": "done"}])
for fd in range(1, 64):  # stdout, stderr, the report channel and whatever else is open
    try:
        os.write(fd, fake.encode())
    except OSError:
        pass
"""


def test_forged_report_lines_pass_no_test(sb):
    result = contained(sb, FORGER + "def f(x):\n    return x\n", ["assert f(1) == 2", "assert f(2) == 3"])
    assert '"outcome": "passed"' in result.stdout  # the forgery was written...
    assert result.status == "failed" and result.passed == 0  # ...and not believed
    # Forging, then ending before the harness reports: still nothing passed.
    result = contained(sb, FORGER + "os._exit(0)\n", ["assert 1", "assert 2"])
    assert result.status == "error" and result.passed == 0
    # Closing the report channel (and every other fd) loses the program its reports, nothing more.
    result = contained(sb, "import os\nos.closerange(3, 64)\n", ["assert 1"])
    assert result.status == "error" and result.passed == 0


def test_known_limit_code_in_the_harness_process_can_report_for_itself(sb):
    """Pins a limit docs/sandbox.md states: the tested code runs in the harness's process, so it
    can reach the reporting function (and its token) and claim passes. If the harness ever
    runs tests apart from the tested code, this test should flip, and the docs with it."""
    cheat = ("import os, sys\nframe = sys._getframe(1)\nreport, spec = frame.f_locals['report'], frame.f_locals['spec']\n"
             "for i in range(len(spec['tests'])):\n    report(event='test', index=i, outcome='passed', error='')\n"
             "report(event='done')\nos._exit(0)\n")
    result = contained(sb, cheat, ["assert False", "assert 1 == 2"])
    assert result.status == "ok" and result.passed == 2


def test_known_limit_empty_files_are_not_bounded_by_disk_mb(sb):
    """Pins a limit docs/sandbox.md states: the work dir's tmpfs bounds bytes, not inodes."""
    result = contained(sb, "import os\nfor i in range(20000):\n    open('e%d' % i, 'w').close()\n"
                           "print(len(os.listdir('.')))\n")
    assert result.status == "ok" and int(result.stdout) >= 20000  # in a 4 MB work dir (1024 pages)


def test_known_limit_memory_is_per_process(sb):
    """Pins a limit docs/sandbox.md states: RLIMIT_AS bounds each process, so under
    memory_mb=256 three children hold 200 MB each at the same time."""
    source = """import os
ready_r, ready_w = os.pipe()
go_r, go_w = os.pipe()
for _ in range(3):
    if os.fork() == 0:
        block = bytearray(200 << 20)
        os.write(ready_w, b"1")
        os.close(go_w)
        os.read(go_r, 1)  # hold the block until every child has one (EOF when the parent closes)
        os._exit(0)
print(len(b"".join(os.read(ready_r, 1) for _ in range(3))))
os.close(go_w)
"""
    result = contained(sb, source)
    assert result.status == "ok" and result.stdout == "3\n"
    assert contained(sb, "block = bytearray(600 << 20)\n").status == "oom"  # one process cannot


def test_known_limit_exit_status_above_128_reads_as_a_signal(sb):
    """Pins a quirk docs/sandbox.md states: bubblewrap reports death by signal N as 128 + N."""
    assert contained(sb, "import sys\nsys.exit(137)\n").status == "killed"
    assert contained(sb, "import sys\nsys.exit(3)\n").status == "failed"


def test_syntax_errors(sb):
    result = contained(sb, "def f(:\n    pass\n")
    assert result.status == "syntax_error" and result.detail.startswith("SyntaxError")
    result = contained(sb, "def f(:\n    pass\n", ["assert f(1)"])
    assert result.status == "syntax_error" and [t.outcome for t in result.tests] == ["not_run"]
    with pytest.raises(UserError, match="the tests do not parse"):
        sb.run("x = 1", "assert (\n")


def test_pool_slots_run_as_their_own_users():
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    with SandboxPool(SandboxConfig(**{**LIMITS, "backend": "bwrap"}), workers=2) as pool:
        results = pool.map([("import os\nprint(os.getuid())", None)] * 4)
    assert all(r.status == "ok" for r in results)
    uids = {int(r.stdout) for r in results}
    assert uids <= ({UID, UID + 1} if ROOT else {os.geteuid()}), uids


# -- the CLI ------------------------------------------------------------------------------------

def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agentctl.cli", "sandbox", "run", *args], capture_output=True,
                          text=True, timeout=60, cwd=cwd, check=False)


@needs_bwrap
def test_cli_json_and_exit_codes(tmp_path):
    (tmp_path / "p.py").write_text("def f(x):\n    return x + 1\nprint('defined')\n")
    (tmp_path / "good.py").write_text("assert f(1) == 2\n")
    (tmp_path / "bad.py").write_text("assert f(1) == 2\nassert f(1) == 3\n")
    (tmp_path / "broken.py").write_text("assert (\n")
    (tmp_path / "loop.py").write_text("while True:\n    pass\n")

    ok = _cli("p.py", "--tests", "good.py", "--json", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout.splitlines()[-1])
    assert {"status", "returncode", "stdout", "stderr", "duration_s", "tests"} <= set(data)
    assert data["status"] == "ok" and data["stdout"] == "defined\n"
    assert data["tests"] == [{"test": "assert f(1) == 2", "outcome": "passed", "error": ""}]

    failed = _cli("p.py", "--tests", "bad.py", "--json", cwd=tmp_path)
    data = json.loads(failed.stdout.splitlines()[-1])
    assert failed.returncode == 1 and data["status"] == "failed", failed.stdout + failed.stderr
    assert [t["outcome"] for t in data["tests"]] == ["passed", "failed"]

    slow = _cli("loop.py", "--timeout", "1", "--json", cwd=tmp_path)
    assert slow.returncode == 1 and json.loads(slow.stdout.splitlines()[-1])["status"] == "timeout", slow.stdout

    text = _cli("p.py", "--tests", "bad.py", cwd=tmp_path)
    assert text.returncode == 1 and "status: failed" in text.stdout and "1/2 passed" in text.stdout, text.stdout

    for args, fragment in ((["missing.py"], "missing.py"), (["p.py", "--tests", "broken.py"], "the tests do not parse")):
        bad = _cli(*args, cwd=tmp_path)
        errors = [ln for ln in bad.stderr.splitlines() if ln.startswith(("error: ", "Error: "))]
        assert bad.returncode == 2 and "Traceback" not in bad.stderr, bad.stderr
        assert len(errors) == 1 and fragment in errors[0], bad.stderr
        assert bad.stdout == ""


# -- the fallbacks ------------------------------------------------------------------------------

def _usable_by_anyone(path: str) -> bool:
    """Whether any user can reach ``path``: every directory on the way is world-searchable."""
    return all(os.stat(p).st_mode & 0o001 for p in [*Path(path).parents])


def _fallback(backend: str, monkeypatch: pytest.MonkeyPatch, warn: bool = False) -> Sandbox:
    """A sandbox on a fallback backend. Those run the host's interpreter as the sandbox user, so
    it must be reachable by any user; a pyenv Python under a 0700 home is not, and then the
    system Python (the harness needs the standard library only) stands in. The backend choice
    and its once-per-process warning are module state, reset here and restored after the test."""
    if backend == "unshare" and not (ROOT and backends.which("unshare")):
        pytest.skip("the unshare backend needs root and util-linux")
    python = backends.interpreter()
    if not _usable_by_anyone(os.path.join(python.read_only[1], "os.py")):
        system = backends.which("python3")
        if system is None or not _usable_by_anyone(system):
            pytest.skip("no Python here that the sandbox user can run")
        python = backends.Interpreter(system, (), ())
    monkeypatch.setattr(backends, "interpreter", lambda: python)
    monkeypatch.setattr(runner, "_WARNED", set())
    monkeypatch.setattr(runner, "_PROBED", {})
    if warn:
        return make(backend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SandboxWarning)
        return make(backend)


@pytest.mark.parametrize("backend", ["unshare", "rlimits"])
def test_fallback_backends_work_and_warn_once(backend, monkeypatch):
    with pytest.warns(SandboxWarning, match="without bubblewrap"):
        sandbox = _fallback(backend, monkeypatch, warn=True)
    assert sandbox.backend == backend
    with warnings.catch_warnings():
        warnings.simplefilter("error", SandboxWarning)
        make(backend)  # once per process: no second warning
    assert contained(sandbox, "print(6 * 7)").stdout == "42\n"
    result = contained(sandbox, "while True:\n    pass\n")
    assert result.status == "timeout" and result.duration_s < T + 1.5
    assert contained(sandbox, "x = bytearray(1 << 30)\n").status == "oom"
    result = contained(sandbox, "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n")
    assert result.status == "output_limit" and len(result.stdout) == 4096
    result = contained(sandbox, "def f(x):\n    return x\n", ["assert f(1) == 1", "assert f(1) == 2"])
    assert [t.outcome for t in result.tests] == ["passed", "failed"]
    # Documented weakness of both fallbacks: the host's world-writable directories are writable.
    name = f"sandbox-fallback-{uuid.uuid4().hex}"
    try:
        result = contained(sandbox, f"PLACES = ['/tmp']\nNAME = {name!r}\n" + WRITE_EVERYWHERE)
        assert result.stdout == "WROTE /tmp\n"
    finally:
        Path("/tmp", name).unlink(missing_ok=True)
    if ROOT:  # the program runs as the sandbox user, and what it leaves behind is killed
        source = ("import os, time\nprint(os.getuid())\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n")
        result = contained(sandbox, source)
        assert result.stdout == f"{UID}\n"
