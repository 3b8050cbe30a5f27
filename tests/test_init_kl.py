"""The KL penalty to a warm start (config init_kl_coef): the exact KL, and its anchor."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from agentctl.nn.distributions import ActionDist


def test_kl_is_the_categorical_kl_over_legal_actions():
    g = torch.Generator().manual_seed(0)
    ref, new = torch.randn(6, 5, generator=g), torch.randn(6, 5, generator=g)
    mask = torch.rand(6, 5, generator=g) > 0.3
    mask[:, 0] = True
    dist = ActionDist([5])
    big = torch.finfo(torch.float32).min
    p = torch.distributions.Categorical(logits=ref.masked_fill(~mask, big))
    q = torch.distributions.Categorical(logits=new.masked_fill(~mask, big))
    torch.testing.assert_close(dist.kl(ref, new, mask), torch.distributions.kl_divergence(p, q))
    assert torch.allclose(dist.kl(ref, ref, mask), torch.zeros(6), atol=1e-6)
    md = ActionDist([2, 3])  # MultiDiscrete: components add
    a, b = torch.randn(4, 5, generator=g), torch.randn(4, 5, generator=g)
    want = sum(torch.distributions.kl_divergence(torch.distributions.Categorical(logits=x),
                                                 torch.distributions.Categorical(logits=y))
               for x, y in ((a[:, :2], b[:, :2]), (a[:, 2:], b[:, 2:])))
    torch.testing.assert_close(md.kl(a, b), want)


def _train(run, *args):
    subprocess.run([sys.executable, "-m", "agentctl.cli", "train", "--env", "go", "--set", "env_kwargs.board_size=5",
                    "--set", "num_envs=4", "--set", "num_steps=32", "--set", "minibatch_size=64",
                    "--set", "policy_kwargs.blocks=1", "--set", "policy_kwargs.channels=8",
                    "--set", "tensorboard=false", "--run-dir", str(run), *args],
                   check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    run = tmp_path_factory.mktemp("initkl") / "warm"
    _train(run, "--steps", "256")
    return run


def test_the_penalty_anchors_to_the_init_weights_and_survives_resume(warm, tmp_path):
    run = tmp_path / "kl"
    _train(run, "--steps", "384", "--init", str(warm), "--set", "init_kl_coef=0.5", "--set", "init_kl_steps=1000",
           "--set", "checkpoint_every=1")
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert all(r["init_kl"] >= 0 for r in rows)
    assert rows[0]["init_kl"] < rows[-1]["init_kl"]  # it starts at the anchor and moves away
    # The coefficient fades linearly with the steps collected by each update.
    for r in rows:
        assert r["init_kl_coef"] == pytest.approx(0.5 * (1 - r["global_step"] / 1000))
    init = torch.load(sorted((warm / "checkpoints").glob("*.pt"))[-1], weights_only=False)["trainer"]["model"]
    last = torch.load(sorted((run / "checkpoints").glob("*.pt"))[-1], weights_only=False)["trainer"]
    for name, value in init.items():  # the anchor is the init's weights, saved for resume
        assert torch.equal(last["init_model"][name], value)
    assert any(not torch.equal(last["model"][k], v) for k, v in init.items())


def test_init_kl_without_init_is_refused(tmp_path):
    p = subprocess.run([sys.executable, "-m", "agentctl.cli", "train", "--env", "go", "--steps", "64",
                        "--set", "init_kl_coef=1", "--run-dir", str(tmp_path / "r")],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 2 and "init_kl_coef > 0 needs init" in p.stderr
