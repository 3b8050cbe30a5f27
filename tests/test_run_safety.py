"""Run safety (issue #9): a run dir is never reused or shared by accident, stop signals
(SIGTERM, SIGHUP) keep the work like Ctrl-C does, a failed resume writes nothing, and bad
input of every kind is one ``error:`` line with exit status 2, never a traceback or a
damaged run. Everything goes through the CLI in a subprocess, as a user (or a job
scheduler) would run it.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from agentctl import checkpoint
from conftest import clean_env, cli_cmd, wait_for

QUIET = ("--set", "tensorboard=false")
SEED = 7
# CartPole's default config: 8 envs x 32 steps a rollout, so about 32 updates (a few seconds).
BUDGET = 8192
CARTPOLE = ("train", "--env", "cartpole", "--seed", SEED, "--steps", BUDGET, "--set", "checkpoint_every=2", *QUIET)


# -- helpers ----------------------------------------------------------------------------------
def _run(cmd: list, env: dict[str, str] | None = None, cwd: Path | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], check=False, capture_output=True, text=True,
                          timeout=timeout, env=env if env is not None else clean_env(), cwd=cwd)


def _start(*args: object, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(cli_cmd(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=clean_env(), cwd=cwd)


def _signal_when(proc: subprocess.Popen, ready: Callable[[], bool], sig: int) -> str:
    """Send ``sig`` once ``ready()``; the run's stderr after it exits (killed if it hangs)."""
    try:
        wait_for(ready, proc, timeout=60.0)
        proc.send_signal(sig)
        return proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()


def _one_error(out: subprocess.CompletedProcess, *fragments: str, code: int = 2) -> str:
    """The command failed with ``code`` and said so in exactly one ``error:`` line holding
    ``fragments``; anything else on stderr is progress, not a traceback or a second message."""
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert out.returncode == code, out.stderr[-2000:]
    assert len(errors) == 1, out.stderr[-2000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    others = [line for line in out.stderr.splitlines()
              if line.strip() and not line.startswith(("error:", "agentctl: step"))]
    assert not others, out.stderr[-2000:]
    return errors[0]


def _files(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for folders); the lock file excluded
    (a refused command may rewrite the pid in it: it is no part of the run)."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*")) if p.name != ".lock"}


