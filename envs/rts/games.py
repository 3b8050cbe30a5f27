"""RtsGames: N RTS games as one batch in which both seats act at every step, for training.

``RtsGames(256, map="8x8_basesworkers")`` holds 256 games on one map. It has the shape of a
batch of simultaneous-move games (the interface two-player trainers drive):

- **Observation** of a seat: ``uint8 (28, H, W)``, the planes of ``observation.py`` from that
  seat's view, channels first (what a CNN wants).
- **Mask**: ``bool (H * W * 78,)``, the (H, W, 78) mask of ``rules.action_masks`` flattened cell by
  cell (the 78 of one cell in ``layout.py`` order).
- **Action**: ``int (H * W * 7,)``, the (H, W, 7) per-cell action of ``layout.py`` flattened row-major;
  ``action_space`` is ``MultiDiscrete(tile(ACTION_NVEC, H * W))``.
- **A step** plays one tick with both seats' actions, then, with ``skip_idle`` (the default), plays
  no-op ticks until a decision point: a tick at which some idle unit may do more than no-op
  (``rules.py``). Units are busy for 5 to 200 ticks, so most ticks offer no choice; skipping them
  is exact and saves the learner most of its steps. ``max_ticks`` still counts every tick.
  ``frame_skip`` k > 1 plays k - 1 no-op ticks after the orders' tick (before skipping idle
  ticks): units that finish early wait, as in gym-microrts's ``frame_skip``, for k times fewer
  decisions per game. Both seats decide at the same steps, so the game stays fair.
- **Outcome**: +1 seat 0 won, -1 seat 1 won, 0 a draw (the tick cap, or both eliminated at once).
- **Shaping**: ``step_rewards()`` gives each seat ``factor * sum_k weight_k * delta_k`` for the
  latest step, where ``delta_k`` is how much the seat's counter k grew during the step (skipped
  ticks included): ``harvest`` (resources returned to a base), ``produce`` (cost of the units that
  appeared), ``damage`` (hit points taken off enemy units). ``factor`` falls linearly from 1 to 0
  over the first ``shaping_anneal_steps`` game-steps (0: never), so the win alone decides in the end.
  ``reward_weights`` None gives ``DEFAULT_REWARD_WEIGHTS``; a dict replaces the values of the keys
  it names; ``{}`` (or zeros) turns shaping off.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from gymnasium import spaces

from .layout import ACTION_NVEC
from .maps import RtsMap, load_map
from .observation import N_PLANES, observe
from .render import render_frame
from .rules import action_masks, step
from .state import new_games, reset_games

# A win is worth 1; a full game of shaping should be worth the same order, enough to lead a policy
# to harvest, build and fight before it ever wins, not so much that it never needs to win. Units:
# per resource returned, per resource of unit cost produced, per hit point of damage dealt (damage
# is the cheapest per point: a light deals 2 every 5 ticks). Random play on 8x8 (games of about
# 1250 ticks) gives each seat about 16 resources returned, 20 of cost produced and 19 hit points
# of damage a game: 4.5 at these weights. Anneal it away (``shaping_anneal_steps``) so that in
# the end the win alone counts.
DEFAULT_REWARD_WEIGHTS = {"harvest": 0.1, "produce": 0.1, "damage": 0.05}
_COUNTERS = {"harvest": "harvested", "produce": "produced", "damage": "damage_dealt"}  # weight key -> RtsState field


class RtsGames:
    """``num_games`` RTS games on ``map`` (a shipped map's name, a path, or an RtsMap); see the module docstring."""

    def __init__(self, num_games: int, map: str | Path | RtsMap = "8x8_basesworkers", max_ticks: int = 2000,
                 skip_idle: bool = True, reward_weights: dict[str, float] | None = None,
                 shaping_anneal_steps: int = 0, frame_skip: int = 1):
        if int(num_games) < 1:
            raise ValueError(f"num_games must be at least 1, got {num_games}")
        if int(max_ticks) < 1:
            raise ValueError(f"max_ticks must be at least 1, got {max_ticks}")
        if not isinstance(frame_skip, (int, np.integer)) or isinstance(frame_skip, bool) or frame_skip < 1:
            raise ValueError(f"frame_skip must be an integer >= 1, got {frame_skip!r}")
        self.frame_skip = int(frame_skip)
        if shaping_anneal_steps < 0:
            raise ValueError(f"shaping_anneal_steps must be 0 (no annealing) or more, got {shaping_anneal_steps}")
        # None: the defaults; {}: no shaping; otherwise the keys given replace the defaults' values
        weights = dict(DEFAULT_REWARD_WEIGHTS) if reward_weights != {} else dict.fromkeys(DEFAULT_REWARD_WEIGHTS, 0.0)
        for key, value in (reward_weights or {}).items():
            if key not in weights:
                raise ValueError(f"reward_weights has unknown key {key!r}; the keys are {', '.join(weights)}")
            try:
                weights[key] = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"reward_weights[{key!r}] must be a number, got {value!r}") from None
        self.num_games = int(num_games)
        self.map = map if isinstance(map, RtsMap) else load_map(map)
        self.skip_idle = bool(skip_idle)
        self.reward_weights = weights
        self.shaping_anneal_steps = int(shaping_anneal_steps)
        self.shaping_steps = 0  # game-steps taken so far: drives the annealing, so it is pickled too
        self.state = new_games(self.map, self.num_games, max_ticks=int(max_ticks))
        h, w = self.map.height, self.map.width
        self.observation_space = spaces.Box(0, 1, (N_PLANES, h, w), np.uint8)
        self.action_space = spaces.MultiDiscrete(np.tile(ACTION_NVEC, h * w))
        self._rewards = np.zeros((self.num_games, 2), np.float32)
        self._views: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # seat -> (obs, masks) until games change

    def reset(self, seed: int | None = None) -> None:
        """Start every game. The rules have no randomness, so ``seed`` changes nothing."""
        reset_games(self.state, np.ones(self.num_games, dtype=np.bool_))
        self._rewards[:] = 0
        self._views.clear()

    def reset_games(self, index: np.ndarray) -> None:
        """Start new games at the indices ``index``; the others are untouched."""
        which = np.zeros(self.num_games, dtype=np.bool_)
        which[np.asarray(index)] = True
        reset_games(self.state, which)
        self._views.clear()

    def observe(self, seat: int) -> tuple[np.ndarray, np.ndarray]:
        """(observations [B, 28, H, W] uint8, masks [B, H*W*78] bool) of every game from ``seat``'s view."""
        if seat not in (0, 1):
            raise ValueError(f"seat must be 0 or 1, got {seat!r}")
        if seat not in self._views:
            obs = np.ascontiguousarray(observe(self.state, seat).transpose(0, 3, 1, 2))
            self._views[seat] = (obs, action_masks(self.state, seat).reshape(self.num_games, -1))
        obs, masks = self._views[seat]
        return obs.copy(), masks.copy()

    def step(self, actions0: np.ndarray, actions1: np.ndarray, active: np.ndarray) -> None:
        """Play both seats' actions [B, H*W*7] in the games with ``active`` that are not done (then skip idle ticks)."""
        b, h, w = self.num_games, self.map.height, self.map.width
        per_seat = []
        for name, a in (("actions0", actions0), ("actions1", actions1)):
            a = np.asarray(a)
            if a.shape != (b, h * w * 7):
                raise ValueError(f"{name} has shape {a.shape}, expected ({b}, {h * w * 7})")
            per_seat.append(a.reshape(b, h, w, 7))
        stepped = np.asarray(active, dtype=np.bool_) & ~self.state.done
        before = self._counters()
        skip = self.frame_skip
        step(self.state, per_seat[0], per_seat[1], active=stepped, skip_idle=self.skip_idle and skip == 1)
        if skip > 1:
            noop = np.zeros_like(per_seat[0])
            for k in range(1, skip):  # the orders' ticks are followed by frame_skip - 1 no-op ticks
                step(self.state, noop, noop, active=stepped, skip_idle=self.skip_idle and k == skip - 1)
        gained = (self._counters() - before).astype(np.float32)  # [B, 2, keys]
        weights = np.array([self.reward_weights[k] for k in _COUNTERS], np.float32)
        self._rewards = (self._shaping_factor() * (gained @ weights)).astype(np.float32)  # 0 where not stepped
        self.shaping_steps += int(stepped.sum())
        self._views.clear()

    def done(self) -> np.ndarray:
        """[B] bool: game over."""
        return self.state.done.copy()

    def outcome(self) -> np.ndarray:
        """[B] float32, meaningful where done: +1 seat 0 won, -1 seat 1 won, 0 draw."""
        winner = self.state.winner
        return np.where(winner == 0, 1.0, np.where(winner == 1, -1.0, 0.0)).astype(np.float32)

    def render_frame(self, index: int) -> np.ndarray:
        """Game ``index`` as an RGB picture, uint8 (H * 24, W * 24, 3) (``render.py``), for replays."""
        return render_frame(self.state, int(index))

    def step_rewards(self) -> np.ndarray:
        """[B, 2] float32: the shaping reward each seat earned in the latest step (0 for games not stepped)."""
        return self._rewards.copy()

    def _counters(self) -> np.ndarray:
        """[B, 2, keys] the shaping counters, in ``_COUNTERS`` order."""
        return np.stack([getattr(self.state, field) for field in _COUNTERS.values()], axis=-1)

    def _shaping_factor(self) -> float:
        """1 falling linearly to 0 over ``shaping_anneal_steps`` game-steps; always 1 without annealing."""
        if self.shaping_anneal_steps == 0:
            return 1.0
        return max(0.0, 1.0 - self.shaping_steps / self.shaping_anneal_steps)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_views": {}}  # the cached views are rebuilt on demand
