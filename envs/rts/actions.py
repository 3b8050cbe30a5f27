"""The per-cell action vector, its legality masks, and random legal actions.

Every cell of the grid gets an action (GridNet, as in gym-microrts); only cells holding an idle
unit of the acting player can do anything but no-op. The action of one cell is 7 integers, the
layout of gym-microrts's GridNet action space:

    index  meaning               values
    0      action type           0 noop, 1 move, 2 harvest, 3 return, 4 produce, 5 attack
    1      move direction        0 north, 1 east, 2 south, 3 west
    2      harvest direction     (same four directions)
    3      return direction      (same)
    4      produce direction     (same)
    5      produce unit type     0 resource, 1 base, 2 barracks, 3 worker, 4 light, 5 heavy, 6 ranged
    6      attack target         (dy + 3) * 7 + (dx + 3): the target's offset in a 7x7 window centred
                                 on the unit, row-major (24 is the unit itself)

Only the parameters that the type uses matter (produce uses two); the rules ignore the others.
The mask of a cell concatenates one boolean per value of each component, 6 + 4 + 4 + 4 + 4 + 7 +
49 = 78, in that order (gym-microrts's layout too). No-op is legal in every cell, so every row has
a legal type, and a legal type always has a legal value of each parameter it uses; a component the
legal types do not use may be all False (a policy must not normalise over it blindly). A unit busy
with a multi-tick action may only no-op: it ignores new orders. Legal means, judged on the state
at the start of the tick:

- move: the unit can move, and the neighbouring cell is on the map, no wall, empty, not reserved;
- harvest: a worker carrying nothing, next to a resource pile;
- return: a worker carrying resources, next to one of its player's bases;
- produce: the producer can make that type, its player has the resources, the cell is free
  (as for move). Workers build bases and barracks, bases train workers, barracks the army;
- attack: an enemy unit within the attacker's range (Euclidean: dy^2 + dx^2 <= range^2).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .state import IDLE, RtsState
from .units import (
    BASE,
    CAN_PRODUCE,
    EMPTY,
    N_UNIT_TYPES,
    RESOURCE,
    STAT_ATTACK,
    STAT_COST,
    STAT_MOVE,
    STAT_RANGE,
    STATS,
    WORKER,
)

NOOP, MOVE, HARVEST, RETURN, PRODUCE, ATTACK = range(6)
ACTION_NAMES = ("noop", "move", "harvest", "return", "produce", "attack")
ACTION_NVEC = np.array([6, 4, 4, 4, 4, N_UNIT_TYPES, 49], dtype=np.int64)
MASK_OFFSETS = np.concatenate([[0], np.cumsum(ACTION_NVEC)[:-1]]).astype(np.int64)  # 0 6 10 14 18 22 29
MASK_SIZE = int(ACTION_NVEC.sum())  # 78
DIR_DY = np.array([-1, 0, 1, 0], dtype=np.int64)  # north east south west
DIR_DX = np.array([0, 1, 0, -1], dtype=np.int64)
REACH = 3  # the attack window spans -3..3 cells each way


def attack_index(dy: int, dx: int) -> int:
    """The attack-target value for an enemy ``dy`` rows down and ``dx`` columns right."""
    return (dy + REACH) * (2 * REACH + 1) + (dx + REACH)


@njit(cache=True)
def cell_mask(kind, owner, amount, act, reserved, wall, resources, g, y, x, player, row, stats, can_produce):
    """Fill ``row`` (78 booleans, all False on entry) with what the unit at (y, x) may do now."""
    row[NOOP] = True
    k = kind[g, y, x]
    if owner[g, y, x] != player or k < BASE or act[g, y, x] != IDLE:
        return
    height, width = wall.shape
    any_free = False
    for d in range(4):
        ny, nx = y + DIR_DY[d], x + DIR_DX[d]
        if ny < 0 or ny >= height or nx < 0 or nx >= width:
            continue
        free = not wall[ny, nx] and kind[g, ny, nx] == EMPTY and not reserved[g, ny, nx]
        if free:
            any_free = True
            row[18 + d] = True
            if stats[STAT_MOVE, k] > 0:
                row[MOVE] = True
                row[6 + d] = True
        if k == WORKER:
            if amount[g, y, x] == 0 and kind[g, ny, nx] == RESOURCE:
                row[HARVEST] = True
                row[10 + d] = True
            if amount[g, y, x] > 0 and kind[g, ny, nx] == BASE and owner[g, ny, nx] == player:
                row[RETURN] = True
                row[14 + d] = True
    any_type = False
    for t in range(N_UNIT_TYPES):
        if can_produce[k, t] and resources[g, player] >= stats[STAT_COST, t]:
            row[22 + t] = True
            any_type = True
    if any_type and any_free:
        row[PRODUCE] = True
    else:
        for d in range(4):
            row[18 + d] = False
    if stats[STAT_ATTACK, k] > 0:
        r = stats[STAT_RANGE, k]
        for dy in range(-REACH, REACH + 1):
            for dx in range(-REACH, REACH + 1):
                ny, nx = y + dy, x + dx
                if dy * dy + dx * dx > r * r or ny < 0 or ny >= height or nx < 0 or nx >= width:
                    continue
                if owner[g, ny, nx] == 1 - player:
                    row[ATTACK] = True
                    row[29 + (dy + REACH) * 7 + dx + REACH] = True


@njit(cache=True)
def is_legal(row, action) -> bool:
    """Whether the 7-integer ``action`` is allowed by the mask ``row``."""
    t = action[0]
    if t < 0 or t >= 6 or not row[t]:
        return False
    for i in range(1, 7):
        if action[i] < 0 or action[i] >= ACTION_NVEC[i]:
            return False
    if t == MOVE:
        return row[6 + action[1]]
    if t == HARVEST:
        return row[10 + action[2]]
    if t == RETURN:
        return row[14 + action[3]]
    if t == PRODUCE:
        return row[18 + action[4]] and row[22 + action[5]]
    if t == ATTACK:
        return row[29 + action[6]]
    return True


@njit(cache=True)
def _masks_kernel(kind, owner, amount, act, reserved, wall, resources, player, out, stats, can_produce):
    n, height, width = kind.shape
    for g in range(n):
        for y in range(height):
            for x in range(width):
                if owner[g, y, x] != player or kind[g, y, x] < BASE or act[g, y, x] != IDLE:
                    out[g, y, x, NOOP] = True  # the common case, without the call
                else:
                    cell_mask(kind, owner, amount, act, reserved, wall, resources, g, y, x, player,
                              out[g, y, x], stats, can_produce)


def action_masks(state: RtsState, player: int) -> np.ndarray:
    """(N, H, W, 78) booleans: what each cell may do this tick for ``player`` (layout above)."""
    out = np.zeros(state.kind.shape + (MASK_SIZE,), dtype=np.bool_)
    _masks_kernel(state.kind, state.owner, state.amount, state.act, state.reserved, state.wall,
                  state.resources, player, out, STATS, CAN_PRODUCE)
    return out


@njit(cache=True)
def _pick(row, offset, size, u) -> int:
    """The k-th legal value of one component, k drawn from the uniform ``u`` in [0, 1); 0 if none."""
    count = 0
    for i in range(size):
        count += row[offset + i]
    if count == 0:
        return 0
    k = min(int(u * count), count - 1)
    for i in range(size):
        if row[offset + i]:
            if k == 0:
                return i
            k -= 1
    return 0


@njit(cache=True)
def _sample_kernel(masks, seed, out):
    np.random.seed(seed)  # numba's own generator, seeded from the caller's
    n, height, width, _ = masks.shape
    for g in range(n):
        for y in range(height):
            for x in range(width):
                if not (masks[g, y, x, 1] or masks[g, y, x, 2] or masks[g, y, x, 3] or masks[g, y, x, 4]
                        or masks[g, y, x, 5]):
                    continue  # only no-op is legal: the action stays all zeros
                row = masks[g, y, x]
                for i in range(7):
                    out[g, y, x, i] = _pick(row, MASK_OFFSETS[i], ACTION_NVEC[i], np.random.random())


def sample_actions(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N, H, W, 7) int32 actions drawn uniformly among the legal ones, component by component.

    A cell where only no-op is legal gets all zeros.
    """
    out = np.zeros(masks.shape[:-1] + (7,), dtype=np.int32)
    _sample_kernel(masks, int(rng.integers(2**31)), out)
    return out
