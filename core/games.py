"""Adapters and wrappers for two-player games stepped in batches (``kind="multi"`` envs).

The contract, :class:`TurnBasedGames`, and its rules live in :mod:`agentctl.contracts`
(re-exported here, its historical home). Fast engines (Go) implement it with array code; any
PettingZoo AEC env gets it through :class:`PettingZooGames` (a per-game loop, simple and
general); :class:`DihedralAugment` shows square-board games through random symmetries. The
self-play adapter (``agentctl.selfplay``) turns a batch into a single-agent vector env for the
learner, so the PPO engine never sees seats or colours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from agentctl.contracts import TurnBasedGames
from agentctl.seeding import int_seed

__all__ = ["DihedralAugment", "PettingZooGames", "TurnBasedGames"]


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
        seed = None if self._seed is None else int_seed(self._seed, i, self._episodes[i])  # game i's episode
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


# Optional TurnBasedGames methods that speak of the real board (see agentctl.contracts).
_REAL_BOARD_CAPABILITIES = ("search_state", "history")


class DihedralAugment:
    """Each game is seen through a random board symmetry (one of 8), redrawn every turn.

    Observations [C, N, N] and the first N*N mask entries are rotated/flipped; actions the
    policy picks in that frame are mapped back before they reach the game (extra actions past
    the board points, e.g. pass, are untouched). Because the stored observation, mask and
    action are all in the same frame, PPO's ratios stay exact: this is data augmentation with
    no off-policy error. Wraps any square-board :class:`TurnBasedGames`.

    It is a :class:`agentctl.contracts.FramedGames`: the frames are a view, drawn for every
    game (one draw of B frames) by the first :meth:`observe` after the games changed, so
    observing twice shows the same frames and :meth:`step` maps actions through the frames
    that were shown. ``search_state(i)`` and ``history(i)`` of the wrapped games are passed
    through (they speak of the real board); :meth:`to_frame` maps real-board actions in.
    """

    _stale = True  # class default: a batch unpickled from before this flag redraws, as it did

    def __init__(self, games: TurnBasedGames, seed: int | None = None) -> None:
        shape = games.observation_space.shape
        if len(shape) != 3 or shape[1] != shape[2]:
            raise ValueError(f"DihedralAugment needs square (C, N, N) observations, got {shape}")
        self.games = games
        self.n = shape[1]
        self.num_games = games.num_games
        self.observation_space = games.observation_space
        self.action_space = games.action_space
        self.rng = np.random.default_rng(seed)
        points = np.arange(self.n * self.n).reshape(self.n, self.n)
        # gather[k][j]: the real board point shown at position j of frame k
        self.gather = np.stack([_transform(points, k).reshape(-1) for k in range(8)])
        self.frame = np.zeros(self.num_games, dtype=np.int64)
        self._stale = True  # the games changed since the frames were drawn

    def __getattr__(self, name: str) -> Any:
        """Pass through the wrapped games' optional real-board capabilities, when they have
        them (``hasattr(wrapper, "search_state")`` then answers for the games)."""
        games = self.__dict__.get("games")  # absent while unpickling
        if name in _REAL_BOARD_CAPABILITIES and games is not None:
            return getattr(games, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def reset(self, seed: int | None = None) -> None:
        self.games.reset(seed=seed)
        self._stale = True

    def reset_games(self, index: np.ndarray) -> None:
        self.games.reset_games(index)
        self._stale = True

    def to_play(self) -> np.ndarray:
        return self.games.to_play()

    def done(self) -> np.ndarray:
        return self.games.done()

    def outcome(self) -> np.ndarray:
        return self.games.outcome()

    def observe(self) -> tuple[np.ndarray, np.ndarray]:
        obs, mask = self.games.observe()
        if self._stale:
            # One draw for the whole batch per turn, whichever games moved: training's random
            # stream (and so its results for a seed) is the one this wrapper has always drawn.
            self.frame = self.rng.integers(0, 8, size=self.num_games)
            self._stale = False
        out_obs = np.empty_like(obs)
        out_mask = mask.copy()
        nn_ = self.n * self.n
        for k in range(8):
            idx = np.flatnonzero(self.frame == k)
            if idx.size:
                out_obs[idx] = _transform(obs[idx], k)
                out_mask[idx, :nn_] = mask[idx][:, self.gather[k]]
        return out_obs, out_mask

    def to_frame(self, index: np.ndarray, real_actions: np.ndarray) -> np.ndarray:
        """Real-board actions of games ``index`` expressed in their current frames (for
        opponents that compute moves on the real board, e.g. external engines, and search)."""
        out = np.asarray(real_actions, dtype=np.int64).copy()
        nn_ = self.n * self.n
        for k, (i, a) in enumerate(zip(np.asarray(index), out)):
            if a < nn_:
                out[k] = int(np.flatnonzero(self.gather[self.frame[i]] == a)[0])
        return out

    def step(self, actions: np.ndarray, active: np.ndarray) -> None:
        actions = np.asarray(actions, dtype=np.int64).copy()
        nn_ = self.n * self.n
        on_board = actions < nn_
        rows = np.flatnonzero(on_board)
        actions[rows] = self.gather[self.frame[rows], actions[rows]]
        self.games.step(actions, active)
        self._stale = True

    def close(self) -> None:
        close = getattr(self.games, "close", None)
        if close is not None:
            close()


def _transform(x: np.ndarray, k: int) -> np.ndarray:
    """Symmetry k of the dihedral group on the last two axes: k % 4 quarter turns, flip if k >= 4."""
    y = np.rot90(x, k % 4, axes=(-2, -1))
    if k >= 4:
        y = np.flip(y, axis=-1)
    return np.ascontiguousarray(y)
