"""Connect Four: a PettingZoo AEC env and a batched numpy engine (no agentctl imports).

Board: 6 rows x 7 columns, row 0 at the top; pieces drop to the lowest empty row.
Observations are (2, 6, 7) float32 planes from the view of the player to move
(plane 0: its own pieces, plane 1: the opponent's) with a 7-entry legal-column mask.

- :class:`Connect4Env` is the reference: a plain, loop-based PettingZoo AEC env (what
  ``pettingzoo.test.api_test`` checks and what other PettingZoo tools consume).
- :class:`Connect4Games` plays B games at once with array code (bitboard win checks), the
  ``TurnBasedGames`` shape that self-play trainers step; it is tested move by move against
  the AEC env.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv
from pettingzoo.utils import AgentSelector

ROWS, COLS, WIN = 6, 7, 4
OBS_SHAPE = (2, ROWS, COLS)


def observation_space() -> spaces.Box:
    return spaces.Box(0.0, 1.0, OBS_SHAPE, dtype=np.float32)


def action_space() -> spaces.Discrete:
    return spaces.Discrete(COLS)


def four_in_a_row(planes: np.ndarray) -> np.ndarray:
    """[..., 6, 7] bool -> [...] bool: any horizontal, vertical or diagonal line of four."""
    p = planes.astype(bool)
    h = p[..., :, 0:4] & p[..., :, 1:5] & p[..., :, 2:6] & p[..., :, 3:7]
    v = p[..., 0:3, :] & p[..., 1:4, :] & p[..., 2:5, :] & p[..., 3:6, :]
    d = p[..., 0:3, 0:4] & p[..., 1:4, 1:5] & p[..., 2:5, 2:6] & p[..., 3:6, 3:7]
    a = p[..., 0:3, 3:7] & p[..., 1:4, 2:6] & p[..., 2:5, 1:5] & p[..., 3:6, 0:4]
    axes = (-2, -1)
    return h.any(axis=axes) | v.any(axis=axes) | d.any(axis=axes) | a.any(axis=axes)


# ---------------------------------------------------------------------------------------
class Connect4Env(AECEnv):
    """Two-player Connect Four, PettingZoo AEC API. Reward +1 / -1 to the winner / loser."""

    metadata = {"name": "connect4_v0", "render_modes": ["ansi"], "is_parallelizable": False}

    def __init__(self, render_mode: str | None = None) -> None:
        super().__init__()
        self.render_mode = render_mode
        self.possible_agents = ["player_0", "player_1"]
        self.agents = self.possible_agents[:]
        obs = spaces.Dict({"observation": observation_space(),
                           "action_mask": spaces.Box(0, 1, (COLS,), dtype=np.int8)})
        self.observation_spaces = {a: obs for a in self.possible_agents}
        self.action_spaces = {a: action_space() for a in self.possible_agents}
        self.board = [[0] * COLS for _ in range(ROWS)]  # 0 empty, 1 player_0, 2 player_1

    def observation_space(self, agent: str) -> spaces.Space:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self.action_spaces[agent]

    def _legal(self) -> list[int]:
        return [c for c in range(COLS) if self.board[0][c] == 0]

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        me = self.possible_agents.index(agent) + 1
        obs = np.zeros(OBS_SHAPE, dtype=np.float32)
        for r in range(ROWS):
            for c in range(COLS):
                if self.board[r][c]:
                    obs[0 if self.board[r][c] == me else 1, r, c] = 1.0
        mask = np.zeros(COLS, dtype=np.int8)
        if agent == self.agent_selection:
            mask[self._legal()] = 1
        return {"observation": obs, "action_mask": mask}

    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        self.board = [[0] * COLS for _ in range(ROWS)]
        self.agents = self.possible_agents[:]
        self.rewards = {a: 0 for a in self.agents}
        self._cumulative_rewards = {a: 0 for a in self.agents}
        self.terminations = {a: False for a in self.agents}
        self.truncations = {a: False for a in self.agents}
        self.infos = {a: {} for a in self.agents}
        self._selector = AgentSelector(self.agents)
        self.agent_selection = self._selector.reset()

    def _wins(self, piece: int) -> bool:
        b = self.board
        for r in range(ROWS):
            for c in range(COLS):
                if b[r][c] != piece:
                    continue
                for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
                    rr, cc = r + 3 * dr, c + 3 * dc
                    if 0 <= rr < ROWS and 0 <= cc < COLS and all(
                            b[r + k * dr][c + k * dc] == piece for k in range(1, 4)):
                        return True
        return False

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        action = int(action)
        if action not in self._legal():
            raise ValueError(f"illegal move {action}: column full or out of range")
        piece = self.possible_agents.index(agent) + 1
        row = max(r for r in range(ROWS) if self.board[r][action] == 0)
        self.board[row][action] = piece
        other = self.possible_agents[2 - piece]
        if self._wins(piece):
            self.rewards[agent], self.rewards[other] = 1, -1
            self.terminations = {a: True for a in self.agents}
        elif not self._legal():
            self.terminations = {a: True for a in self.agents}
        self._cumulative_rewards[agent] = 0
        self.agent_selection = self._selector.next()
        self._accumulate_rewards()
        if self.render_mode == "ansi":
            print(self.render())

    def render(self) -> str:
        marks = ".XO"
        rows = [" ".join(marks[v] for v in row) for row in self.board]
        return "\n".join(rows + [" ".join(str(c) for c in range(COLS))])

    def close(self) -> None:
        pass


def env(render_mode: str | None = None) -> Connect4Env:
    """PettingZoo-style constructor."""
    return Connect4Env(render_mode=render_mode)


# ---------------------------------------------------------------------------------------
# Bitboards: bit (col * 7 + height) for each column; the 7th bit of a column stays empty,
# so shifted ANDs never wrap from one column into the next.
_SHIFTS = (np.uint64(1), np.uint64(7), np.uint64(6), np.uint64(8))


def _bit_win(b: np.ndarray) -> np.ndarray:
    won = np.zeros(b.shape, dtype=bool)
    for s in _SHIFTS:
        m = b & (b >> s)
        won |= (m & (m >> (s + s))) != 0
    return won


class Connect4Games:
    """B Connect Four games stepped together (the ``agentctl.games.TurnBasedGames`` shape).

    ``outcome()``: +1 seat 0 won, -1 seat 1 won, 0 draw (meaningful where ``done()``).
    """

    def __init__(self, num_games: int, seed: int | None = None) -> None:
        self.num_games = int(num_games)
        self.observation_space = observation_space()
        self.action_space = action_space()
        n = self.num_games
        self.planes = np.zeros((n, 2, ROWS, COLS), dtype=np.float32)  # by seat
        self.heights = np.zeros((n, COLS), dtype=np.int64)
        self.bits = np.zeros((n, 2), dtype=np.uint64)
        self.player = np.zeros(n, dtype=np.int64)
        self.moves = np.zeros(n, dtype=np.int64)
        self._done = np.zeros(n, dtype=bool)
        self._outcome = np.zeros(n, dtype=np.float32)
        self._rows = np.arange(n)

    def reset(self, seed: int | None = None) -> None:
        self.reset_games(self._rows)

    def reset_games(self, index: np.ndarray) -> None:
        i = np.asarray(index, dtype=np.int64).reshape(-1)
        self.planes[i] = 0.0
        self.heights[i] = 0
        self.bits[i] = 0
        self.player[i] = 0
        self.moves[i] = 0
        self._done[i] = False
        self._outcome[i] = 0.0

    def to_play(self) -> np.ndarray:
        return self.player.copy()

    def observe(self) -> tuple[np.ndarray, np.ndarray]:
        own = self.planes[self._rows, self.player]
        opp = self.planes[self._rows, 1 - self.player]
        obs = np.stack([own, opp], axis=1)
        mask = self.heights < ROWS
        return obs, mask

    def step(self, actions: np.ndarray, active: np.ndarray) -> None:
        i = np.flatnonzero(np.asarray(active, dtype=bool) & ~self._done)
        if i.size == 0:
            return
        col = np.asarray(actions, dtype=np.int64)[i]
        h = self.heights[i, col]
        if (col < 0).any() or (col >= COLS).any() or (h >= ROWS).any():
            bad = i[(h >= ROWS) | (col < 0) | (col >= COLS)][0]
            raise ValueError(f"illegal move {int(np.asarray(actions)[bad])} in game {int(bad)}")
        p = self.player[i]
        self.planes[i, p, ROWS - 1 - h, col] = 1.0
        self.heights[i, col] = h + 1
        self.bits[i, p] |= np.left_shift(np.uint64(1), (col * 7 + h).astype(np.uint64))
        self.moves[i] += 1
        won = _bit_win(self.bits[i, p])
        full = self.moves[i] >= ROWS * COLS
        over = won | full
        self._done[i] = over
        self._outcome[i] = np.where(won, np.where(p == 0, 1.0, -1.0), 0.0)
        self.player[i] = np.where(over, p, 1 - p)

    def done(self) -> np.ndarray:
        return self._done.copy()

    def outcome(self) -> np.ndarray:
        return self._outcome.copy()
