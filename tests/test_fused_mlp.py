"""The hand-written minibatch step equals autograd on ppo_loss: the same loss terms and every
parameter's gradient, for each head and loss option it covers; and the trainer's update with it
equals the update without it."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from agentctl.config import PPOConfig
from agentctl.nn.mlp import build_mlp
from agentctl.ppo import fused_mlp
from agentctl.ppo.flat_params import FlatParams
from agentctl.ppo.fused_mlp import FusedMLPStep, StackedTrunks
from agentctl.ppo.loss import ppo_loss
from agentctl.ppo.trainer import Trainer
from gymnasium import spaces
from gymnasium.vector import SyncVectorEnv

OBS = spaces.Box(-1.0, 1.0, (5,), np.float32)
DISCRETE = spaces.Discrete(4)
BOX = spaces.Box(-1.0, 1.0, (3,), np.float32)


def batch(policy, n: int, *, masked: bool, seed: int = 0):
    """A minibatch whose old log-probs sit around the current ones, so some ratios fall outside
    [1 - eps, 1 + eps] on both sides, with advantages of both signs."""
    g = torch.Generator().manual_seed(seed)
    obs = torch.randn(n, 5, generator=g, dtype=torch.float64)
    mask = None
    with torch.no_grad():
        logits, values = policy(obs)
        if masked:
            mask = torch.rand(n, 4, generator=g) < 0.6
            mask[torch.arange(n), torch.randint(0, 4, (n,), generator=g)] = True
        actions = policy.dist.sample(logits, mask, g)
        logp = policy.dist.log_prob(logits, actions, mask)
    old_logp = logp + 0.3 * torch.randn(n, generator=g, dtype=torch.float64)
    old_values = values + 0.3 * torch.randn(n, generator=g, dtype=torch.float64)
    adv = torch.randn(n, generator=g, dtype=torch.float64)
    ret = values + torch.randn(n, generator=g, dtype=torch.float64)
    return obs, actions, mask, old_logp, old_values, adv, ret


def autograd_step(policy, obs, actions, mask, old_logp, old_values, adv, ret, **kw):
    policy.zero_grad(set_to_none=True)
    logits, values = policy(obs)
    logp, entropy = policy.dist.evaluate(logits, actions, mask)
    terms = ppo_loss(logp, old_logp, adv, values, old_values, ret, entropy, **kw)
    terms.loss.backward()
    return terms, {name: p.grad.clone() for name, p in policy.named_parameters()}


CASES = [
    ("discrete", DISCRETE, {}, False),
    ("discrete one layer", DISCRETE, {"hidden_sizes": [16]}, False),
    ("discrete three layers", DISCRETE, {"hidden_sizes": [16, 8, 8]}, False),
    ("discrete masked relu", DISCRETE, {"activation": "relu"}, True),
    ("gaussian", BOX, {"log_std_init": -0.5}, False),
    ("linear gaussian", BOX, {"hidden_sizes": []}, False),
]
LOSSES = [
    {"clip_coef": 0.2, "vf_clip_coef": None, "ent_coef": 0.0, "vf_coef": 1.0, "norm_adv": True},
    {"clip_coef": 0.1, "vf_clip_coef": 0.2, "ent_coef": 0.01, "vf_coef": 0.5, "norm_adv": True},
    {"clip_coef": 0.3, "vf_clip_coef": 0.1, "ent_coef": 0.05, "vf_coef": 0.7, "norm_adv": False},
]


@pytest.mark.parametrize("stacked", [True, False], ids=["stacked", "separate"])
@pytest.mark.parametrize("loss_kw", LOSSES, ids=["sb3", "clipped-value+entropy", "raw-advantages"])
@pytest.mark.parametrize("name,space,kwargs,masked", CASES, ids=[c[0] for c in CASES])
def test_fused_step_equals_autograd(name, space, kwargs, masked, loss_kw, stacked):
    torch.manual_seed(0)
    policy = build_mlp(OBS, space, **kwargs).double()
    mb = batch(policy, 64, masked=masked)
    ref_terms, ref_grads = autograd_step(policy, *mb, **loss_kw)
    policy.zero_grad(set_to_none=True)
    flat = FlatParams(fused_mlp.flat_order(policy)) if stacked else None
    step = FusedMLPStep(policy, flat)
    assert isinstance(step.trunks, StackedTrunks) == (stacked and kwargs.get("hidden_sizes") != [])
    terms = step(*mb, **loss_kw)
    for field in ("loss", "pg_loss", "v_loss", "entropy", "approx_kl", "clipfrac"):
        torch.testing.assert_close(getattr(terms, field), getattr(ref_terms, field).detach(), rtol=1e-10, atol=1e-12)
    assert 0 < float(ref_terms.clipfrac) < 1  # both branches of the clip are exercised
    for pname, p in policy.named_parameters():
        torch.testing.assert_close(p.grad, ref_grads[pname], rtol=1e-9, atol=1e-12, msg=pname)
    # a second call overwrites (never accumulates into) the gradient buffers
    step(*mb, **loss_kw)
    for pname, p in policy.named_parameters():
        torch.testing.assert_close(p.grad, ref_grads[pname], rtol=1e-9, atol=1e-12, msg=pname)


def test_what_the_fused_step_covers():
    assert fused_mlp.supports(build_mlp(OBS, DISCRETE))
    assert fused_mlp.supports(build_mlp(OBS, BOX))
    assert not fused_mlp.supports(build_mlp(OBS, spaces.MultiDiscrete([3, 2])))
    assert not fused_mlp.supports(build_mlp(OBS, BOX, state_dependent_std=True))
    assert not fused_mlp.supports(build_mlp(OBS, BOX, squash="tanh"))
    with pytest.raises(ValueError, match="does not cover"):
        FusedMLPStep(build_mlp(OBS, BOX, squash="tanh"))


class Walk(gym.Env):
    def __init__(self) -> None:
        self.observation_space = spaces.Box(-np.inf, np.inf, (2,), np.float32)
        self.action_space = spaces.Discrete(2)
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.array([0.0, self.np_random.normal()], np.float32), {}

    def step(self, action):
        self.t += 1
        obs = np.array([self.t, self.np_random.normal()], np.float32)
        return obs, float(action), self.t == 5, False, {}


@pytest.mark.parametrize("clip_vloss", [False, True])
def test_trainer_update_is_the_same_with_and_without_it(clip_vloss):
    def run(fused: bool) -> tuple[Trainer, list[dict]]:
        cfg = PPOConfig(num_envs=2, num_steps=16, minibatch_size=8, update_epochs=3, total_timesteps=1000,
                        seed=3, ent_coef=0.01, clip_vloss=clip_vloss, fused_update=fused)
        torch.manual_seed(0)
        envs = SyncVectorEnv([Walk, Walk])
        trainer = Trainer(cfg, envs, build_mlp(envs.single_observation_space, envs.single_action_space),
                          torch.device("cpu"))
        return trainer, [trainer.step() for _ in range(3)]

    fused, fused_metrics = run(True)
    plain, plain_metrics = run(False)
    assert isinstance(fused.fused.trunks, StackedTrunks) and plain.fused is None
    for a, b in zip(fused.policy.parameters(), plain.policy.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    for m, n in zip(fused_metrics, plain_metrics):
        for key in ("pg_loss", "v_loss", "entropy", "approx_kl"):
            assert m[key] == pytest.approx(n[key], rel=1e-3, abs=1e-6), key


def test_the_mlp_tanh_is_tanh():
    from agentctl.nn.mlp import tanh

    x = torch.linspace(-12, 12, 100_001, dtype=torch.float64)
    torch.testing.assert_close(tanh(x), torch.tanh(x), rtol=0, atol=1e-15)
    x32 = x.float()
    assert (tanh(x32).double() - torch.tanh(x)).abs().max() < 3e-7
    xg = x[::100].clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(tanh(xg).sum(), xg)
    torch.testing.assert_close(grad, 1 - torch.tanh(xg.detach()) ** 2, rtol=0, atol=1e-14)