def _metrics(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def _assert_continuous(run_dir: Path) -> list[dict]:
    rows = _metrics(run_dir)
    assert [r["update"] for r in rows] == list(range(1, len(rows) + 1)), "metrics lines missing or repeated"
    steps = [r["global_step"] for r in rows]
    assert steps == sorted(set(steps))
    return rows


def _final(run_dir: Path) -> dict:
    """The run's latest checkpoint, which must hold its last logged update at its budget."""
    state = checkpoint.load(run_dir)
    assert state["trainer"]["global_step"] >= state["config"]["total_timesteps"]
    assert state["trainer"]["global_step"] == _metrics(run_dir)[-1]["global_step"]
    return state


def _latest_step(run_dir: Path) -> int:
    """The step of the newest checkpoint by its name (0 if none), without loading it."""
    found = checkpoint.list_checkpoints(run_dir / "checkpoints")
    return int(found[-1].stem.split("_")[1]) if found else 0


def _assert_same_weights(a: dict, b: dict) -> None:
    ma, mb = a["trainer"]["model"], b["trainer"]["model"]
    assert ma.keys() == mb.keys()
    for name in ma:
        assert torch.equal(ma[name], mb[name]), f"{name} differs"


@pytest.fixture(scope="module")
def base_run(tmp_path_factory) -> Path:
    """An uninterrupted CartPole run (seed SEED, budget BUDGET): the reference every
    interrupted or contested run must match, and the old run that tests try to clobber.
    Tests copy it before touching it."""
    run_dir = tmp_path_factory.mktemp("base") / "R"
    out = _run(cli_cmd(*CARTPOLE, "--run-dir", run_dir), cwd=run_dir.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    return run_dir


@pytest.fixture(scope="module")
def go_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("go") / "G"
    out = _run(cli_cmd("train", "--env", "go", "--steps", 300, "--set", "num_envs=4", "--set", "num_steps=16",
                       "--set", "minibatch_size=32", "--set", "env_kwargs.board_size=5", *QUIET,
                       "--run-dir", run_dir), cwd=run_dir.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    return run_dir


def _copy(run_dir: Path, to: Path) -> Path:
    shutil.copytree(run_dir, to)
    return to


# -- 1. a run dir holding a run is not reused by accident ----------------------------------------
def test_fresh_train_into_a_used_run_dir_is_refused_unless_overwrite(tmp_path, base_run):
    run_dir = _copy(base_run, tmp_path / "R")
    before = _files(run_dir)
    assert any(name.startswith("checkpoints/step_") for name in before)

    out = _run(cli_cmd("train", "--env", "cartpole", "--steps", 256, *QUIET, "--run-dir", run_dir), cwd=tmp_path)
    line = _one_error(out, "already holds a run")
    assert f"--resume {run_dir}" in line and "--overwrite" in line
    assert _files(run_dir) == before, "the refused command changed the old run"

    out = _run(cli_cmd("train", "--env", "cartpole", "--steps", 256, *QUIET, "--run-dir", run_dir,
                       "--overwrite", "--json"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    steps = json.loads(out.stdout.splitlines()[-1])["steps"]
    assert [p.name for p in checkpoint.list_checkpoints(run_dir / "checkpoints")] == [f"step_{steps:012d}.pt"]
    rows = _assert_continuous(run_dir)
    assert rows[-1]["global_step"] == steps  # the old run's metrics are gone, not appended to
    assert "total_timesteps = 256" in (run_dir / "config.toml").read_text()


# -- 2. one run dir, one process ----------------------------------------------------------------
def test_second_process_on_a_run_dir_is_refused_and_the_first_finishes_untouched(tmp_path, base_run):
    run_dir = tmp_path / "R"
    first = _start(*CARTPOLE, "--run-dir", run_dir, "--json", cwd=tmp_path)
    try:
        wait_for(lambda: bool(checkpoint.list_checkpoints(run_dir / "checkpoints")), first, timeout=60.0)
        first.send_signal(signal.SIGSTOP)  # hold it mid-run (and holding the lock) while others try
        try:
            fresh = _run(cli_cmd("train", "--env", "cartpole", *QUIET, "--run-dir", run_dir), cwd=tmp_path)
            resumed = _run(cli_cmd("train", "--resume", run_dir, *QUIET), cwd=tmp_path)
        finally:
            first.send_signal(signal.SIGCONT)
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    for refused in (fresh, resumed):
        _one_error(refused, f"in use by another agentctl process (pid {first.pid})")

    assert first.returncode == 0, err[-2000:]
    summary = json.loads(out.splitlines()[-1])
    _assert_continuous(run_dir)
    state = _final(run_dir)
    assert state["trainer"]["global_step"] == summary["steps"]
    _assert_same_weights(state, _final(base_run))  # nothing the refused commands did reached it


# -- 3. stop signals ----------------------------------------------------------------------------
def test_sigterm_then_sighup_then_resume_matches_an_uninterrupted_run(tmp_path, base_run):
    run_dir = tmp_path / "R"
    proc = _start(*CARTPOLE, "--run-dir", run_dir, cwd=tmp_path)
    err = _signal_when(proc, lambda: bool(checkpoint.list_checkpoints(run_dir / "checkpoints")), signal.SIGTERM)
    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert "interrupted at step" in err and f"agentctl train --resume {run_dir}" in err
    assert "Traceback" not in err
    saved = checkpoint.load(err.split("checkpoint saved:")[1].split()[0])
    stopped_at = saved["trainer"]["global_step"]
    assert 0 < stopped_at < BUDGET
    assert _metrics(run_dir)[-1]["global_step"] == stopped_at  # the update in flight finished, then saved

    # resume, and hang up on it part-way: SIGHUP keeps the work the same way
    proc = _start("train", "--resume", run_dir, cwd=tmp_path)
    err = _signal_when(proc, lambda: _latest_step(run_dir) > stopped_at, signal.SIGHUP)
    assert proc.returncode == 128 + signal.SIGHUP, err[-2000:]
    assert "checkpoint saved:" in err and "Traceback" not in err
    hung_up_at = checkpoint.load(err.split("checkpoint saved:")[1].split()[0])["trainer"]["global_step"]
    assert stopped_at < hung_up_at < BUDGET
    assert _metrics(run_dir)[-1]["global_step"] == hung_up_at

    out = _run(cli_cmd("train", "--resume", run_dir), cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    _assert_continuous(run_dir)
    _assert_same_weights(_final(run_dir), _final(base_run))


def test_sigterm_during_start_up_trains_nothing_and_leaves_no_run_dir(tmp_path):
    run_dir = tmp_path / "R"
    proc = _start("train", "--env", "cartpole", *QUIET, "--run-dir", run_dir, cwd=tmp_path)
    # The lock is the first thing a run writes; torch has not even been imported yet.
    err = _signal_when(proc, lambda: (run_dir / ".lock").exists(), signal.SIGTERM)
    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("stopped during start-up, nothing was trained"), err[-2000:]
    assert "intact" not in err
    assert not run_dir.exists()


# -- 4. resume: stale temp files, and a failed resume writes nothing -------------------------------
def test_failed_resume_writes_nothing_and_resume_removes_stale_temp_files(tmp_path, base_run):
    run_dir = _copy(base_run, tmp_path / "R")
    before = _files(run_dir)
    out = _run(cli_cmd("train", "--resume", run_dir, "--steps", BUDGET + 256, "--set", "policy_kwargs.hidden_sizes=[8]"),
               cwd=tmp_path)
    _one_error(out, "cannot resume from")
    assert _files(run_dir) == before, "a failed resume changed the run"

    # temp files of saves that a kill cut short
    stale = [run_dir / "checkpoints" / ".tmp-x.pt", run_dir / "snapshots" / ".tmp-y.pt", run_dir / "metrics.tmp"]
    for path in stale:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"PK\x03\x04 half a file")
    out = _run(cli_cmd("train", "--resume", run_dir, "--steps", BUDGET + 256, "--json"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert [p.name for p in stale if p.exists()] == []
    _assert_continuous(run_dir)


# -- 5. bad input: one line, exit 2, nothing wrong written ----------------------------------------
def _can_mount_tmpfs() -> str:
    """'' when ``unshare`` can mount a private tmpfs here; else why not."""
    if shutil.which("unshare") is None:
        return "no unshare command"
    try:
        probe = subprocess.run(["unshare", "--map-root-user", "--mount", "sh", "-c",
                                "mount -t tmpfs -o size=16k tmpfs /tmp"],
                               check=False, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare failed: {exc}"
    return "" if probe.returncode == 0 else f"cannot mount a tmpfs in a user namespace: {probe.stderr.strip()}"


# Mount a tmpfs with options $1 on folder $2 in a private mount namespace, run the rest, then
# list what was left there (the tmpfs vanishes with the namespace).
IN_TMPFS = ('mount -t tmpfs -o "$1" tmpfs "$2" || exit 99; d=$2; shift 2; "$@"; rc=$?; '
            'echo "left:"; find "$d" -name ".tmp-*" -o -name "step_*"; exit $rc')

BAD_ENVS_PLUGIN = """
import numpy as np

SMALL = {"num_envs": 2, "num_steps": 8, "minibatch_size": 16, "update_epochs": 1, "torch_threads": 1}


def boom(num_envs=1, seed=None):
    raise RuntimeError("boom")


def nan_obs(num_envs=1, seed=None):
    import gymnasium as gym
    from gymnasium.vector import VectorWrapper

    class NanObs(VectorWrapper):
        def step(self, actions):
            obs, rew, term, trunc, info = self.env.step(actions)
            return obs * np.nan, rew, term, trunc, info

    return NanObs(gym.make_vec("CartPole-v1", num_envs=num_envs, vectorization_mode="sync"))


def step_raises(num_envs=1, seed=None):
    import gymnasium as gym
    from gymnasium.vector import VectorWrapper

    class Crash(VectorWrapper):
        def step(self, actions):
            raise ValueError("the physics exploded")

    return Crash(gym.make_vec("CartPole-v1", num_envs=num_envs, vectorization_mode="sync"))


def register_envs(register):
    register("boomenv", boom, kind="single", description="an env whose make raises", default_config=SMALL)
    register("nanenv", nan_obs, kind="single", description="CartPole seeing NaN", default_config=SMALL)
    register("crashenv", step_raises, kind="single", description="an env whose step raises",
             default_config=SMALL)
"""


@dataclass
class Bad:
    """How to run one bad input (its expected message is in the table below)."""
    cmd: list
    env: dict[str, str] | None = None
    tmpfs: str = ""  # mount options: run cmd in a private tmpfs mounted on work/mnt
    watch: list[Path] = field(default_factory=list)  # inputs that must be unchanged, besides work/
    check: Callable[[subprocess.CompletedProcess], None] | None = None


def _no_temp_left(out: subprocess.CompletedProcess) -> None:
    left = out.stdout.split("left:", 1)[1].split()
    assert left == [], f"left on the full disk: {left}"


def _edited_checkpoint(base_run: Path, work: Path, edit: Callable[[dict], None]) -> Path:
    state = torch.load(checkpoint.find(base_run), weights_only=False)
    edit(state)
    path = work / "edited.pt"
    torch.save(state, path)
    return path


def _wider_first_layer(state: dict) -> None:
    model = state["trainer"]["model"]
    name = next(k for k, v in model.items() if v.dim() == 2)
    model[name] = torch.zeros(model[name].shape[0] + 1, model[name].shape[1])


def _bad_case(name: str, work: Path, base_run: Callable[[], Path], go_run: Callable[[], Path],
              make_plugin: Callable[..., dict[str, str]]) -> Bad:
    train = ("train", "--env", "cartpole", "--steps", 512, *QUIET)
    if name == "run dir under a file":
        (work / "somefile").write_text("not a folder\n")
        return Bad(cli_cmd(*train, "--run-dir", work / "somefile" / "sub"))
    if name == "run dir under /proc":
        return Bad(cli_cmd(*train, "--run-dir", "/proc/agentctl-test/run"))
    if name == "read-only run dir":
        return Bad(cli_cmd(*train, "--run-dir", work / "mnt"), tmpfs="size=64k,ro")
    if name == "run dir under a read-only folder":
        return Bad(cli_cmd(*train, "--run-dir", work / "mnt" / "run"), tmpfs="size=64k,ro")
    if name == "disk full":
        return Bad(cli_cmd(*train, "--set", "checkpoint_every=1", "--run-dir", work / "mnt" / "run"),
                   tmpfs="size=64k", check=_no_temp_left)
    if name == "opponent checkpoint of another env":
        ckpt = checkpoint.find(base_run())
        return Bad(cli_cmd("eval", "--checkpoint", go_run(), "--episodes", 2, "--opponent", f"snapshot:{ckpt}"),
                   watch=[ckpt, go_run()])
    if name == "weights of another shape":
        path = _edited_checkpoint(base_run(), work, _wider_first_layer)
        return Bad(cli_cmd("eval", "--checkpoint", path, "--episodes", 2))
    if name == "checkpoint without trainer":
        path = _edited_checkpoint(base_run(), work, lambda state: state.pop("trainer"))
        return Bad(cli_cmd("eval", "--checkpoint", path, "--episodes", 2))
    if name == "resume from a checkpoint without optimizer state":
        path = _edited_checkpoint(base_run(), work, lambda state: state["trainer"].pop("optimizer"))
        return Bad(cli_cmd("train", "--resume", path, "--steps", BUDGET + 256, "--run-dir", work / "run", *QUIET))
    if name.startswith("plugin env"):
        env = make_plugin(BAD_ENVS_PLUGIN, name="badenvs", dist="bad-envs", module="bad_envs")
        which = {"make raises": "boomenv", "NaN observations": "nanenv", "step raises": "crashenv"}[
            name.split("whose ", 1)[-1].split("with ", 1)[-1]]
        return Bad(cli_cmd("train", "--env", which, "--steps", 64, "--set", "checkpoint_every=1", *QUIET,
                           "--run-dir", work / "run"), env=env)
    if name == "opponents on a one-player env":
        return Bad(cli_cmd(*train, "--set", "opponents={latest=1.0}", "--run-dir", work / "run"))
    raise AssertionError(name)


# name -> what the one error line must say, exit status
BAD_INPUTS = [
    ("run dir under a file", ["is a file"], 2),
    ("run dir under /proc", ["cannot create run dir /proc/agentctl-test/run"], 2),
    ("read-only run dir", ["cannot write to run dir", "Read-only file system"], 2),
    ("run dir under a read-only folder", ["cannot create run dir", "Read-only file system"], 2),
    ("disk full", ["could not write checkpoint", "No space left on device; no checkpoint was written"], 2),
    ("opponent checkpoint of another env", ["is a checkpoint of env 'classic/cartpole'"], 2),
    # which weight does not fit, not just torch's 'Error(s) in loading state_dict' header
    ("weights of another shape", ["does not fit", "size mismatch for"], 2),
    ("checkpoint without trainer", ["incomplete agentctl checkpoint (missing trainer)"], 2),
    ("resume from a checkpoint without optimizer state", ["incomplete checkpoint (no trainer 'optimizer')"], 2),
    ("plugin env whose make raises", ["env 'boomenv' (plugin 'badenvs') failed to start: RuntimeError: boom"], 2),
    ("plugin env with NaN observations", ["env 'nanenv' (plugin 'badenvs') produced NaN/inf observations"], 2),
    ("plugin env whose step raises",
     ["env 'crashenv' (plugin 'badenvs') step() raised ValueError: the physics exploded"], 2),
    ("opponents on a one-player env", ["applies to two-player"], 2),
]


@pytest.mark.parametrize(("name", "says", "code"), BAD_INPUTS, ids=[row[0] for row in BAD_INPUTS])
def test_bad_input_is_one_line_and_writes_nothing(name, says, code, tmp_path, request, make_plugin):
    work = tmp_path / "work"
    (work / "mnt").mkdir(parents=True)
    case = _bad_case(name, work, lambda: request.getfixturevalue("base_run"),
                     lambda: request.getfixturevalue("go_run"), make_plugin)
    cmd = case.cmd
    if case.tmpfs:
        why = _can_mount_tmpfs()
        if why:
            pytest.skip(why)
        cmd = ["unshare", "--map-root-user", "--mount", "sh", "-c", IN_TMPFS, "sh", case.tmpfs, work / "mnt", *cmd]
    watched = [work, *case.watch]
    before = [_files(p) if p.is_dir() else p.read_bytes() for p in watched]

    out = _run(cmd, env=case.env, cwd=work)
    assert out.returncode != 99, f"mount failed: {out.stderr}"
    _one_error(out, *says, code=code)
    if case.check is not None:
        case.check(out)
    after = [_files(p) if p.is_dir() else p.read_bytes() for p in watched]
    assert after == before, "the failed command wrote or changed files"
