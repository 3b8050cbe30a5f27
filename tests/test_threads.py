"""OpenMP threads sleep when idle: agentctl sets OMP_WAIT_POLICY=PASSIVE before torch loads, and
warns when torch was loaded first with the spinning default (more threads must never make a run
several times slower on a busy machine)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPT = """
import warnings
{first}
import agentctl, os, torch
from agentctl.assemble import use_torch_threads
from agentctl.config import PPOConfig
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    use_torch_threads(PPOConfig(torch_threads=2))
print(os.environ.get("OMP_WAIT_POLICY"), any("OMP_WAIT_POLICY" in str(w.message) for w in caught))
"""


def run(first: str, **env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(first=first)], env={**clean, **env},
                         capture_output=True, text=True, check=True).stdout
    return out.split()


@pytest.mark.parametrize("first,env,expected", [
    ("", {}, ["PASSIVE", "False"]),  # the CLI's case: agentctl loads before torch
    ("import torch", {}, ["PASSIVE", "True"]),  # set too late for torch: a warning says what to do
    ("import torch", {"OMP_WAIT_POLICY": "PASSIVE"}, ["PASSIVE", "False"]),
    ("", {"OMP_WAIT_POLICY": "ACTIVE"}, ["ACTIVE", "False"]),  # the user's own choice stands
], ids=["agentctl-first", "torch-first", "torch-first-passive", "user-active"])
def test_openmp_wait_policy(first, env, expected):
    assert run(first, **env) == expected


@pytest.mark.parametrize("hidden,threads_after", [([64, 64], 1), ([512, 512], 2)], ids=["small", "big"])
def test_small_nets_train_on_one_thread(hidden, threads_after):
    import warnings

    import gymnasium as gym
    import torch
    from agentctl.config import PPOConfig
    from agentctl.nn.mlp import build_mlp
    from agentctl.ppo.trainer import Trainer
    from gymnasium.vector import SyncVectorEnv

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        envs = SyncVectorEnv([lambda: gym.make("CartPole-v1")])
        policy = build_mlp(envs.single_observation_space, envs.single_action_space, hidden_sizes=hidden)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            Trainer(PPOConfig(num_envs=1, num_steps=8, minibatch_size=8), envs, policy, torch.device("cpu"))
        assert torch.get_num_threads() == threads_after
        assert any("training uses 1 thread" in str(w.message) for w in caught) == (threads_after == 1)
    finally:
        torch.set_num_threads(before)
