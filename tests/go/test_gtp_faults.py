"""GnuGo (an external GTP engine) under faults: bad levels, a missing or broken binary, a
non-Go checkpoint, and Ctrl-C during training. Every bad input must give one ``error:`` line
in seconds; Ctrl-C must reach only agentctl, which checkpoints and then shuts GnuGo down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from agentctl import checkpoint
from agentctl.envs.go.gtp_client import find_gnugo, start_gnugo
from conftest import clean_env, cli_cmd

GNUGO = find_gnugo()
pytestmark = pytest.mark.skipif(GNUGO is None, reason="gnugo not installed (apt-get install gnugo)")

TINY = ("--set", "num_envs=4", "--set", "num_steps=16", "--set", "minibatch_size=32",
        "--set", "tensorboard=false")


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(cli_cmd(*args), capture_output=True, text=True, timeout=timeout,
                          env=env or clean_env(), check=False)


def _assert_one_error_line(out: subprocess.CompletedProcess, *words: str) -> str:
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, out.stderr[-3000:]
    assert "Traceback" not in out.stderr and "Fatal Python error" not in out.stderr, out.stderr[-3000:]
    assert out.returncode in (1, 2), (out.returncode, out.stderr[-3000:])  # the CLI's UserError exit
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def _gnugo_children(pid: int) -> set[int]:
    """PIDs of the gnugo processes whose parent is ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            comm, fields = stat[stat.index("(") + 1: stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
            if "gnugo" in comm and int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie has exited (its reaper may be slow)


@pytest.fixture(scope="module")
def go_run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("gtp_faults") / "go"
    out = _cli("train", "--env", "go", "--steps", "300", *TINY, "--run-dir", str(run), timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return run


@pytest.mark.parametrize("opponent, gnugo, words", [
    ("gnugo:abc", None, ("0..10", "'abc'")),
    ("gnugo:99", None, ("0..10", "99")),
    ("gnugo:-1", None, ("0..10", "-1")),
    ("gnugo", "/bin/false", ("GNUGO=/bin/false",)),
    ("gnugo", "/nonexistent", ("GNUGO=/nonexistent",)),
], ids=["level-abc", "level-99", "level-minus-1", "GNUGO-false", "GNUGO-missing"])
def test_bad_gnugo_opponent_is_one_line_in_seconds(go_run, opponent, gnugo, words):
    env = clean_env(**({"GNUGO": gnugo} if gnugo else {}))
    start = time.monotonic()
    out = _cli("eval", "--checkpoint", str(go_run), "--games", "2", "--opponent", opponent, env=env)
    assert time.monotonic() - start < 20  # mostly imports; the old gnugo:99 path waited 30 s on a genmove
    _assert_one_error_line(out, *words)


@pytest.mark.parametrize("command", ["gtp", "play"])
def test_gtp_and_play_refuse_a_non_go_checkpoint(go_run, tmp_path, command):
    """A Connect Four checkpoint (here: the Go one relabelled, which is all the check may read)."""
    import torch

    state = torch.load(checkpoint.find(go_run), weights_only=False)
    state["env"] = "connect4/connect4"
    other = checkpoint.save(state, tmp_path / "checkpoints", 1)
    line = _assert_one_error_line(_cli(command, "--checkpoint", str(other)), "not a Go checkpoint", "connect4")
    assert "env_kwargs" not in line


def test_gnugo_runs_in_its_own_session_and_close_reaps_it():
    client = start_gnugo(level=0, board_size=9)
    try:
        assert os.getpgid(client.proc.pid) != os.getpgid(0)  # the terminal's Ctrl-C is not its business
        assert os.getsid(client.proc.pid) == client.proc.pid
    finally:
        client.close()
    assert client.proc.poll() is not None


def test_a_timeout_left_uncaught_exits_cleanly():
    """One engine times out (and is killed), the other is still running when the interpreter
    exits with the error: no abort from a pipe closed under a blocked reader thread (the old
    gnugo:99 ending), and no GnuGo left behind."""
    script = ("from agentctl.envs.go.gnugo_opponent import GnuGoOpponent\n"
              "opp = GnuGoOpponent(level=0, board_size=5)\n"
              "print(*(opp._client(i).proc.pid for i in (0, 1)), flush=True)\n"
              "opp.clients[0].genmove('b', timeout=0)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30,
                         env=clean_env(), check=False)
    assert out.returncode == 1 and out.stderr.rstrip().endswith("(engine killed)"), out.stderr[-3000:]
    assert "Fatal Python error" not in out.stderr
    time.sleep(0.2)
    assert not any(_running(int(pid)) for pid in out.stdout.split()), "GnuGo left running"


def test_closing_the_selfplay_env_stops_gnugo():
    """The training loop closes its env after the final checkpoint; that must end GnuGo."""
    import torch
    from agentctl.envs.go.gnugo_opponent import GnuGoOpponent
    from agentctl.envs.go.turn_based import GoGames
    from agentctl.selfplay import OpponentPool, SelfPlayVecEnv

    gnugo = GnuGoOpponent(level=0, board_size=5)
    learner = torch.nn.Linear(1, 1)
    env = SelfPlayVecEnv(GoGames(2, 5), OpponentPool(learner, lambda: learner, {"gnugo": 1.0}, {"gnugo": gnugo}))
    env.reset(seed=0)  # game 1: GnuGo plays black's first move
    procs = [c.proc for c in gnugo.clients.values()]
    assert procs and all(p.poll() is None for p in procs)
    env.close()
    assert all(p.poll() is not None for p in procs)


def test_ctrl_c_in_a_terminal_checkpoints_and_leaves_no_gnugo(tmp_path):
    """SIGINT to the whole foreground process group, as a terminal's Ctrl-C sends it."""
    run = tmp_path / "go"
    proc = subprocess.Popen(
        cli_cmd("train", "--env", "go", "--steps", "100000", *TINY, "--set", "checkpoint_every=1000",
                "--set", 'opponents={latest=0.5, "gnugo:0"=0.5}', "--set", "env_kwargs.board_size=5",
                "--run-dir", str(run)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(), start_new_session=True)
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while not (run / "metrics.jsonl").exists() or not (run / "metrics.jsonl").read_text():
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "no update finished within 60 s"
            children |= _gnugo_children(proc.pid)
            time.sleep(0.05)
        children |= _gnugo_children(proc.pid)
        assert children, "the run started no GnuGo"
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err and "Fatal Python error" not in err, err[-3000:]
    assert "checkpoint saved:" in err
    assert checkpoint.list_checkpoints(run / "checkpoints")
    time.sleep(0.2)
    assert not any(_running(pid) for pid in children), "GnuGo left running"
