"""Self-play runs resume exactly: model, optimizer, games, opponent pool and its snapshots."""

from __future__ import annotations

import subprocess
import sys

import torch
from agentctl import checkpoint

ARGS = ["--env", "go", "--seed", "3", "--set", "env_kwargs.board_size=5", "--set", "num_envs=4",
        "--set", "num_steps=32", "--set", "minibatch_size=64", "--set", "snapshot_every=2",
        "--set", "checkpoint_every=3", "--set", "keep_checkpoints=0", "--set", "tensorboard=false",
        "--set", "opponents={latest = 0.3, snapshot = 0.5, random = 0.2}"]


def _train(*extra: str) -> None:
    subprocess.run([sys.executable, "-m", "agentctl.cli", "train", *extra, "--json"], check=True,
                   capture_output=True, timeout=600)


def test_selfplay_resume_is_exact_and_restores_the_pool(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _train(*ARGS, "--steps", str(6 * 4 * 32), "--run-dir", str(a))
    ckpts = checkpoint.list_checkpoints(a / "checkpoints")
    mid = next(p for p in ckpts if checkpoint.load(p)["trainer"]["update"] == 3)
    mid_state = checkpoint.load(mid)
    pool_at_mid = mid_state["trainer"]["envs"]["state_dict"]["pool"]
    assert len(pool_at_mid["snapshots"]) == 1  # a snapshot after update 2

    _train("--resume", str(mid), "--run-dir", str(b))
    final_a = checkpoint.load(a / "checkpoints")
    final_b = checkpoint.load(b / "checkpoints")
    ta, tb = final_a["trainer"], final_b["trainer"]
    assert ta["update"] == tb["update"] > 6 and ta["global_step"] == tb["global_step"] >= 6 * 4 * 32
    for name, value in ta["model"].items():
        assert torch.equal(value, tb["model"][name]), name
    pa, pb = ta["envs"]["state_dict"]["pool"], tb["envs"]["state_dict"]["pool"]
    # The resumed pool kept the snapshot taken before the checkpoint and added the same later ones.
    assert pb["snapshots"][0] == pool_at_mid["snapshots"][0]
    assert len(pa["snapshots"]) == len(pb["snapshots"]) == ta["update"] // 2
    for sa, sb in zip(pa["snapshots"][1:], pb["snapshots"][1:]):
        wa = torch.load(sa, weights_only=False)["model"]
        wb = torch.load(sb, weights_only=False)["model"]
        assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert pa["rng"] == pb["rng"]
    assert [r for r, _ in ta["episodes"]] == [r for r, _ in tb["episodes"]]
