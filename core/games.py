"""Two-player zero-sum games stepped in batches: the contract of ``kind="multi"`` envs.

A multi-agent env's entry point is ``make(num_envs, seed, **kwargs)`` returning a
:class:`TurnBasedGames`: ``num_envs`` independent games whose observations and masks are
always from the view of the player to move. Fast engines (Go) implement it with array
code; any PettingZoo AEC env gets it through :class:`PettingZooGames` (a per-game loop,
simple and general). The self-play adapter (``agentctl.selfplay``) turns it into a
single-agent vector env for the learner, so the PPO engine never sees seats or colours.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class TurnBasedGames(Protocol):
    """B games, two seats (0 moves first), alternating turns (a seat may move twice in a row
    if the game says so: ``to_play`` is the source of truth)."""

    num_games: int
    observation_space: Any  # gymnasium Box: one observation, from the view of the player to move
    action_space: Any  # gymnasium Discrete

    def reset(self, seed: int | None = None) -> None:
        """Start all games."""

    def reset_games(self, index: np.ndarray) -> None:
        """Start new games at these indices (the others are untouched)."""

    def to_play(self) -> np.ndarray:
        """[B] int: seat to move in each game."""

    def observe(self) -> tuple[np.ndarray, np.ndarray]:
        """(observations [B, ...], legal action masks [B, A] bool) for the player to move."""

    def step(self, actions: np.ndarray, active: np.ndarray) -> None:
        """Play ``actions[i]`` in every game with ``active[i]`` (others untouched)."""

    def done(self) -> np.ndarray:
        """[B] bool: game over."""

    def outcome(self) -> np.ndarray:
        """[B] float, meaningful where done: +1 seat 0 won, -1 seat 1 won, 0 draw."""


class PettingZooGames:
    """Any two-player PettingZoo AEC env as :class:`TurnBasedGames` (one env per game).

    The AEC env must give ``{"observation", "action_mask"}`` observations and zero-sum
    final rewards. Speed is that of the env itself; array engines should implement the
    protocol directly.
    """

    def __init__(self, env_fn: Callable[[], Any], num_games: int, seed: int | None = None) -> None:
        self.num_games = num_games
        self.envs = [env_fn() for _ in range(num_games)]
        first = self.envs[0]
        first.reset(seed=seed)
        self.agents = list(first.possible_agents)
        if len(self.agents) != 2:
            raise ValueError(f"PettingZooGames needs a two-player env, got agents {self.agents}")
        space = first.observation_space(self.agents[0])
        self.observation_space = space["observation"]
        self.action_space = first.action_space(self.agents[0])
        self._seed = seed
        self._done = np.zeros(num_games, dtype=bool)
        self._outcome = np.zeros(num_games, dtype=np.float32)
        self._episodes = np.zeros(num_games, dtype=np.int64)

    def _reset_one(self, i: int) -> None:
        seed = None if self._seed is None else self._seed + 7919 * self._episodes[i] + i
        self.envs[i].reset(seed=seed)
        self._episodes[i] += 1
        self._done[i] = False
        self._outcome[i] = 0.0
        self._settle(i)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self._seed = seed
        for i in range(self.num_games):
            self._reset_one(i)

    def reset_games(self, index: np.ndarray) -> None:
        for i in np.asarray(index).reshape(-1):
            self._reset_one(int(i))

    def _settle(self, i: int) -> None:
        """Record the outcome once the game is over (PettingZoo steps dead agents out)."""
        env = self.envs[i]
        if env.terminations.get(env.agent_selection) or env.truncations.get(env.agent_selection) \
                or not env.agents:
            rewards = env._cumulative_rewards if hasattr(env, "_cumulative_rewards") else env.rewards
            r0 = float(rewards.get(self.agents[0], 0.0))
            self._outcome[i] = np.sign(r0)
            self._done[i] = True

    def to_play(self) -> np.ndarray:
        return np.array([self.agents.index(e.agent_selection) if e.agents else 0 for e in self.envs])

    def observe(self) -> tuple[np.ndarray, np.ndarray]:
        obs, masks = [], []
        for env in self.envs:
            o = env.observe(env.agent_selection)
            obs.append(o["observation"])
            masks.append(o["action_mask"])
        return np.stack(obs), np.stack(masks).astype(bool)

    def step(self, actions: np.ndarray, active: np.ndarray) -> None:
        for i in np.flatnonzero(active):
            if self._done[i]:
                continue
            self.envs[i].step(int(actions[i]))
            self._settle(int(i))

    def done(self) -> np.ndarray:
        return self._done.copy()

    def outcome(self) -> np.ndarray:
        return self._outcome.copy()
