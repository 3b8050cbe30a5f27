"""Training under faults: kill -9 mid-run, Ctrl-C, a diverging (NaN) run."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch
from agentctl import checkpoint
from conftest import clean_env, cli_cmd
from conftest import wait_for as _wait_for


def _start(run_dir: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(cli_cmd("train", "--env", "cartpole", "--steps", 200_000, "--seed", 3,
                                    "--set", "tensorboard=false", "--run-dir", run_dir, *extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(),
                            cwd=run_dir.parent)


def _metrics(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def _finite(state: dict) -> bool:
    return all(torch.isfinite(t).all() for t in state["trainer"]["model"].values())


def _assert_log_consistent(rows: list[dict]) -> None:
    steps = [r["global_step"] for r in rows]
    assert len(steps) == len(set(steps)), "duplicated global_step lines"
    assert steps == sorted(steps)
    assert [r["update"] for r in rows] == list(range(1, len(rows) + 1))


def test_kill_9_leaves_loadable_checkpoints_and_resumes(tmp_path, run_cli):
    run_dir = tmp_path / "R"
    ckpt_dir = run_dir / "checkpoints"
    proc = _start(run_dir, "--set", "checkpoint_every=1")
    try:
        _wait_for(lambda: len(checkpoint.list_checkpoints(ckpt_dir)) >= 2, proc)
        time.sleep(0.1)  # land the kill somewhere in the middle of later updates/saves
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    names = sorted(p.name for p in ckpt_dir.iterdir())
    ckpts = checkpoint.list_checkpoints(ckpt_dir)
    assert len(ckpts) >= 2
    for name in names:  # anything else is a temp file that find() must never pick
        assert name.startswith(("step_", ".tmp-")), names
    for path in ckpts:
        state = checkpoint.load(path)
        assert _finite(state) and path.name == f"step_{state['trainer']['global_step']:012d}.pt"
    # a crash-truncated temp file (what a kill during torch.save leaves) is ignored
    (ckpt_dir / ".tmp-crashed.pt").write_bytes(b"PK\x03\x04 half a checkpoint")
    latest = checkpoint.find(run_dir)
    assert latest == ckpts[-1]
    state = checkpoint.load(run_dir)
    step, update = state["trainer"]["global_step"], state["trainer"]["update"]

    out = run_cli("train", "--resume", run_dir, "--steps", step + 600, "--json", timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["steps"] >= step + 600
    rows = _metrics(run_dir)
    _assert_log_consistent(rows)
    assert rows[-1]["global_step"] == summary["steps"]
    assert any(r["global_step"] == step and r["update"] == update for r in rows)
    assert checkpoint.load(run_dir)["trainer"]["global_step"] == summary["steps"]


def test_ctrl_c_checkpoints_and_resumes(tmp_path, run_cli):
    run_dir = tmp_path / "R"
    proc = _start(run_dir, "--set", "checkpoint_every=100000")
    try:
        _wait_for(lambda: (run_dir / "metrics.jsonl").exists()
                  and (run_dir / "metrics.jsonl").read_text().count("\n") >= 2, proc)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted at step" in err and "checkpoint saved:" in err
    assert "agentctl train --resume" in err
    assert "Traceback" not in err
    saved = err.split("checkpoint saved:")[1].split()[0]
    state = checkpoint.load(saved)
    assert _finite(state)
    step = state["trainer"]["global_step"]
    assert 0 < step < 200_000
    assert _metrics(run_dir)[-1]["global_step"] == step  # the update in flight finished, then saved

    out = run_cli("train", "--resume", run_dir, "--steps", step + 300, "--json", timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1])["steps"] >= step + 300
    _assert_log_consistent(_metrics(run_dir))


def _assert_diverged(out: subprocess.CompletedProcess, run_dir: Path) -> list[Path]:
    assert out.returncode != 0
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "NaN" in errors[0], out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    ckpts = checkpoint.list_checkpoints(run_dir / "checkpoints")
    for path in ckpts:
        assert _finite(checkpoint.load(path)), f"{path.name} holds non-finite parameters"
    return ckpts


@pytest.mark.parametrize("fused", ["true", "false"], ids=["fused-step", "autograd-step"])
def test_huge_learning_rate_stops_with_nan_error(tmp_path, run_cli, fused):
    run_dir = tmp_path / "nan"
    out = run_cli("train", "--env", "cartpole", "--steps", 5000, "--set", "learning_rate=1e30",
                  "--set", "checkpoint_every=1", "--set", "tensorboard=false", "--set", f"fused_update={fused}",
                  "--run-dir", run_dir)
    _assert_diverged(out, run_dir)


NAN_PLUGIN = """
import numpy as np

NAN_AFTER = 3 * 4 * 16  # env steps (num_envs * num_steps per rollout): updates 1-3 are clean


def make(num_envs=1, seed=None):
    import gymnasium as gym
    from gymnasium.vector import VectorWrapper

    class NanReward(VectorWrapper):
        def __init__(self, env):
            super().__init__(env)
            self.count = 0

        def step(self, actions):
            obs, rew, term, trunc, info = self.env.step(actions)
            self.count += self.num_envs
            if self.count > NAN_AFTER:
                rew = rew * np.nan
            return obs, rew, term, trunc, info

    return NanReward(gym.make_vec("CartPole-v1", num_envs=num_envs, vectorization_mode="sync"))


def register_envs(register):
    register("nanpole", make, kind="single", description="CartPole whose rewards turn NaN",
             default_config={"num_envs": 4, "num_steps": 16, "minibatch_size": 32, "update_epochs": 2,
                            "torch_threads": 1})
"""


def test_nan_reward_env_stops_and_keeps_clean_checkpoints(tmp_path, run_cli, make_plugin):
    env = make_plugin(NAN_PLUGIN, name="nanplug", dist="nan-plugin", module="nan_plugin")
    run_dir = tmp_path / "nanrun"
    out = run_cli("train", "--env", "nanpole", "--steps", 5000, "--set", "checkpoint_every=1",
                  "--set", "tensorboard=false", "--run-dir", run_dir, env=env)
    ckpts = _assert_diverged(out, run_dir)
    assert "update 4" in out.stderr
    # the three clean updates were checkpointed; nothing after the divergence
    assert [checkpoint.load(p)["trainer"]["update"] for p in ckpts] == [1, 2, 3]
