"""The agentctl plugin: hook implementations only (the one module that imports agentctl).

Kept import-light: listing envs (``agentctl envs``) imports this module, so the env code,
numpy-heavy opponents and torch policy are named by ``"module:function"`` strings and only
imported when a run needs them.
"""

from __future__ import annotations

from typing import Any

import agentctl
from agentctl.errors import UserError

AGENTCTL_API = 1  # the hook API version this plugin targets

DEFAULT_CONFIG = {
    # About 10 minutes of self-play on a shared 2-core CPU (see README for the measured run).
    "total_timesteps": 400_000,
    "num_envs": 64,
    "num_steps": 32,
    "minibatch_size": 512,
    "update_epochs": 4,
    "learning_rate": 5e-4,
    "gamma": 0.99,
    "gae_lambda": 0.95,
    "ent_coef": 0.01,
    "clip_vloss": False,
    "torch_threads": 1,  # oversubscribed cores make multi-threaded torch 10-30x slower
    "policy_kwargs": {"channels": 64, "convs": 3, "hidden": 128},
    "opponents": {"latest": 0.4, "snapshot": 0.3, "greedy": 0.2, "random": 0.1},
    "snapshot_every": 5,
    "checkpoint_every": 20,
}


def make_games(num_envs: int = 1, seed: int | None = None) -> Any:
    """``kind="multi"`` entry point: ``num_envs`` batched games (TurnBasedGames)."""
    from agentctl_connect4.game import Connect4Games

    games = Connect4Games(num_envs, seed)
    games.reset(seed)
    return games


def make_aec(**_: Any) -> Any:
    """The reference PettingZoo AEC env (``reference_env``): what ``check-plugin`` API-tests."""
    from agentctl_connect4.game import Connect4Env

    return Connect4Env()


def make_greedy(arg: str | None = None, *, seed: int | None = None, env_kwargs: dict | None = None) -> Any:
    """Opponent factory: ``factory(arg, *, seed, env_kwargs)`` -> object with ``act``.

    ``seed`` seeds the bot's random tie-breaks, so evaluation games differ from one another.
    Bad user input raises ``UserError``: the CLI prints it as one ``error:`` line.
    """
    if arg is not None:
        raise UserError(f"opponent 'greedy' takes no argument, got 'greedy:{arg}'; write 'greedy'")
    from agentctl_connect4.opponents import GreedyOpponent

    return GreedyOpponent(seed)


@agentctl.hookimpl
def register_envs(register) -> None:
    register("connect4", "agentctl_connect4.plugin:make_games", kind="multi", policy="c4net",
             reference_env="agentctl_connect4.plugin:make_aec",
             description="Connect Four (6x7), self-play vs snapshots, greedy and random bots",
             default_config=DEFAULT_CONFIG)


@agentctl.hookimpl
def register_policies(register) -> None:
    register("c4net", "agentctl_connect4.policy:build_connect4_net",
             description="Connect Four conv net (kwargs: channels, convs, hidden).")


@agentctl.hookimpl
def register_opponents(register) -> None:
    register("greedy", "agentctl_connect4.plugin:make_greedy", env="connect4",
             description="Wins if it can, blocks an immediate loss, else random.")
