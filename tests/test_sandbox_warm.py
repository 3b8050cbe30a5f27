"""Warm sandboxes (one long-lived bubblewrap sandbox per pool slot that forks each program).

What a warm slot must keep from a fresh sandbox: every program's result is the one a fresh
sandbox gives (the fresh sandbox is the reference here), and nothing of one program reaches the
next in the same slot: no file, no process, no IPC object, and no trace of its job in memory.
Each check has a control that shows it can see what it looks for. tests/test_sandbox.py holds
the hostile programs; these are the properties only a reused sandbox could break.

The sandbox users here start at 59900, apart from other test files' users.
"""

from __future__ import annotations

import ast
import os
import secrets
import shutil
import time
from pathlib import Path

import pytest
from agentctl.sandbox import Sandbox, SandboxConfig, SandboxPool
from agentctl.sandbox.warm import WarmSandbox, warm_supported

UID = 59900
LIMITS = {"timeout_s": 2.0, "cpu_s": 5, "test_timeout_s": 0.5, "memory_mb": 256, "max_processes": 16,
          "max_file_mb": 1, "disk_mb": 4, "output_limit": 4096, "uid": UID, "backend": "bwrap"}

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None or os.geteuid() != 0,
                                reason="warm sandboxes need bubblewrap and root")


@pytest.fixture(scope="module")
def cold() -> Sandbox:
    return Sandbox(SandboxConfig(**LIMITS))


@pytest.fixture()
def warm(cold):
    sandbox = WarmSandbox(cold, slot=1)
    yield sandbox
    sandbox.close()


def running(uid: int) -> list[int]:
    """Live processes of ``uid`` on the host."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                stat = (entry / "stat").read_text()
                if stat[stat.rindex(")") + 2] not in "ZX":
                    pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def gone(uid: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while running(uid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not running(uid)


# Programs whose every observable a warm slot must reproduce; fresh bubblewrap is the reference.
AGREE = [
    ("print(6 * 7)", None),
    ("import sys\nsys.exit(3)", None),
    ("import sys\nsys.exit('bye')", None),
    ("raise KeyError('k')", None),
    ("raise KeyboardInterrupt", None),
    ("def f(:\n    pass", None),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", None),
    ("import os\nos.close(1)\nprint('hello')", None),  # Python's flush failure at exit: 120
    ("import sys\nsys.stdout.write('no newline')", None),
    ("import atexit, threading, time\natexit.register(lambda: print('atexit'))\n"
     "threading.Thread(target=lambda: (time.sleep(0.1), print('thread'))).start()\nprint('main')", None),
    ("import os\nprint(os.getcwd(), sorted(os.listdir('.')), os.getpid(), os.getppid(), os.getpgrp(), dict(os.environ))",
     None),
    ("import os\nprint(sorted(os.listdir('/')), sorted(p for p in os.listdir('/proc') if p.isdigit()))", None),
    ("import os, resource\nprint(os.getuid() - %d, os.getgroups(), [resource.getrlimit(getattr(resource, n)) for n in "
     "('RLIMIT_AS', 'RLIMIT_NPROC', 'RLIMIT_NOFILE', 'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_CORE')])" % UID, None),
    ("import os\nprint(len(os.listdir('/proc/self/fd')))", None),  # 0-2, the report channel, the listing
    ("print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])", None),
    ("def f(x):\n    return x + 1", ["assert f(1) == 2", "assert f(1) == 3", "f(None)", "while True: pass",
                                    "__import__('os')._exit(0)", "assert True"]),
    ("import sys\nsys.exit(0)", ["assert 1"]),
    ("while True:\n    print('y' * 100)", None),
]


@pytest.mark.parametrize("source, tests", AGREE, ids=range(len(AGREE)))
def test_a_warm_slot_gives_what_a_fresh_sandbox_gives(cold, warm, source, tests):
    fresh, reused = cold.run(source, tests, slot=1), warm.run(source, tests)

    def seen(r):
        return r.status, r.returncode, r.stdout, r.detail, [(t.outcome, t.error) for t in r.tests]

    assert seen(reused) == seen(fresh)
    assert ("Traceback" in reused.stderr) == ("Traceback" in fresh.stderr)
    assert gone(UID + 1)


LEAVE = """import ctypes, os
open('left.txt', 'w').write('x')
libc = ctypes.CDLL(None)
print(libc.shmget(4242, 4096, 0o1666) >= 0)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import time
        time.sleep(30)
    os._exit(0)
