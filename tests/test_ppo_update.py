"""The update around the loss: annealing by trained steps, grad-norm clipping, KL early stop,
and reset steps dropped from the batch (docs/ppo.md names these tests)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from agentctl.config import PPOConfig
from agentctl.nn.mlp import build_mlp
from agentctl.ppo import trainer as trainer_module
from agentctl.ppo.trainer import Trainer, _flatten_valid, minibatches
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


@pytest.mark.parametrize("n,size", [(13, 4), (256, 256), (257, 256), (1000, 64), (5, 8)])
def test_minibatches_are_near_equal_and_cover_each_transition_once(n, size):
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(n))
    chunks = minibatches(perm, size)
    sizes = [len(c) for c in chunks]
    assert len(chunks) == -(-n // size) and max(sizes) <= size
    assert max(sizes) - min(sizes) <= 1  # never a ragged tail (257 / 256 was 256 + 1)
    assert torch.equal(torch.cat(chunks), perm)


def test_every_epoch_trains_on_every_valid_transition_once(monkeypatch):
    seen: list[torch.Tensor] = []

    def spy(perm, size):
        chunks = minibatches(perm, size)
        seen.extend(chunks)
        return chunks

    monkeypatch.setattr(trainer_module, "minibatches", spy)
    # 2 envs x 10 steps, episodes of 5: one reset step each at t = 5, so 18 valid transitions;
    # minibatch 4 -> 5 minibatches of 4, 4, 4, 3, 3 (fixed-size cuts would leave 4, 4, 4, 4, 2)
    trainer = make_trainer(num_steps=10, update_epochs=3)
    metrics = trainer.step()
    n = trainer.global_step
    assert n == 18 and metrics["minibatch_steps"] == 3 * 5 == len(seen)
    for epoch in range(3):
        chunk = seen[5 * epoch:5 * epoch + 5]
        assert sorted(len(c) for c in chunk) == [3, 3, 4, 4, 4]
        assert torch.equal(torch.cat(chunk).sort().values, torch.arange(n))


@pytest.mark.parametrize("fused", [True, False])
def test_grad_norm_is_clipped_before_the_step(fused):
    def norms_seen(**overrides) -> list[float]:
        trainer = make_trainer(fused_update=fused, learning_rate=1e-2, **overrides)
        norms: list[float] = []
        real = trainer.optimizer.step

        def step(*args, **kwargs):
            params = [p for g in trainer.optimizer.param_groups for p in g["params"] if p.grad is not None]
            norms.append(float(torch.linalg.vector_norm(torch.cat([p.grad.reshape(-1) for p in params]))))
            return real(*args, **kwargs)

        trainer.optimizer.step = step
        trainer.step()
        return norms

    clipped = norms_seen(max_grad_norm=1e-3)
    assert clipped and max(clipped) <= 1e-3 * (1 + 1e-4)
    assert max(norms_seen(max_grad_norm=0.0)) > 1e-2  # unclipped gradients are larger: the check above could fail


def test_minibatch_kl_check_skips_the_step_that_would_move_too_far():
    common = {"update_epochs": 4, "learning_rate": 1e-2, "anneal_lr": False, "target_kl_check": "minibatch"}
    assert make_trainer(**common, target_kl=1e9).step()["minibatch_steps"] == 4 * 4
    # The first minibatch has KL exactly 0 (no step yet): taken; the second sees moved weights
    # (KL > 1.5 x 1e-12): skipped, and the update ends there.
    metrics = make_trainer(**common, target_kl=1e-12).step()
    assert metrics["minibatch_steps"] == 1 and metrics["epochs"] == 1


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
