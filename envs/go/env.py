"""Go environments on top of :mod:`agentctl.envs.go.engine`.

* :func:`env` / :class:`GoAECEnv`: a PettingZoo AEC env (agents ``black_0`` and
  ``white_0``), observation ``{"observation": float32 [2H+1, N, N], "action_mask":
  int8 [N*N+1]}``.  Planes are from the observing agent's view: own stones, opponent
  stones, for the current and H-1 previous positions (newest first), then a plane
  of ones when black is to move.  Action ``N*N`` is pass (row 0 = top row).

The standard single-game API, for PettingZoo tools and API tests (the Go plugin registers
:func:`env` as its ``reference_env``). Training steps many boards at once without the AEC loop:
:class:`agentctl.envs.go.turn_based.GoGames`, on the same engine and observations.
"""
from __future__ import annotations

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv
from pettingzoo.utils import wrappers

from .engine import BLACK, WHITE, GoEngine

AGENTS = ("black_0", "white_0")


def env(board_size: int = 9, komi: float = 7.5, ko_rule: str = "superko",
        max_moves: int | None = None, history: int = 4, render_mode: str | None = None,
        illegal_reward: float = -1.0):
    """PettingZoo AEC Go env wrapped like PettingZoo's classic games (an illegal move
    ends the game with ``illegal_reward`` for the mover; order enforced)."""
    e = GoAECEnv(board_size=board_size, komi=komi, ko_rule=ko_rule, max_moves=max_moves,
                 history=history, render_mode=render_mode)
    e = wrappers.TerminateIllegalWrapper(e, illegal_reward=illegal_reward)
    e = wrappers.AssertOutOfBoundsWrapper(e)
    e = wrappers.OrderEnforcingWrapper(e)
    return e


raw_env = None  # set below (PettingZoo convention)


class GoAECEnv(AECEnv):
    metadata = {  # noqa: RUF012 (PettingZoo convention)
        "render_modes": ["human", "ansi"], "name": "go_v0", "is_parallelizable": False,
        "render_fps": 2}

    def __init__(self, board_size: int = 9, komi: float = 7.5, ko_rule: str = "superko",
                 max_moves: int | None = None, history: int = 4,
                 render_mode: str | None = None):
        super().__init__()
        self.board_size = board_size
        self.engine = GoEngine(1, board_size, komi=komi, ko_rule=ko_rule, max_moves=max_moves,
                               history=history)
        n, c = board_size, self.engine.num_planes
        self.possible_agents = list(AGENTS)
        self.agents = list(AGENTS)
        obs_space = spaces.Dict({
            "observation": spaces.Box(0.0, 1.0, (c, n, n), np.float32),
            "action_mask": spaces.Box(0, 1, (n * n + 1,), np.int8),
        })
        self.observation_spaces = {a: obs_space for a in AGENTS}
        self.action_spaces = {a: spaces.Discrete(n * n + 1) for a in AGENTS}
        self.render_mode = render_mode
        self._obs_buf = np.empty((1, c, n, n), np.float32)
        self.reset()

    def observation_space(self, agent):
        return self.observation_spaces[agent]

    def action_space(self, agent):
        return self.action_spaces[agent]

    def _color(self, agent) -> int:
        return BLACK if agent == AGENTS[0] else WHITE

    def observe(self, agent):
        planes = self.engine.observations(self._obs_buf)[0].copy()
        mover = int(self.engine.to_play[0])
        if self._color(agent) != mover:  # swap own/opponent pairs
            k = self.engine.history
            idx = np.arange(2 * k).reshape(k, 2)[:, ::-1].reshape(-1)
            planes[: 2 * k] = planes[idx]
            mask = np.zeros(self.board_size ** 2 + 1, np.int8)
        else:
            mask = self.engine.mask[0].astype(np.int8)
        return {"observation": planes, "action_mask": mask}

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.np_random_seed = seed
        self.engine.reset()
        self.agents = list(AGENTS)
        self.rewards = {a: 0.0 for a in self.agents}
        self._cumulative_rewards = {a: 0.0 for a in self.agents}
        self.terminations = {a: False for a in self.agents}
        self.truncations = {a: False for a in self.agents}
        self.infos = {a: {} for a in self.agents}
        self.agent_selection = AGENTS[0]

    def step(self, action):
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            return self._was_dead_step(action)
        self._cumulative_rewards[agent] = 0.0
        self.engine.play(0, int(action))
        self.rewards = {a: 0.0 for a in self.agents}
        if self.engine.done[0]:
            w = int(self.engine.winner[0])
            for a in self.agents:
                self.terminations[a] = True
                if w:
                    self.rewards[a] = 1.0 if self._color(a) == w else -1.0
                self.infos[a] = {"score": float(self.engine.score[0]), "winner": w}
        self.agent_selection = AGENTS[int(self.engine.to_play[0]) - 1]
        self._accumulate_rewards()
        if self.render_mode == "human":
            self.render()

    def render(self):
        from .board_text import render_board
        text = render_board(self.engine, 0)
        if self.render_mode == "human":
            print(text)
        return text

    def close(self):
        pass


raw_env = GoAECEnv
