"""The update around the loss: annealing by trained steps, grad-norm clipping, KL early stop,
and reset steps dropped from the batch (docs/ppo.md names these tests)."""

from __future__ import annotations


import gymnasium as gym
import numpy as np
import pytest
import torch
from agentctl.config import PPOConfig
from agentctl.nn.mlp import build_mlp
from agentctl.ppo.trainer import Trainer, _flatten_valid, clip_grad_norm
from gymnasium import spaces
from gymnasium.vector import SyncVectorEnv

CPU = torch.device("cpu")
LENGTH = 5  # every episode lasts 5 steps, so every 6th step of an env is a reset step


class Walk(gym.Env):
    """Observation [t in episode, noise]; reward 1 for action 1; terminates after LENGTH steps."""

    def __init__(self) -> None:
        self.observation_space = spaces.Box(-np.inf, np.inf, (2,), np.float32)
        self.action_space = spaces.Discrete(2)
        self.t = 0

    def _obs(self) -> np.ndarray:
        return np.array([self.t, self.np_random.normal()], dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        self.t += 1
        return self._obs(), float(action), self.t == LENGTH, False, {}


def make_trainer(**overrides) -> Trainer:
    cfg = PPOConfig(**{"num_envs": 2, "num_steps": 8, "minibatch_size": 4, "update_epochs": 2,
                       "total_timesteps": 100, "seed": 0, **overrides})
    envs = SyncVectorEnv([Walk for _ in range(cfg.num_envs)])
    torch.manual_seed(0)
    return Trainer(cfg, envs, build_mlp(envs.single_observation_space, envs.single_action_space), CPU)


def test_lr_and_clip_anneal_by_trained_steps():
    trainer = make_trainer(anneal_lr=True, anneal_clip=True, learning_rate=1e-3, clip_coef=0.2)
    for _ in range(4):
        before = trainer.global_step
        metrics = trainer.step()
        frac = 1.0 - before / 100
        assert metrics["learning_rate"] == pytest.approx(1e-3 * frac, rel=1e-12)
        assert metrics["clip_coef"] == pytest.approx(0.2 * frac, rel=1e-12)
        assert trainer.optimizer.param_groups[0]["lr"] == metrics["learning_rate"]
        # global_step counts trained steps only: reset steps are not in it
        assert trainer.global_step - before < 2 * 8
    assert trainer.global_step < 4 * 2 * 8


def test_no_annealing_keeps_the_start_values():
    trainer = make_trainer(anneal_lr=False, anneal_clip=False, learning_rate=1e-3, clip_coef=0.2)
    trainer.step()
    metrics = trainer.step()
    assert metrics["learning_rate"] == 1e-3 and metrics["clip_coef"] == 0.2


@pytest.mark.parametrize("scale", [100.0, 1e-3], ids=["clipped", "untouched"])
def test_grad_clip_matches_torch_clip_grad_norm(scale):
    gen = torch.Generator().manual_seed(0)
    shapes = [(4, 3), (3,), (2, 2, 2)]
    grads = [torch.randn(s, generator=gen, dtype=torch.float64) * scale for s in shapes]
    ours = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
    ref = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
    for p, q, g in zip(ours, ref, grads):
        p.grad, q.grad = g.clone(), g.clone()
    clip_grad_norm(ours, 0.5)
    total = torch.nn.utils.clip_grad_norm_(ref, 0.5)
    for p, q in zip(ours, ref):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-12, atol=0)
    norm = torch.linalg.vector_norm(torch.cat([p.grad.reshape(-1) for p in ours]))
    if total > 0.5:
        assert norm.item() == pytest.approx(0.5, rel=1e-5)
    else:
        assert torch.equal(ours[0].grad, grads[0])


def test_target_kl_stops_the_epoch_loop():
    common = {"update_epochs": 4, "learning_rate": 1e-2, "anneal_lr": False}
    assert make_trainer(**common, target_kl=0.0).step()["epochs"] == 4
    assert make_trainer(**common, target_kl=1e9).step()["epochs"] == 4
    # The first epoch's mean KL is > 0 (the second minibatch sees moved weights): stop after it.
    assert make_trainer(**common, target_kl=1e-12).step()["epochs"] == 1


def test_reset_steps_are_not_in_the_training_batch():
    trainer = make_trainer()
    rollout, _ = trainer.collector.collect(trainer.policy, trainer.generator)
    zeros = torch.zeros_like(rollout.rewards)
    batch = _flatten_valid(rollout, zeros, zeros)
    assert batch["obs"].shape[0] == rollout.env_steps == int(rollout.valid.sum()) < rollout.valid.numel()
    # A reset step stores the ended episode's final observation (t == LENGTH); no trained step does.
    assert (rollout.obs[..., 0] == LENGTH).sum() == rollout.valid.numel() - rollout.env_steps
    assert (batch["obs"][:, 0] < LENGTH).all()
    assert batch["actions"].shape[0] == batch["advantages"].shape[0] == rollout.env_steps
