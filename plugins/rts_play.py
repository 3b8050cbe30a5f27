"""``agentctl play --env rts``: watch a checkpoint or a bot play, or play a seat yourself.

The RTS plugin registers this command as the env's player (``register_players``); the game
loop, the drawing and the order syntax are in ``agentctl.envs.rts.terminal``. This module is the
glue: it turns a checkpoint and opponent names into the two seats' choosers, resolving names
exactly as ``agentctl eval`` does (``make_opponent``, ``load_policy``).
"""

from __future__ import annotations

from typing import Any

import click

DEFAULT_MAP = "8x8_basesworkers"
DEFAULT_MAX_TICKS = 2000


@click.command("play")
@click.option("--map", "map_name", help="A shipped map's name or a map file (default: the checkpoint's, else "
                                        f"{DEFAULT_MAP}).")
@click.option("--checkpoint", type=click.Path(exists=True),
              help="RTS checkpoint or run dir: its policy plays as its run evaluates, sampled for rts (default: --bot plays).")
@click.option("--bot", default="lightrush", show_default=True,
              help="Without --checkpoint, who plays --seat: an opponent name (passive, workerrush, lightrush, random).")
@click.option("--opponent", default="workerrush", show_default=True,
              help="Who plays the other seat: random, snapshot:PATH or an rts opponent (passive, workerrush, lightrush).")
@click.option("--human", is_flag=True,
              help="You play --seat, typing orders; the other seat is the checkpoint's policy, or --opponent without one.")
@click.option("--seat", type=click.IntRange(0, 1), default=0, show_default=True,
              help="The seat of the checkpoint or --bot (yours with --human): 0 blue (upper case), 1 red (lower case).")
@click.option("--speed", type=click.FloatRange(min=0), default=20.0, show_default=True,
              help="Ticks per second (0: as fast as possible).")
@click.option("--max-ticks", type=click.IntRange(min=1),
              help=f"Tick cap, a draw after it (default: the checkpoint's, else {DEFAULT_MAX_TICKS}).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bots' and opponents' randomness.")
def play(map_name: str | None, checkpoint: str | None, bot: str, opponent: str, human: bool, seat: int,
         speed: float, max_ticks: int | None, seed: int) -> None:
    """Watch an RTS game in the terminal, or play one seat (orders like 'b2 move e', 'd4 attack f6')."""
    import sys

    from agentctl.envs.rts import load_map
    from agentctl.envs.rts.terminal import HUMAN, play_terminal
    from agentctl.errors import UserError
    from agentctl.host import get_host

    registry = get_host().registry
    spec = registry.resolve("env", "rts")
    agent, agent_name, cfg = _agent(registry, spec, checkpoint, map_name)
    kwargs = cfg.env_kwargs
    try:
        rts_map = load_map(map_name or kwargs.get("map", DEFAULT_MAP))
    except ValueError as exc:
        raise UserError(f"--map: {exc}") from None
    ticks = max_ticks or int(kwargs.get("max_ticks", DEFAULT_MAX_TICKS))
    if agent is None:
        agent, agent_name = _opponent(registry, spec, cfg, bot, rts_map, seed + 1), bot
    seats: list[Any] = [None, None]
    names = ["", ""]
    if human:
        seats[seat], names[seat] = HUMAN, "you"
        if checkpoint:
            seats[1 - seat], names[1 - seat] = agent, agent_name
        else:
            seats[1 - seat], names[1 - seat] = _opponent(registry, spec, cfg, opponent, rts_map, seed), opponent
    else:
        seats[seat], names[seat] = agent, agent_name
        seats[1 - seat], names[1 - seat] = _opponent(registry, spec, cfg, opponent, rts_map, seed), opponent
    tty = sys.stdout.isatty()
    play_terminal(rts_map, seats, names, max_ticks=ticks, speed=speed, output=click.echo,
                  colour=tty, clear=tty and not human, frame_skip=int(kwargs.get("frame_skip", 1)))


def _agent(registry: Any, spec: Any, checkpoint: str | None, map_name: str | None) -> tuple[Any, str, Any]:
    """(chooser or None, its name, config): the checkpoint's policy, or the env's defaults."""
    from agentctl import checkpoint as ckpt
    from agentctl.config import resolve
    from agentctl.errors import UserError

    env_kwargs = {"map": map_name} if map_name else {}
    if not checkpoint:
        return None, "", resolve(spec.default_config, {"env_kwargs": env_kwargs})
    from agentctl.assemble import load_policy
    from agentctl.nn.policy import act

    state = ckpt.load(checkpoint)
    if "env" not in state:
        raise UserError(f"{state['path']} is a self-play snapshot (weights only); give the run dir or one of "
                        "its checkpoints/step_*.pt")
    if registry.resolve("env", state["env"]).qualified_name != spec.qualified_name:
        raise UserError(f"{checkpoint} is not an RTS checkpoint (it was trained on {state['env']!r}): "
                        "give a run dir or checkpoint of `agentctl train --env rts`")
    policy, _, cfg = load_policy(state, registry, env_kwargs=env_kwargs)

    import torch

    generator = torch.Generator().manual_seed(0)

    def choose(obs: Any, mask: Any) -> Any:  # as the run evaluates: rts samples (its eval_deterministic)
        return act(policy, obs, mask, deterministic=cfg.eval_deterministic, generator=generator)

    return choose, f"checkpoint {checkpoint}", cfg


def _opponent(registry: Any, spec: Any, cfg: Any, name: str, rts_map: Any, seed: int) -> Any:
    """A chooser for opponent ``name``, named as in ``agentctl eval --opponent``."""
    from agentctl.assemble import make_opponent, opponent_name
    from agentctl.errors import UserError

    base = opponent_name(name)[0]
    if base == "latest":
        raise UserError("opponent 'latest' is the learner during training; give snapshot:PATH or a bot")
    if base == "random":
        import numpy as np
        from agentctl.envs.rts import ACTION_NVEC
        from agentctl.selfplay import RandomOpponent
        from gymnasium import spaces

        space = spaces.MultiDiscrete(np.tile(ACTION_NVEC, rts_map.height * rts_map.width))
        opp = RandomOpponent(seed, space)
    else:
        opp = make_opponent(registry, spec, name, cfg, seed)

    def choose(obs: Any, mask: Any) -> Any:
        return opp.act(obs, mask)

    return choose
