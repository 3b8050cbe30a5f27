"""First-party plugin: Go (9x9 by default, 5x5 to 19x19) for self-play PPO.

Hook implementations only; the game lives in ``agentctl.envs.go`` and knows nothing of PPO.
"""

from __future__ import annotations

from typing import Any

import agentctl

AGENTCTL_API = 1

GO_DEFAULTS = {
    # About 10 minutes on a 2-core laptop CPU; enough to crush random play on 9x9.
    "total_timesteps": 300_000,
    "num_envs": 32,
    "num_steps": 64,
    "minibatch_size": 512,
    "update_epochs": 4,
    "learning_rate": 3e-4,
    "gamma": 1.0,
    "gae_lambda": 0.95,
    "ent_coef": 0.01,
    "clip_vloss": False,
    # One thread: small convs gain little from two, and oversubscribed cores (numba, other
    # processes) make multi-threaded torch 10-30x slower.
    "torch_threads": 1,
    "policy_kwargs": {"blocks": 3, "channels": 32},
    "env_kwargs": {"board_size": 9},
    "snapshot_every": 5,
    "checkpoint_every": 10,
}


def make_games(num_envs: int = 1, seed: int | None = None, board_size: int = 9, komi: float = 7.5,
               ko_rule: str = "superko", max_moves: int | None = None, history: int = 4,
               augment: bool = True) -> Any:
    """Batched Go games for self-play; ``augment`` shows each turn through a random symmetry."""
    from agentctl.envs.go.turn_based import GoGames
    from agentctl.errors import UserError
    from agentctl.games import DihedralAugment

    if not 5 <= int(board_size) <= 19:
        raise UserError(f"board_size must be 5..19, got {board_size}")
    games = GoGames(num_envs, int(board_size), komi=komi, ko_rule=ko_rule, max_moves=max_moves, history=history)
    return DihedralAugment(games, seed) if augment else games


def make_gnugo(arg: str | None = None, *, seed: int | None = None, env_kwargs: dict | None = None) -> Any:
    """``gnugo`` or ``gnugo:LEVEL`` (default level 1)."""
    from agentctl.plugins.go_opponents import GnuGoOpponent

    env_kwargs = env_kwargs or {}
    return GnuGoOpponent(level=int(arg) if arg else 1, board_size=int(env_kwargs.get("board_size", 9)),
                         komi=float(env_kwargs.get("komi", 7.5)))


@agentctl.hookimpl
def register_envs(register) -> None:
    register("go", "agentctl.plugins.go:make_games", kind="multi", policy="resnet",
             description="Go, self-play vs past snapshots (board_size 5-19, default 9; area scoring)",
             default_config=GO_DEFAULTS)


@agentctl.hookimpl
def register_opponents(register) -> None:
    register("gnugo", "agentctl.plugins.go:make_gnugo", env="go",
             description="GnuGo over GTP: gnugo[:LEVEL] (needs the gnugo program)")
