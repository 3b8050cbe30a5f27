"""The rts plugin end to end: check-plugin, bad settings, training, evaluation by sampling.

The slow test is the issue's acceptance run: the default `agentctl train --env rts --seed 1`
then 100 games against a random player, sampled as the run's config says.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from agentctl.host import get_host


def _cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agentctl.cli", *args], capture_output=True, text=True, cwd=cwd, check=False,
                          timeout=3600)


def test_check_plugin_rts_passes_every_check():
    from agentctl.testing import check_plugin

    report = check_plugin("rts", smoke_steps=200)
    bad = [c for c in report.checks if c.status != "PASS"]
    assert not bad, "\n".join(f"{c.status} {c.name}: {c.detail}" for c in bad)
    names = {c.name for c in report.checks}
    assert {"opponent workerrush", "opponent lightrush", "env rts: pettingzoo api_test"} <= names


@pytest.mark.parametrize("setting, words", [
    ("env_kwargs.map=no_such_map", "no_such_map"),
    ("env_kwargs.frame_skip=0", "frame_skip"),
    ("env_kwargs.reward_weights={gold=1.0}", "gold"),
])
def test_bad_env_kwargs_get_one_line(tmp_path, setting, words):
    out = _cli("train", "--env", "rts", "--set", setting, "--run-dir", str(tmp_path / "run"))
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert out.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert words in lines[0] and "Traceback" not in out.stderr


def test_a_short_run_trains_and_evaluates_by_sampling(tmp_path):
    from agentctl.evaluate import evaluate
    from agentctl.run import TrainRequest, train

    registry = get_host().registry
    summary = train(TrainRequest(env="rts", run_dir=str(tmp_path / "run"), quiet=True, overrides={
        "total_timesteps": 256, "num_envs": 4, "num_steps": 32, "minibatch_size": 64, "update_epochs": 1,
        "tensorboard": False, "snapshot_every": 1, "opponents": {"workerrush": 0.5, "latest": 0.5},
        "env_kwargs": {"max_ticks": 300}}), registry)
    assert summary["steps"] >= 256
    sampled = evaluate(summary["checkpoint"], registry, episodes=2, opponent="passive")
    assert sampled["deterministic"] is False and sampled["games"] == 2  # the rts config's eval_deterministic
    greedy = evaluate(summary["checkpoint"], registry, episodes=2, opponent="passive", deterministic=True)
    assert greedy["deterministic"] is True


@pytest.mark.slow
def test_default_training_beats_random(tmp_path):
    """The default budget (minutes on 2 CPU cores), then 100 games against random: >= 0.9."""
    run = tmp_path / "rts"
    out = _cli("train", "--env", "rts", "--seed", "1", "--run-dir", str(run))
    assert out.returncode == 0, out.stderr[-2000:]
    out = _cli("eval", "--checkpoint", str(run), "--opponent", "random", "--games", "100", "--json")
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["games"] == 100 and result["win_rate"] >= 0.9, result


def test_training_resumes_exactly_with_bots_shaping_and_snapshots(tmp_path):
    """A run stopped at a checkpoint and resumed ends bit-identical to one that never stopped:
    the games (mid-game, shaping counters and annealing), the bots' random streams, the dense
    rewards owed to the learner, the opponent pool."""
    import torch
    from agentctl import checkpoint

    args = ["--env", "rts", "--seed", "5", "--set", "num_envs=4", "--set", "num_steps=32",
            "--set", "minibatch_size=64", "--set", "update_epochs=2", "--set", "snapshot_every=2",
            "--set", "checkpoint_every=3", "--set", "keep_checkpoints=0", "--set", "tensorboard=false",
            "--set", "env_kwargs.max_ticks=400", "--set", "env_kwargs.shaping_anneal_steps=2000",
            "--set", "opponents={workerrush = 0.3, lightrush = 0.2, random = 0.2, snapshot = 0.3}"]
    a, b = tmp_path / "a", tmp_path / "b"
    out = _cli("train", *args, "--steps", str(6 * 4 * 32), "--run-dir", str(a))
    assert out.returncode == 0, out.stderr[-2000:]
    mid = next(p for p in checkpoint.list_checkpoints(a / "checkpoints")
               if checkpoint.load(p)["trainer"]["update"] == 3)
    out = _cli("train", "--resume", str(mid), "--run-dir", str(b))
    assert out.returncode == 0, out.stderr[-2000:]
    ta = checkpoint.load(a / "checkpoints")["trainer"]
    tb = checkpoint.load(b / "checkpoints")["trainer"]
    assert ta["update"] == tb["update"] >= 6
    for name, value in ta["model"].items():
        assert torch.equal(value, tb["model"][name]), name
    assert ta["episodes"] == tb["episodes"]
    ea, eb = ta["envs"]["state_dict"], tb["envs"]["state_dict"]
    assert (ea["dense"] == eb["dense"]).all()
    assert ea["pool"]["fixed"] == eb["pool"]["fixed"]  # the bots' and random's streams
