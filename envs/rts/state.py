"""The batched game state: N games on one map, every field a numpy array with the game first.

Units live in cells (at most one per cell), so per-unit fields are (N, H, W) planes, which is
also the shape GridNet observations and actions have. A unit doing a multi-tick action stays in
its cell until the action completes; the cell it moves to or produces into is ``reserved`` meanwhile
so nobody else can claim it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .maps import RtsMap
from .units import EMPTY

IDLE = 0  # ``act`` of a unit with no action in progress (the action type ids are in layout.py)


@dataclass
class RtsState:
    """N games; call ``rules.step`` to advance them all one tick."""

    wall: np.ndarray  # (H, W) bool, shared by all games
    kind: np.ndarray  # (N, H, W) int8 unit type id, EMPTY where no unit
    owner: np.ndarray  # (N, H, W) int8 player 0/1, -1 for none and for resources
    hp: np.ndarray  # (N, H, W) int32 hit points (0 where no unit)
    amount: np.ndarray  # (N, H, W) int32 resources carried by a worker, or left in a pile
    act: np.ndarray  # (N, H, W) int8 action type in progress, IDLE when none
    act_target: np.ndarray  # (N, H, W) int32 flat cell index the action aims at (y * W + x)
    act_unit: np.ndarray  # (N, H, W) int8 unit type being produced
    ticks_left: np.ndarray  # (N, H, W) int32 ticks until the action in progress completes
    reserved: np.ndarray  # (N, H, W) bool: a move or produce in progress will fill this cell
    resources: np.ndarray  # (N, 2) int32 each player's stock
    tick: np.ndarray  # (N,) int32 ticks played
    done: np.ndarray  # (N,) bool
    winner: np.ndarray  # (N,) int8: 0 or 1, -1 for a draw or a game still running
    illegal: np.ndarray  # (N, 2) int64 orders ignored because they were not legal when given
    # What each player has achieved so far, for shaping rewards (``RtsGames.step_rewards``):
    harvested: np.ndarray  # (N, 2) int64 resources returned to one of its bases
    produced: np.ndarray  # (N, 2) int64 cost of the units it has produced (counted when they appear)
    damage_dealt: np.ndarray  # (N, 2) int64 hit points its attacks took off enemy units (overkill not counted)
    max_ticks: int  # a game still running after this many ticks ends in a draw
    map: RtsMap

    @property
    def n_games(self) -> int:
        return self.kind.shape[0]


def new_games(rts_map: RtsMap, n_games: int, max_ticks: int = 2000) -> RtsState:
    """``n_games`` fresh games on ``rts_map``."""
    h, w = rts_map.height, rts_map.width
    plane = lambda dtype: np.zeros((n_games, h, w), dtype=dtype)
    state = RtsState(
        wall=rts_map.wall.copy(), kind=np.full((n_games, h, w), EMPTY, np.int8), owner=plane(np.int8),
        hp=plane(np.int32), amount=plane(np.int32), act=plane(np.int8), act_target=plane(np.int32),
        act_unit=plane(np.int8), ticks_left=plane(np.int32), reserved=plane(np.bool_),
        resources=np.zeros((n_games, 2), np.int32), tick=np.zeros(n_games, np.int32),
        done=np.zeros(n_games, np.bool_), winner=np.full(n_games, -1, np.int8),
        illegal=np.zeros((n_games, 2), np.int64), harvested=np.zeros((n_games, 2), np.int64),
        produced=np.zeros((n_games, 2), np.int64), damage_dealt=np.zeros((n_games, 2), np.int64),
        max_ticks=max_ticks, map=rts_map)
    reset_games(state, np.ones(n_games, dtype=np.bool_))
    return state


def reset_games(state: RtsState, which: np.ndarray) -> None:
    """Put the games selected by the boolean mask ``which`` back to the map's starting position."""
    m = state.map
    state.kind[which] = m.kind
    state.owner[which] = m.owner
    state.hp[which] = m.hit_points()
    state.amount[which] = m.amount
    for plane in (state.act, state.act_target, state.act_unit, state.ticks_left, state.reserved):
        plane[which] = 0
    state.resources[which] = m.start_resources
    state.tick[which] = 0
    state.done[which] = False
    state.winner[which] = -1
    for counter in (state.illegal, state.harvested, state.produced, state.damage_dealt):
        counter[which] = 0
