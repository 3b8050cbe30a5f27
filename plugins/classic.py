"""First-party plugin: Gymnasium's classic-control envs, and any Gymnasium id as ``gym:ID``.

Registered through the ``agentctl`` entry-point group like any third-party plugin; it
imports nothing heavy at load time (gymnasium is imported when an env is made). Its envs use
the ``mlp`` policy, which the host itself provides (``agentctl.builtin``).
"""

from __future__ import annotations

from typing import Any

import agentctl
from agentctl.errors import UserError

AGENTCTL_API = 1

# name -> (gymnasium id, description, default config)
CLASSIC = {
    "cartpole": ("CartPole-v1", "Balance a pole on a cart (500 steps max).", {
        # rl-zoo's tuned CartPole set: reaches 500 in about 100k steps.
        "total_timesteps": 100_000, "num_envs": 8, "num_steps": 32, "minibatch_size": 256,
        "update_epochs": 20, "gae_lambda": 0.8, "gamma": 0.98, "learning_rate": 1e-3,
        "anneal_lr": True, "anneal_clip": True, "ent_coef": 0.0, "torch_threads": 1,
        # SB3's value loss: unclipped, vf_coef 0.5 on a plain MSE (= ours 1.0 on 0.5 * MSE).
        "clip_vloss": False, "vf_coef": 1.0,
    }),
    "pendulum": ("Pendulum-v1", "Swing a pendulum up and hold it there (continuous torque).", {
        # rl-zoo's PPO Pendulum set without gSDE (minibatch 64 = SB3's default batch_size, constant
        # learning rate, unclipped value loss as above): -169 to -226 mean return in 20 greedy
        # eval episodes after 100k steps, seeds 1-5.
        "total_timesteps": 100_000, "num_envs": 4, "num_steps": 1024, "minibatch_size": 64,
        "update_epochs": 10, "gae_lambda": 0.95, "gamma": 0.9, "learning_rate": 1e-3, "anneal_lr": False,
        "clip_coef": 0.2, "ent_coef": 0.0, "torch_threads": 1, "clip_vloss": False, "vf_coef": 1.0,
    }),
    # rl-zoo's PPO sets (normalize: true) on SB3's defaults where they set nothing: minibatch
    # 64, learning rate 3e-4 held constant, its unclipped value loss. Returns near -100 need
    # the reward scaling: a value clipped in raw units would barely move.
    "acrobot": ("Acrobot-v1", "Swing a two-link arm above a line.", {
        "total_timesteps": 1_000_000, "num_envs": 16, "num_steps": 256, "gae_lambda": 0.94,
        "gamma": 0.99, "update_epochs": 4, "ent_coef": 0.0, "minibatch_size": 64, "learning_rate": 3e-4,
        "anneal_lr": False, "normalize_obs": True, "normalize_reward": True, "torch_threads": 1,
        "clip_vloss": False, "vf_coef": 1.0,
    }),
    "mountaincar": ("MountainCar-v0", "Drive an underpowered car up a hill (sparse reward).", {
        "total_timesteps": 1_000_000, "num_envs": 16, "num_steps": 16, "gae_lambda": 0.98,
        "gamma": 0.99, "update_epochs": 4, "ent_coef": 0.0, "minibatch_size": 64, "learning_rate": 3e-4,
        "anneal_lr": False, "normalize_obs": True, "normalize_reward": True, "torch_threads": 1,
        "clip_vloss": False, "vf_coef": 1.0,
    }),
}


# `agentctl tune`'s default search spaces (config key -> choices or a range).
TUNE_SPACES = {
    "cartpole": {
        "learning_rate": {"low": 1e-4, "high": 3e-3, "log": True},
        "gamma": [0.95, 0.98, 0.99],
        "gae_lambda": [0.8, 0.9, 0.95],
        "update_epochs": {"low": 4, "high": 20, "step": 4},
    },
}


def make_vector_env(env_id: str, num_envs: int = 1, seed: int | None = None, **kwargs: Any) -> Any:
    """A Gymnasium vector env: the numpy-vectorized version where the env ships one."""
    import gymnasium as gym

    try:
        spec = gym.spec(env_id)
    except gym.error.Error as exc:
        raise UserError(f"unknown Gymnasium env id {env_id!r}: {exc}") from None
    mode = "vector_entry_point" if spec.vector_entry_point is not None and not kwargs else "sync"
    envs = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode=mode, **kwargs)
    envs.action_space.seed(seed)
    return envs


def _maker(env_id: str):
    def make(num_envs: int = 1, seed: int | None = None, **kwargs: Any) -> Any:
        return make_vector_env(env_id, num_envs, seed, **kwargs)

    make.__name__ = f"make_{env_id.replace('-', '_')}"
    return make


@agentctl.hookimpl
def register_envs(register) -> None:
    for name, (env_id, description, config) in CLASSIC.items():
        register(name, _maker(env_id), kind="single", description=f"{description} [{env_id}]",
                 default_config=config, policy="mlp", tune_space=TUNE_SPACES.get(name))
    # A pattern name: `gym:<ID>` resolves to this spec with env_kwargs env_id=<ID>.
    register("gym:*", make_vector_env, kind="single", policy="mlp",
             description="Any registered Gymnasium id, e.g. gym:LunarLander-v3")
