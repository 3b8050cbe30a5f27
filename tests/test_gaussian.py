"""Continuous (Box) actions: the diagonal-Gaussian head against torch.distributions, clipping
that never touches the stored sample or its log-prob, and end-to-end runs on Gymnasium's
Pendulum (and MuJoCo's Hopper where mujoco is installed)."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess

import gymnasium as gym
import numpy as np
import pytest
import torch
from agentctl.nn.distributions import ActionDist
from agentctl.nn.gaussian import DiagGaussian, dist_for_space
from agentctl.nn.mlp import build_mlp
from agentctl.nn.policy import act
from agentctl.ppo.rollout import Collector
from gymnasium import spaces
from gymnasium.vector import SyncVectorEnv
from torch.distributions import AffineTransform, Normal, TanhTransform, TransformedDistribution, kl_divergence

D = 3
LOW = np.array([-1.0, -2.0, 0.0])
HIGH = np.array([1.0, 2.0, 3.0])


def random_params(batch: int = 64, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mean = torch.randn(batch, D, generator=g, dtype=dtype)
    log_std = torch.empty(batch, D, dtype=dtype).uniform_(-2.0, 1.0, generator=g)
    return torch.cat([mean, log_std], -1)


def normal(params: torch.Tensor) -> Normal:
    return Normal(params[..., :D], params[..., D:].exp())


# -- the distribution against torch.distributions ------------------------------------------
def test_log_prob_entropy_match_torch_normal():
    dist = DiagGaussian(LOW, HIGH)
    params = random_params()
    actions = torch.randn(64, D, dtype=torch.float64) * 3  # many outside the bounds: no correction for clipping
    ref = normal(params)
    torch.testing.assert_close(dist.log_prob(params, actions), ref.log_prob(actions).sum(-1))
    torch.testing.assert_close(dist.entropy(params), ref.entropy().sum(-1))
    logp, ent = dist.evaluate(params, actions)
    torch.testing.assert_close(logp, ref.log_prob(actions).sum(-1))
    torch.testing.assert_close(ent, ref.entropy().sum(-1))


def test_kl_matches_torch():
    dist = DiagGaussian(LOW, HIGH)
    ref, new = random_params(seed=1), random_params(seed=2)
    expected = kl_divergence(normal(ref), normal(new)).sum(-1)
    torch.testing.assert_close(dist.kl(ref, new), expected)
    torch.testing.assert_close(dist.kl(ref, ref), torch.zeros(64, dtype=torch.float64))


def test_tanh_log_prob_matches_torch_transformed_distribution():
    dist = DiagGaussian(LOW, HIGH, squash="tanh")
    params = random_params()
    u = torch.empty(64, D, dtype=torch.float64).uniform_(-3, 3, generator=torch.Generator().manual_seed(3))
    center = torch.as_tensor((HIGH + LOW) / 2)
    half = torch.as_tensor((HIGH - LOW) / 2)
    squashed = TransformedDistribution(normal(params), [TanhTransform(), AffineTransform(center, half)])
    env_action = dist.to_env(u)
    torch.testing.assert_close(env_action, center + half * torch.tanh(u))
    torch.testing.assert_close(dist.log_prob(params, u), squashed.log_prob(env_action).sum(-1))
    # KL is invariant under the shared bijection; the entropy is the Gaussian's (the estimate).
    torch.testing.assert_close(dist.kl(params, random_params(seed=4)),
                               kl_divergence(normal(params), normal(random_params(seed=4))).sum(-1))
    torch.testing.assert_close(dist.entropy(params), normal(params).entropy().sum(-1))


def test_tanh_log_prob_stays_finite_far_out():
    """Where 1 - tanh(u)^2 underflows to 0 a naive log-det is -inf; ours stays finite."""
    dist = DiagGaussian(LOW, HIGH, squash="tanh")
    params = torch.zeros(2, 2 * D)
    u = torch.tensor([[30.0, -30.0, 50.0], [0.0, 0.0, 0.0]])
    logp = dist.log_prob(params, u)
    assert torch.isfinite(logp).all()
    # log(1 - tanh(u)^2) ~ log 4 - 2|u| for large |u|
    expected = Normal(0.0, 1.0).log_prob(u[0]).sum() - (math.log(4) * 3 - 2 * 110) - np.log((HIGH - LOW) / 2).sum()
    assert float(logp[0]) == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.parametrize("squash", ["clip", "tanh"])
def test_sample_with_log_prob_is_consistent_and_distributed(squash):
    dist = DiagGaussian(LOW, HIGH, squash=squash)
    mean = torch.tensor([0.5, -1.0, 2.0])
    log_std = torch.tensor([-1.0, 0.0, 0.5])
    params = torch.cat([mean, log_std]).expand(20_000, 2 * D)
    actions, logp = dist.sample_with_log_prob(params, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(logp, dist.log_prob(params, actions), rtol=1e-5, atol=1e-5)
    # The stored sample is the raw Gaussian one (not clipped/squashed).
    torch.testing.assert_close(actions.mean(0), mean, atol=0.05, rtol=0)
    torch.testing.assert_close(actions.std(0), log_std.exp(), atol=0.05, rtol=0)
    again = dist.sample(params, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(again, actions)
    torch.testing.assert_close(dist.mode(params), params[:, :D])


def test_to_env_clips_to_bounds_and_leaves_unbounded_dims():
    dist = DiagGaussian([-1.0, -np.inf], [1.0, np.inf])
    raw = torch.tensor([[-5.0, -5.0], [0.3, 7.0], [4.0, 0.0]])
    torch.testing.assert_close(dist.to_env(raw), torch.tensor([[-1.0, -5.0], [0.3, 7.0], [1.0, 0.0]]))
    free = DiagGaussian([-np.inf], [np.inf])
    assert torch.equal(free.to_env(raw[:, :1]), raw[:, :1])
    assert torch.equal(ActionDist([3]).to_env(torch.tensor([0, 2])), torch.tensor([0, 2]))


def test_dist_for_space_dispatch_and_errors():
    assert isinstance(dist_for_space(spaces.Discrete(3)), ActionDist)
    gauss = dist_for_space(spaces.Box(-2.0, 2.0, (2,), np.float32), squash="tanh")
    assert isinstance(gauss, DiagGaussian) and gauss.num_logits == 4 and gauss.squash == "tanh"
    with pytest.raises(ValueError, match="1-D"):
        dist_for_space(spaces.Box(-1.0, 1.0, (2, 3), np.float32))
    with pytest.raises(ValueError, match="finite action bounds"):
        dist_for_space(spaces.Box(-np.inf, np.inf, (2,), np.float32), squash="tanh")
    with pytest.raises(ValueError, match="squash must be one of"):
        dist_for_space(spaces.Box(-1.0, 1.0, (2,), np.float32), squash="sigmoid")
    with pytest.raises(ValueError, match="Box action spaces only"):
        dist_for_space(spaces.Discrete(3), squash="tanh")
    with pytest.raises(ValueError, match="discrete actions only"):
        gauss.log_prob(torch.zeros(1, 4), torch.zeros(1, 2), torch.ones(1, 4, dtype=torch.bool))


# -- the MLP policy ----------------------------------------------------------------------------
OBS = spaces.Box(-np.inf, np.inf, (4,), np.float32)
ACT = spaces.Box(LOW.astype(np.float32), HIGH.astype(np.float32), dtype=np.float32)


def test_mlp_state_independent_std_is_a_trained_parameter():
    policy = build_mlp(OBS, ACT, log_std_init=-0.5)
    obs = torch.randn(5, 4)
    params, value = policy(obs)
    assert params.shape == (5, 2 * D) and value.shape == (5,)
    assert torch.equal(params[:, D:], torch.full((5, D), -0.5))
    actions = torch.randn(5, D)
    logp, ent = policy.dist.evaluate(params, actions)
    (logp.sum() + ent.sum()).backward()
    assert policy.log_std.grad is not None and policy.log_std.grad.abs().sum() > 0


def test_mlp_state_dependent_std_is_predicted():
    policy = build_mlp(OBS, ACT, log_std_init=-0.5, state_dependent_std=True)
    assert policy.log_std is None
    params, _ = policy(torch.randn(5, 4))
    torch.testing.assert_close(params[:, D:], torch.full((5, D), -0.5), atol=0.05, rtol=0)  # starts at log_std_init
    with torch.no_grad():
        policy.actor[-1].weight.normal_()
    params, _ = policy(torch.randn(5, 4))
    assert params.shape == (5, 2 * D)
    assert params[:, D:].std(0).min() > 0  # varies with the state


def test_mlp_refuses_gaussian_options_for_discrete_actions():
    with pytest.raises(ValueError, match="Box action spaces only"):
        build_mlp(OBS, spaces.Discrete(2), log_std_init=-1.0)
    assert "log_std" not in build_mlp(OBS, spaces.Discrete(2)).state_dict()


@pytest.mark.parametrize("squash", ["clip", "tanh"])
def test_act_returns_the_env_action(squash):
    policy = build_mlp(OBS, ACT, squash=squash)
    with torch.no_grad():
        policy.actor[-1].bias.copy_(torch.tensor([5.0, -5.0, 1.0]))  # means beyond the bounds
    obs = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    greedy = act(policy, obs, deterministic=True)
    mean = policy(torch.as_tensor(obs))[0][:, :D].detach()
    assert greedy.dtype == np.float32 and greedy.shape == (6, D)
    np.testing.assert_allclose(greedy, policy.dist.to_env(mean).numpy(), rtol=1e-6)
    assert (greedy >= LOW - 1e-6).all() and (greedy <= HIGH + 1e-6).all()
    assert np.allclose(greedy[:, 0], 1.0, atol=1e-3) and np.allclose(greedy[:, 1], -2.0, atol=1e-3)


# -- the rollout: the env gets the clipped action, the buffer keeps the raw sample --------------
class RecordingBoxEnv(gym.Env):
    """A 10-step episode whose observation is noise; remembers every action it received."""

    def __init__(self) -> None:
        self.observation_space = OBS
        self.action_space = ACT
        self.received: list[np.ndarray] = []
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self.np_random.normal(size=4).astype(np.float32), {}

    def step(self, action):
        self.received.append(np.array(action, copy=True))
        self.t += 1
        return self.np_random.normal(size=4).astype(np.float32), 0.0, False, self.t == 10, {}


@pytest.mark.parametrize("squash", ["clip", "tanh"])
def test_rollout_stores_raw_samples_and_their_log_probs(squash):
    torch.manual_seed(0)
    envs = SyncVectorEnv([RecordingBoxEnv, RecordingBoxEnv])
    policy = build_mlp(OBS, ACT, log_std_init=1.5, squash=squash)  # std 4.5: most samples leave the bounds
    collector = Collector(envs, num_steps=8, device=torch.device("cpu"), seed=0)
    rollout, _ = collector.collect(policy, torch.Generator().manual_seed(1))
    raw = rollout.actions  # [T, N, D]
    assert raw.dtype == torch.float32 and raw.shape == (8, 2, D)
    outside = (raw < torch.as_tensor(LOW, dtype=torch.float32)) | (raw > torch.as_tensor(HIGH, dtype=torch.float32))
    assert outside.float().mean() > 0.3
    received = np.stack([np.stack([env.received[t] for env in envs.envs]) for t in range(8)])
    if squash == "clip":
        np.testing.assert_allclose(received, np.clip(raw.numpy(), LOW, HIGH), rtol=1e-6)
    else:
        np.testing.assert_allclose(received, (HIGH + LOW) / 2 + (HIGH - LOW) / 2 * np.tanh(raw.numpy()),
                                   rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        params, _ = policy(rollout.obs.reshape(-1, 4))
    expected = normal(params).log_prob(raw.reshape(-1, D)).sum(-1)
    if squash == "tanh":
        center, half = torch.as_tensor((HIGH + LOW) / 2), torch.as_tensor((HIGH - LOW) / 2)
        squashed = TransformedDistribution(normal(params.double()), [TanhTransform(), AffineTransform(center, half)])
        inside = (raw.reshape(-1, D).abs() < 4).all(-1)  # where torch's atanh round-trip is accurate
        expected = squashed.log_prob(torch.as_tensor(received.reshape(-1, D), dtype=torch.float64)).sum(-1).float()
        torch.testing.assert_close(rollout.logprobs.reshape(-1)[inside], expected[inside], rtol=1e-4, atol=1e-3)
        assert inside.sum() > 4
    else:
        torch.testing.assert_close(rollout.logprobs.reshape(-1), expected)


# -- end to end through the CLI ---------------------------------------------------------------
def last_json(out: subprocess.CompletedProcess) -> dict:
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_pendulum_trains_checkpoints_and_evaluates(run_cli, tmp_path):
    run_dir = tmp_path / "run"
    summary = last_json(run_cli("train", "--env", "gym:Pendulum-v1", "--steps", 2048, "--seed", 3,
                                "--set", "num_envs=4", "--set", "num_steps=256", "--set", "tensorboard=false",
                                "--run-dir", run_dir, "--json", timeout=300))
    assert summary["steps"] >= 2048 and summary["episodes"] >= 8
    assert -2000 < summary["last_mean_return"] < 0  # Pendulum's reward is in [-16.3, 0] per step, 200 steps
    assert list((run_dir / "checkpoints").glob("*.pt"))
    result = last_json(run_cli("eval", "--checkpoint", run_dir, "--episodes", 3, "--json"))
    assert result["env"] == "gym:Pendulum-v1" and result["episodes"] == 3 and result["deterministic"]
    assert -3300 < result["min_return"] <= result["max_return"] < 0


@pytest.mark.skipif(importlib.util.find_spec("mujoco") is None, reason="mujoco is not installed")
def test_hopper_runs(run_cli, tmp_path):
    summary = last_json(run_cli("train", "--env", "gym:Hopper-v5", "--steps", 256, "--seed", 1,
                                "--set", "num_envs=2", "--set", "num_steps=64", "--set", "minibatch_size=64",
                                "--set", "tensorboard=false", "--run-dir", tmp_path / "run", "--json",
                                timeout=300))
    assert summary["steps"] >= 256


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_pendulum_reaches_target(seed, run_cli, tmp_path):
    """The `pendulum` entry's defaults reach a mean return of -250 in 100k steps."""
    run_dir = tmp_path / "run"
    last_json(run_cli("train", "--env", "pendulum", "--seed", seed, "--set", "tensorboard=false",
                      "--run-dir", run_dir, "--json", timeout=1800))
    result = last_json(run_cli("eval", "--checkpoint", run_dir, "--episodes", 20, "--json"))
    assert result["episodes"] == 20 and result["deterministic"]
    assert result["mean_return"] >= -250, result