"""
LOOK = """import ctypes, os
libc = ctypes.CDLL(None)
print((sorted(os.listdir('.')), libc.shmget(4242, 4096, 0o666) >= 0,
       sorted(int(p) for p in os.listdir('/proc') if p.isdigit())))
"""


def test_nothing_of_a_program_reaches_the_next_in_its_slot(warm):
    # Control: within one program, the look sees the file, the shared memory and the sleeper.
    control = warm.run(LEAVE + "import time\ntime.sleep(0.2)\n" + LOOK)
    assert control.status == "ok", control
    made, (files, shm, pids) = control.stdout.split("\n")[0], ast.literal_eval(control.stdout.split("\n")[1])
    assert made == "True" and "left.txt" in files and shm and len(pids) >= 3
    first = warm.run(LEAVE)
    assert first.status == "ok" and first.stdout == "True\n" and first.duration_s < 2.0
    assert gone(UID + 1)  # the sleeper that left the session died with the program
    after = warm.run(LOOK)
    assert after.status == "ok", after
    assert ast.literal_eval(after.stdout) == (["harness.py", "main.py"], False, [1, 2])


SCAN = """import ctypes
needle = {reversed_secret!r}[::-1].encode()
count = 0
for line in open('/proc/self/maps').read().splitlines():
    fields = line.split()
    if fields[1].startswith('r') and (len(fields) == 5 or fields[5] in ('[heap]', '[stack]')):
        lo, hi = (int(x, 16) for x in fields[0].split('-'))
        count += ctypes.string_at(lo, hi - lo).count(needle)
print(count)
"""


def test_a_program_cannot_find_an_earlier_programs_job_in_its_memory(warm):
    """A reused process could hold an earlier job (its hidden tests, its token) in memory the
    next program inherits; the server never reads jobs, so none can. The scan counts the secret
    in its own process's memory: once (its own search key) where the secret is not."""
    secret = secrets.token_hex(16)
    scan = SCAN.format(reversed_secret=secret[::-1])
    assert warm.run(scan).stdout == "1\n"
    holder = warm.run("def f():\n    return 1\n", [f"assert f() == 1, {secret!r}"] * 3)
    assert holder.status == "ok"
    assert warm.run(scan).stdout == "1\n"
    # Control: the scan does find the secret where the program's own job (its tests) holds it.
    assert int(warm.run(scan, [f"assert 1, {secret!r}"] * 3).stdout) > 1


def test_a_timeout_or_output_cap_kills_the_whole_warm_sandbox_and_the_slot_goes_on(warm):
    first = warm.run("import os\nif os.fork() == 0:\n    os.setsid()\nwhile True:\n    pass\n")
    assert first.status == "timeout" and 2.0 <= first.duration_s < 3.5
    assert gone(UID + 1)
    capped = warm.run("while True:\n    print('y' * 100)\n")
    assert capped.status == "output_limit" and len(capped.stdout) == LIMITS["output_limit"]
    after = warm.run("print('next')")
    assert (after.status, after.stdout) == ("ok", "next\n")


def test_a_dead_server_is_replaced_at_the_next_program(warm):
    assert warm.run("print(1)").stdout == "1\n"
    os.killpg(warm._proc.pid, 9)
    warm._proc.wait()
    assert warm.run("print(2)").stdout == "2\n"


def test_the_pool_is_warm_where_it_can_be_and_cold_on_request():
    assert warm_supported(Sandbox(SandboxConfig(**LIMITS))) is None
    jobs = [("import os\nprint(os.getuid())", None)] * 6 + [("def f(x):\n    return -x", ["assert f(2) == -2"])]
    with SandboxPool(SandboxConfig(**LIMITS), workers=2) as warm_pool, \
            SandboxPool(SandboxConfig(**LIMITS), workers=2, warm=False) as cold_pool:
        assert warm_pool.warm and not cold_pool.warm
        warm_results, cold_results = warm_pool.map(jobs), cold_pool.map(jobs)
    assert [r.status for r in warm_results] == [r.status for r in cold_results] == ["ok"] * 7
    assert {int(r.stdout) for r in warm_results[:6]} <= {UID, UID + 1, UID + 2}
    assert gone(UID) and gone(UID + 1) and gone(UID + 2)
