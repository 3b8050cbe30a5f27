"""Adapters and wrappers for two-player games stepped in batches (``kind="multi"`` envs).

The contracts, :class:`TurnBasedGames` and :class:`SimultaneousGames`, and their rules live in
:mod:`agentctl.contracts` (``TurnBasedGames`` is re-exported here, its historical home). Fast
engines (Go) implement them with array code; any PettingZoo AEC env gets the turn-based one
through :class:`PettingZooGames` (a per-game loop, simple and general);
:class:`SimultaneousTurns` shows simultaneous games as turn-based ones, so everything built for
turns (self-play, opponents, evaluation) serves both; :class:`DihedralAugment` shows
square-board games through random symmetries. The
self-play adapter (``agentctl.selfplay``) turns a batch into a single-agent vector env for the
learner, so the PPO engine never sees seats or colours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from agentctl.contracts import SimultaneousGames, TurnBasedGames
from agentctl.seeding import int_seed
from agentctl.spaces import component_sizes, smallest_period

__all__ = ["DihedralAugment", "PettingZooGames", "SimultaneousTurns", "TurnBasedGames", "random_actions"]


def random_actions(space: Any, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uniformly random legal actions for masks [k, A]: [k] for Discrete, [k, K] for MultiDiscrete
    (each component drawn among its legal values; a component with none gets 0)."""
    mask = np.asarray(mask, dtype=bool)
    u = np.where(mask, rng.random(mask.shape), -1.0)
    if getattr(space, "nvec", None) is None:
        return np.argmax(u, axis=-1)
    pattern = list(smallest_period(component_sizes(space)))
    reps = u.shape[-1] // sum(pattern)
    cells = u.reshape(*u.shape[:-1], reps, sum(pattern))
    parts = np.split(cells, np.cumsum(pattern)[:-1], axis=-1)
    return np.stack([np.argmax(p, axis=-1) for p in parts], axis=-1).reshape(*u.shape[:-1], reps * len(pattern))


def legal(space: Any, mask: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """[k] bool: whether each row's action is allowed by its mask; for MultiDiscrete, every
    component that has a legal value must take one (a component with none is unused)."""
    mask = np.asarray(mask, dtype=bool)
    actions = np.asarray(actions, dtype=np.int64)
    rows = np.arange(mask.shape[0])
    if getattr(space, "nvec", None) is None:
        return mask[rows, actions.reshape(-1)]
    sizes = np.array(component_sizes(space))
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    actions = actions.reshape(mask.shape[0], len(sizes))
    inside = (actions >= 0) & (actions < sizes)
    chosen = np.take_along_axis(mask, offsets + np.clip(actions, 0, sizes - 1), axis=1)
    any_legal = np.add.reduceat(mask, offsets, axis=1) > 0
    return (inside & (chosen | ~any_legal)).all(axis=1)


class SimultaneousTurns:
    """:class:`SimultaneousGames` seen as :class:`TurnBasedGames`: each step of a game becomes
    two turns, seat 0's then seat 1's, and the step is played when seat 1 has chosen.

    Both turns observe the position at the start of the step (the game has not moved in
    between), so seat 1 never sees seat 0's pending choice: the game stays simultaneous. Every
    piece of the platform that knows turns (the self-play adapter, opponent pools, evaluation,
    ``check-plugin``) then serves simultaneous games unchanged. ``step_rewards()`` of the games,
    when they have it, is passed through: the self-play adapter adds it to the learner's reward.
    """

    def __init__(self, games: SimultaneousGames) -> None:
        self.games = games
        self.num_games = games.num_games
        self.observation_space = games.observation_space
        self.action_space = games.action_space
        self._turn = np.zeros(self.num_games, dtype=np.int64)  # whose turn within each game's step
        shape = (self.num_games,) if getattr(self.action_space, "nvec", None) is None else \
            (self.num_games, len(component_sizes(self.action_space)))
        self._pending = np.zeros(shape, dtype=np.int64)  # seat 0's choices awaiting seat 1's
        self._rewards = np.zeros((self.num_games, 2), dtype=np.float32)

    def __getattr__(self, name: str) -> Any:
        """Optional capabilities of the games (``close``, rendering) pass through."""
        games = self.__dict__.get("games")  # absent while unpickling
        if games is not None and name in ("close", "render_frame"):
            return getattr(games, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def reset(self, seed: int | None = None) -> None:
        self.games.reset(seed=seed)
        self._turn[:] = 0
        self._rewards[:] = 0.0

    def reset_games(self, index: np.ndarray) -> None:
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        self.games.reset_games(index)
        self._turn[index] = 0
        self._rewards[index] = 0.0

    def to_play(self) -> np.ndarray:
        return self._turn.copy()

    def observe(self) -> tuple[np.ndarray, np.ndarray]:
        second = self._turn == 1
        obs, mask = self.games.observe(0)
        if second.any():
            obs1, mask1 = self.games.observe(1)
            obs[second], mask[second] = obs1[second], mask1[second]
        return obs, mask

    def step(self, actions: np.ndarray, active: np.ndarray) -> None:
        actions = np.asarray(actions, dtype=np.int64)
        active = np.asarray(active, dtype=bool) & ~np.asarray(self.games.done(), dtype=bool)
        first = active & (self._turn == 0)
        second = active & (self._turn == 1)
        self._pending[first] = actions[first]
        self._turn[first] = 1
        self._rewards[:] = 0.0
        if second.any():
            self.games.step(self._pending, actions, second)
            self._turn[second] = 0
            step_rewards = getattr(self.games, "step_rewards", None)
            if step_rewards is not None:
                self._rewards[second] = np.asarray(step_rewards(), dtype=np.float32)[second]

    def step_rewards(self) -> np.ndarray:
        """[B, 2]: the games' dense rewards from the step that the latest turn completed."""
        return self._rewards.copy()

    def done(self) -> np.ndarray:
        return self.games.done()

    def outcome(self) -> np.ndarray:
        return self.games.outcome()


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
_REAL_BOARD_CAPABILITIES = ("search_state", "history", "render_frame", "final_targets")


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
    that were shown. ``search_state(i)``, ``history(i)`` and ``render_frame(i)`` of the wrapped games are passed
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

    def show_points(self, frames: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Per-point values of the real board [k, N*N] as shown in ``frames`` [k] (point j of
        row r is the real point ``gather[frames[r]][j]``): how a target about the board, such
        as final ownership, lines up with the observation a turn was shown."""
        values = np.asarray(values)
        return values[np.arange(len(values))[:, None], self.gather[np.asarray(frames, dtype=np.int64)]]

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
