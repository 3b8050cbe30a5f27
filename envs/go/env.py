"""Go environments on top of :mod:`agentctl.envs.go.engine`.

* :func:`env` / :class:`GoAECEnv`: a PettingZoo AEC env (agents ``black_0`` and
  ``white_0``), observation ``{"observation": float32 [2H+1, N, N], "action_mask":
  int8 [N*N+1]}``.  Planes are from the observing agent's view: own stones, opponent
  stones, for the current and H-1 previous positions (newest first), then a plane
  of ones when black is to move.  Action ``N*N`` is pass (row 0 = top row).
* :class:`GoVectorEnv`: a batched two-player game for training, B boards stepped at
  once without the AEC loop; each board alternates colours, the caller supplies the
  action of whichever colour is to move on each board.
"""
from __future__ import annotations

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv
from pettingzoo.utils import wrappers

from .engine import BLACK, WHITE, GoEngine, _seed_numba

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


class GoVectorEnv:
    """``num_envs`` Go games stepped together (no AEC loop).

    ``step(actions)`` plays, on every live board, the action of the colour to move
    there and returns ``(obs, mask, rewards, done)``: ``rewards`` float32 [B] is for
    the player who just moved (+1 won, -1 lost, 0 otherwise or draw), ``done`` bool
    [B] marks games that ended on this step.  With ``autoreset=True`` those boards
    are reset at once (``obs``/``mask`` are then the new games'; the final results
    stay in ``final_winner``/``final_score``); otherwise call ``reset(indices=...)``.
    Actions for finished boards are ignored.  ``to_play`` int8 [B] (1 black, 2 white).
    """

    def __init__(self, num_envs: int, board_size: int = 9, komi: float = 7.5,
                 ko_rule: str = "superko", max_moves: int | None = None, history: int = 4,
                 obs_dtype=np.float32, autoreset: bool = False, parallel: bool = False):
        self.num_envs = num_envs
        self.board_size = board_size
        self.autoreset = autoreset
        self.engine = GoEngine(num_envs, board_size, komi=komi, ko_rule=ko_rule,
                               max_moves=max_moves, history=history, parallel=parallel)
        self.obs_dtype = obs_dtype
        self.num_actions = self.engine.num_actions
        self.obs_shape = (self.engine.num_planes, board_size, board_size)
        self._obs = np.zeros((num_envs,) + self.obs_shape, obs_dtype)
        self.final_winner = np.zeros(num_envs, np.int8)
        self.final_score = np.zeros(num_envs, np.float64)

    # state views
    @property
    def to_play(self) -> np.ndarray:
        return self.engine.to_play

    @property
    def done(self) -> np.ndarray:
        return self.engine.done

    def observations(self) -> np.ndarray:
        return self.engine.observations(self._obs)

    def legal_mask(self) -> np.ndarray:
        return self.engine.mask

    def scores(self) -> np.ndarray:
        return self.engine.scores()

    def winner(self) -> np.ndarray:
        return self.engine.winner

    def reset(self, seed: int | None = None, indices=None):
        if seed is not None:
            _seed_numba(int(seed))
        self.engine.reset(indices)
        return self.observations(), self.engine.mask

    def random_actions(self) -> np.ndarray:
        return self.engine.random_actions()

    def step(self, actions):
        eng = self.engine
        was_done = eng.done.copy()
        mover = eng.to_play.copy()
        eng.step(actions)
        ended = eng.done & ~was_done
        rewards = np.zeros(self.num_envs, np.float32)
        if ended.any():
            w = eng.winner
            rewards[ended & (w == mover)] = 1.0
            rewards[ended & (w != mover) & (w != 0)] = -1.0
            self.final_winner[ended] = w[ended]
            self.final_score[ended] = eng.score[ended]
            if self.autoreset:
                eng.reset(ended)
        return self.observations(), eng.mask, rewards, ended

    def resign(self, indices) -> np.ndarray:
        """The colour to move resigns on ``indices``; returns the rewards of the resigners (-1)."""
        self.engine.resign(indices)
        return -np.ones(len(np.atleast_1d(indices)), np.float32)

    def clone(self) -> GoVectorEnv:
        new = object.__new__(GoVectorEnv)
        new.__dict__.update(self.__dict__)
        new.engine = self.engine.clone()
        new._obs = self._obs.copy()
        new.final_winner = self.final_winner.copy()
        new.final_score = self.final_score.copy()
        return new
