"""First-party plugin: a microRTS-style real-time strategy game (two players acting at once).

Hook implementations only: the game, its batch and its scripted bots live in
``agentctl.envs.rts`` and know nothing of PPO; the per-cell policy is the core's ``gridnet``.
"""

from __future__ import annotations

from typing import Any

import agentctl

AGENTCTL_API = 1

RTS_DEFAULTS = {
    # Minutes on a 2-core laptop CPU: enough to beat a random player on the 8x8 map.
    "total_timesteps": 150_000,
    "num_envs": 32,
    "num_steps": 64,
    "minibatch_size": 512,
    "update_epochs": 4,
    "learning_rate": 2.5e-4,
    "gamma": 0.99,
    "gae_lambda": 0.95,
    "ent_coef": 0.01,
    "clip_vloss": False,
    "torch_threads": 1,
    "policy_kwargs": {"channels": [32, 64], "hidden": 128},
    "env_kwargs": {"map": "8x8_basesworkers", "max_ticks": 2000, "frame_skip": 4},
    "opponents": {"random": 0.5, "latest": 0.25, "snapshot": 0.25},
    "snapshot_every": 10,
    "checkpoint_every": 10,
    # 64 independent per-cell choices: each cell's single most likely choice is often no-op, so
    # greedy play can sit still; evaluate the policy as it was trained, by sampling.
    "eval_deterministic": False,
}


def make_games(num_envs: int = 1, seed: int | None = None, map: str = "8x8_basesworkers", max_ticks: int = 2000,
               skip_idle: bool = True, reward_weights: dict | None = None,
               shaping_anneal_steps: int = 150_000, frame_skip: int = 1) -> Any:
    """Batched RTS games: both seats act every step; a step lasts until some unit can choose again.

    ``reward_weights`` scale the shaping terms (``harvest``, ``produce``, ``damage``) added to
    the +1/-1/0 result; they fade out linearly over ``shaping_anneal_steps`` learner steps
    (0: never), so the final policy is judged on wins alone.
    """
    from agentctl.envs.rts.games import RtsGames
    from agentctl.errors import UserError

    try:
        return RtsGames(num_envs, map=map, max_ticks=max_ticks, skip_idle=skip_idle,
                        reward_weights=reward_weights, shaping_anneal_steps=shaping_anneal_steps,
                        frame_skip=frame_skip)
    except (ValueError, TypeError, OSError) as exc:
        raise UserError(f"rts env_kwargs: {exc}") from None


def _bot(cls_name: str):
    def make(arg: str | None = None, *, seed: int | None = None, env_kwargs: dict | None = None) -> Any:
        from agentctl.envs.rts import bots
        from agentctl.errors import UserError

        if arg:
            raise UserError(f"opponent {cls_name!r} takes no argument, got {arg!r}")
        return getattr(bots, cls_name)(seed=seed)

    return make


make_passive = _bot("PassiveBot")
make_workerrush = _bot("WorkerRushBot")
make_lightrush = _bot("LightRushBot")


@agentctl.hookimpl
def register_envs(register) -> None:
    register("rts", "agentctl.plugins.rts:make_games", kind="multi", policy="gridnet",
             description="microRTS-style real-time strategy, 2 players acting at once (8x8 / 16x16 maps)",
             default_config=RTS_DEFAULTS, reference_env="agentctl.envs.rts.parallel:parallel_env")


@agentctl.hookimpl
def register_policies(register) -> None:
    register("gridnet", "agentctl.nn.gridnet:build_gridnet",
             description="GridNet encoder-decoder CNN: per-cell logits for grid MultiDiscrete actions")


@agentctl.hookimpl
def register_opponents(register) -> None:
    register("passive", "agentctl.plugins.rts:make_passive", env="rts",
             description="never acts (a sanity check: any learner should beat it)")
    register("workerrush", "agentctl.plugins.rts:make_workerrush", env="rts",
             description="microRTS WorkerRush: trains workers, one harvests, the rest attack")
    register("lightrush", "agentctl.plugins.rts:make_lightrush", env="rts",
             description="microRTS LightRush: builds a barracks, trains light units and attacks")


@agentctl.hookimpl
def register_players(register) -> None:
    register("rts", "agentctl.plugins.rts_play:play",
             description="watch a checkpoint or bot play in the terminal, or play a seat with typed orders")
