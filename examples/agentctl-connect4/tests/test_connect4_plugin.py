"""The plugin through agentctl's public API: registration, checks, a short self-play run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("agentctl_connect4", reason="pip install -e examples/agentctl-connect4")

from agentctl.testing import assert_plugin_ok


def test_check_plugin_passes():
    report = assert_plugin_ok("connect4")
    names = {c.name for c in report.checks}
    assert {"env connect4: pettingzoo api_test", "opponent greedy", "env connect4: training smoke test"} <= names


def test_listed_by_agentctl_envs():
    out = subprocess.run([sys.executable, "-m", "agentctl.cli", "envs", "--json"], capture_output=True,
                         text=True, check=True).stdout
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["connect4"]["kind"] == "multi" and rows["connect4"]["plugin"] == "connect4"


def test_policy_builds_for_the_board():
    import torch
    from agentctl_connect4.policy import build_connect4_net
    from gymnasium import spaces

    net = build_connect4_net(spaces.Box(0, 1, (2, 6, 7)), spaces.Discrete(7), channels=8, convs=1, hidden=16)
    logits, value = net(torch.zeros(3, 2, 6, 7))
    assert logits.shape == (3, 7) and value.shape == (3,)


def test_short_selfplay_run_eval_and_load(tmp_path):
    """The public Python API (docs/plugins.md, "Python API"); registry=None: installed plugins."""
    import numpy as np
    from agentctl.assemble import load_policy
    from agentctl.evaluate import evaluate
    from agentctl.nn.policy import act
    from agentctl.run import TrainRequest, train

    summary = train(TrainRequest(env="connect4", run_dir=str(tmp_path / "run"), quiet=True, overrides={
        "total_timesteps": 1500, "num_envs": 16, "num_steps": 16, "tensorboard": False,
        "snapshot_every": 1, "opponents": {"latest": 0.4, "snapshot": 0.2, "greedy": 0.2, "random": 0.2},
    }))
    assert summary["steps"] > 1000 and summary["episodes"] > 0
    result = evaluate(summary["checkpoint"], episodes=10, opponent="greedy")
    assert result["games"] == 10 and result["games_as_first"] == 5

    policy, spec, cfg = load_policy(summary["checkpoint"])
    games = spec.make(num_envs=4, seed=0, **cfg.env_kwargs)
    games.reset(seed=0)
    obs, mask = games.observe()
    actions = act(policy, obs, mask, deterministic=True)
    assert actions.shape == (4,) and mask[np.arange(4), actions].all()


def test_bad_opponent_argument_is_one_error_line(tmp_path):
    from agentctl.errors import UserError
    from agentctl_connect4.plugin import make_greedy

    with pytest.raises(UserError, match="takes no argument"):
        make_greedy("1", seed=0, env_kwargs={})
    out = subprocess.run([sys.executable, "-m", "agentctl.cli", "train", "--env", "connect4",
                          "--set", 'opponents={"greedy:1" = 1.0}', "--run-dir", str(tmp_path / "run")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode != 0
    lines = [ln for ln in out.stderr.splitlines() if ln.strip() and not ln.startswith("agentctl: skipped plugin")]
    assert lines == ["error: opponent 'greedy' takes no argument, got 'greedy:1'; write 'greedy'"], out.stderr
