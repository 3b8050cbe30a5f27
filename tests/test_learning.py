"""The trainer learns on tiny bandit-like envs whose optimum is known, for each action kind.

Each episode is one step; the reward is 1 for the target action and 0 otherwise, so the
mean return after training is the probability the policy picks the target.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch
from agentctl.config import resolve
from agentctl.nn.mlp import build_mlp
from agentctl.ppo.trainer import Trainer


class Bandit(gym.Env):
    def __init__(self, action_space: gym.Space, target, masked: bool = False) -> None:
        self.action_space = action_space
        self.target = np.asarray(target)
        box = gym.spaces.Box(0.0, 1.0, (2,), np.float32)
        n = int(action_space.n) if isinstance(action_space, gym.spaces.Discrete) else 0
        self.masked = masked
        self.observation_space = (gym.spaces.Dict({"observation": box, "action_mask": gym.spaces.MultiBinary(n)})
                                  if masked else box)

    def _obs(self):
        x = np.array([1.0, 0.5], np.float32)
        if not self.masked:
            return x
        mask = np.ones(self.action_space.n, np.int8)
        mask[self.target] = 1
        mask[(self.target + 1) % self.action_space.n] = 0  # the best *unmasked* reward sits here
        return {"observation": x, "action_mask": mask}

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self._obs(), {}

    def step(self, action):
        if self.masked:
            assert action != (self.target + 1) % self.action_space.n, "sampled a masked action"
        hit = np.array_equal(np.asarray(action), self.target)
        return self._obs(), float(hit), True, False, {}


def _train(env_fn, updates: int = 30) -> float:
    torch.manual_seed(0)
    envs = gym.vector.SyncVectorEnv([env_fn for _ in range(8)])
    cfg = resolve({"num_envs": 8, "num_steps": 16, "minibatch_size": 64, "learning_rate": 3e-3,
                   "total_timesteps": 8 * 16 * updates, "ent_coef": 0.0, "anneal_lr": False, "seed": 0})
    space = envs.single_observation_space
    obs_space = space["observation"] if isinstance(space, gym.spaces.Dict) else space
    trainer = Trainer(cfg, envs, build_mlp(obs_space, envs.single_action_space), torch.device("cpu"))
    for _ in range(updates):
        trainer.step()
    returns = [r for r, _ in trainer.episodes[-100:]]
    envs.close()
    return float(np.mean(returns))


def test_discrete_learns_the_best_arm():
    assert _train(lambda: Bandit(gym.spaces.Discrete(5), 3)) > 0.9


def test_multidiscrete_learns_every_component():
    # Chance level is 1/12; the reward needs all three components right.
    assert _train(lambda: Bandit(gym.spaces.MultiDiscrete([3, 2, 2]), [2, 1, 0])) > 0.85


def test_masked_actions_are_never_taken_and_learning_still_works():
    assert _train(lambda: Bandit(gym.spaces.Discrete(4), 1, masked=True)) > 0.9
