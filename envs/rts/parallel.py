"""The PettingZoo ParallelEnv: one game, both players acting every tick.

``parallel_env(map="8x8_basesworkers")`` gives agents ``player_0`` and ``player_1`` (seats 0 and 1).

- **Observation**: ``Box(0, 1, (H, W, 28), uint8)``, the planes of ``observation.py`` from the
  agent's own point of view ("own" units are its own in both seats).
- **Action**: ``MultiDiscrete(tile([6, 4, 4, 4, 4, 7, 49], H * W))``: the 7 integers of
  ``layout.py`` for every cell, cells in row-major order, flattened as gym-microrts does. An
  ``(H, W, 7)`` array is accepted too. An agent missing from the actions dict no-ops. Orders a
  cell may not give are ignored by the rules (and counted in ``state.illegal``), so a policy
  should sample within the mask.
- **Mask**: ``infos[agent]["action_mask"]``, ``(H, W, 78)`` bool, and ``env.action_mask(agent)``;
  the layout is in ``layout.py``. It is what ``rules.action_masks`` says for the agent's seat.
- **Rewards**: 0 until the game ends, then +1 for the winner, -1 for the loser, 0 each for a draw.
- **Endings**: ``terminations`` when a player has no units left (both at once: a draw),
  ``truncations`` when the tick cap is reached first; the game is over for both agents at once.
- **Render**: ``render_mode="ansi"`` returns the grid in the map-file letters (upper case player 0,
  lower case player 1) under a line with the tick and both players' resources.

Training steps many games at once on the arrays directly (``new_games``, ``step``); this env is the
standard single-game face of the same rules, for PettingZoo tools and for watching.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from .layout import ACTION_NVEC
from .maps import RtsMap, grid_text, load_map
from .observation import N_PLANES, observe
from .rules import action_masks, step
from .state import new_games, reset_games
from .units import BASE

AGENTS = ("player_0", "player_1")


def parallel_env(map: str | Path | RtsMap = "8x8_basesworkers", max_ticks: int = 2000,
                 render_mode: str | None = None) -> RtsParallelEnv:
    """A PettingZoo ParallelEnv of one RTS game on ``map`` (a shipped map's name, a path, or an RtsMap)."""
    return RtsParallelEnv(map=map, max_ticks=max_ticks, render_mode=render_mode)


class RtsParallelEnv(ParallelEnv):
    metadata = {"render_modes": ["ansi"], "name": "rts_v0", "is_parallelizable": True}  # noqa: RUF012

    def __init__(self, map: str | Path | RtsMap = "8x8_basesworkers", max_ticks: int = 2000,
                 render_mode: str | None = None):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r} is not supported; use None or 'ansi'")
        if max_ticks < 1:
            raise ValueError(f"max_ticks must be at least 1, got {max_ticks}")
        self.map = map if isinstance(map, RtsMap) else load_map(map)
        self.render_mode = render_mode
        self.state = new_games(self.map, 1, max_ticks=max_ticks)
        self.possible_agents = list(AGENTS)
        self.agents: list[str] = []
        h, w = self.map.height, self.map.width
        self._obs_space = spaces.Box(0, 1, (h, w, N_PLANES), np.uint8)
        self._action_space = spaces.MultiDiscrete(np.tile(ACTION_NVEC, h * w))
        self._masks: dict[str, np.ndarray] = {}

    def observation_space(self, agent: str) -> spaces.Box:
        return self._obs_space  # the same object every call, as PettingZoo requires

    def action_space(self, agent: str) -> spaces.MultiDiscrete:
        return self._action_space

    def action_mask(self, agent: str) -> np.ndarray:
        """(H, W, 78) bool: what each cell of ``agent``'s may do now (``layout.py``)."""
        return self._masks[agent]

    def reset(self, seed: int | None = None, options: dict | None = None):
        """Back to the map's starting position. The rules have no randomness; ``seed`` seeds the
        action spaces, so ``action_space(agent).sample()`` is reproducible."""
        if seed is not None:
            for i, agent in enumerate(AGENTS):
                self.action_space(agent).seed(seed + i)
        reset_games(self.state, np.ones(1, dtype=np.bool_))
        self.agents = list(AGENTS)
        return self._observations(), self._infos()

    def step(self, actions: dict):
        if not self.agents:
            raise RuntimeError("the game is over: call reset() before step()")
        h, w = self.map.height, self.map.width
        per_seat = []
        for agent in AGENTS:
            a = actions.get(agent)
            if a is None:
                per_seat.append(np.zeros((1, h, w, 7), dtype=np.int32))
                continue
            a = np.asarray(a)
            if a.shape not in ((h * w * 7,), (h, w, 7)):
                raise ValueError(f"action of {agent} has shape {a.shape}; expected ({h * w * 7},) or ({h}, {w}, 7)")
            per_seat.append(a.reshape(1, h, w, 7).astype(np.int32))
        step(self.state, per_seat[0], per_seat[1])
        observations, infos = self._observations(), self._infos()
        rewards = dict.fromkeys(self.agents, 0.0)
        over = bool(self.state.done[0])
        eliminated = over and any(not ((self.state.kind[0] >= BASE) & (self.state.owner[0] == p)).any()
                                  for p in (0, 1))
        terminations = dict.fromkeys(self.agents, eliminated)
        truncations = dict.fromkeys(self.agents, over and not eliminated)
        if over:
            winner = int(self.state.winner[0])
            if winner >= 0:
                rewards[AGENTS[winner]], rewards[AGENTS[1 - winner]] = 1.0, -1.0
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | None:
        if self.render_mode is None:
            return None
        s = self.state
        header = f"tick {int(s.tick[0])}  resources {int(s.resources[0, 0])} / {int(s.resources[0, 1])}"
        return header + "\n" + grid_text(s.kind[0], s.owner[0], s.wall) + "\n"

    def close(self) -> None:
        pass

    def _observations(self) -> dict[str, np.ndarray]:
        return {agent: observe(self.state, seat)[0] for seat, agent in enumerate(AGENTS)}

    def _infos(self) -> dict[str, dict]:
        self._masks = {agent: action_masks(self.state, seat)[0] for seat, agent in enumerate(AGENTS)}
        return {agent: {"action_mask": self._masks[agent]} for agent in AGENTS}
