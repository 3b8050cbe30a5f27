"""The rules: what each unit may do, and one tick of N games.

**What is legal** (``action_masks``; the action layout is in ``layout.py``), judged on the state at
the start of the tick. A unit busy with a multi-tick action may only no-op: it ignores new orders.

- move: the unit can move, and the neighbouring cell is on the map, no wall, empty, not reserved;
- harvest: a worker carrying nothing, next to a resource pile;
- return: a worker carrying resources, next to one of its player's bases;
- produce: the producer can make that type, its player has the resources, the cell is free
  (as for move). Workers build bases and barracks, bases train workers, barracks the army;
- attack: an enemy unit within the attacker's range (Euclidean: dy^2 + dx^2 <= range^2).

The legality checks and the step kernel live in this one file on purpose: numba's on-disk cache
notices edits to a kernel's own file only, so a kernel must not call jitted code from another file.

**A tick**, for every game still running, in this order:

1. **Orders.** Both players' actions are judged against the state at the start of the tick
   (above); an illegal order is ignored and counted in ``state.illegal``. Busy units may only no-op. Moves and productions into the **same cell** in
   the same tick all fail, whoever gives them (fair and deterministic); a move may only enter a
   cell that was empty and unreserved at the start of the tick, so swaps and chains (A into B's
   cell while B leaves it) fail too. Production is paid when ordered; if a player's productions
   ordered in one tick together cost more than it has, they all fail (an order of precedence
   between cells would favour one corner of the map, and so one player).
   An accepted order starts its action: ``ticks_left`` = its duration (``units.py``), and a move
   or production reserves its target cell.
2. **Time.** Every action in progress loses one tick, so an action of duration T ordered in
   tick t takes effect at the end of tick t + T - 1: after exactly T calls to ``step``.
3. **Attacks** completing now hit simultaneously: damage is summed on the pre-attack state (two
   units can kill each other), then units at 0 hit points die. A dead unit's move or production
   is lost with it (resources are not refunded) and its reservation freed. An attack hits
   whatever enemy is in the target cell when it completes; an empty cell absorbs it.
4. **Moves, productions, harvests, returns** completing now take effect; their target cells are
   reserved or exclusive, so the order does not matter. Harvest: each worker takes
   ``HARVEST_AMOUNT`` from the pile (a pile at 0 disappears); if the workers finishing on one pile
   in the same tick want more than it holds, none gets anything. Return: the worker's load joins
   its player's stock if its base still stands.
5. **End.** ``tick`` += 1. A player with no units left (resource piles are not units) loses;
   both at once is a draw; reaching ``max_ticks`` is a draw. ``winner`` is -1 for a draw.
   Finished games are frozen: ``step`` leaves them alone until ``reset_games``.

Along the way the tick adds to each player's shaping counters (``state.harvested``, ``produced``,
``damage_dealt``): a return's load, a finished unit's cost, the hit points an attack removes.

**Skipping idle ticks** (``step(..., skip_idle=True)``, what training uses): after the tick, a game
in which no unit of either player is idle with something other than no-op to do (a **decision
point**, ``decision_points``) plays no-op ticks until one is, or the game ends. Nobody could have
ordered anything on those ticks, so the result is exactly what single ticks of no-ops give; a
learner just no longer sees the 5 to 200 ticks a unit spends busy.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .layout import (
    ACTION_NVEC,
    ATTACK,
    DIR_DX,
    DIR_DY,
    HARVEST,
    MASK_SIZE,
    MOVE,
    NOOP,
    PRODUCE,
    REACH,
    RETURN,
)
from .state import IDLE, RtsState
from .units import (
    BASE,
    CAN_PRODUCE,
    EMPTY,
    N_UNIT_TYPES,
    RESOURCE,
    STAT_ATTACK,
    STAT_COST,
    STAT_DAMAGE,
    STAT_HARVEST,
    STAT_HARVEST_AMOUNT,
    STAT_HP,
    STAT_MOVE,
    STAT_PRODUCE,
    STAT_RANGE,
    STAT_RETURN,
    STATS,
    WORKER,
)


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


def step(state: RtsState, actions_p0: np.ndarray, actions_p1: np.ndarray, active: np.ndarray | None = None,
         skip_idle: bool = False) -> None:
    """Advance every running game one tick; actions are (N, H, W, 7) integers per player.

    ``active`` (N bools, default all) picks the games to advance; the others are left alone.
    With ``skip_idle``, each advanced game then keeps playing no-op ticks until a decision point
    (``decision_points``) or its end: ticks on which nobody could have done anything else.
    """
    expected = state.kind.shape + (7,)
    for name, a in (("actions_p0", actions_p0), ("actions_p1", actions_p1)):
        if a.shape != expected:
            raise ValueError(f"{name} has shape {a.shape}, expected {expected} (games, height, width, 7)")
    if active is None:
        active = np.ones(state.n_games, dtype=np.bool_)
    elif active.shape != (state.n_games,):
        raise ValueError(f"active has shape {active.shape}, expected ({state.n_games},)")
    _step_kernel(state.kind, state.owner, state.hp, state.amount, state.act, state.act_target, state.act_unit,
                 state.ticks_left, state.reserved, state.wall, state.resources, state.tick, state.done,
                 state.winner, state.illegal, state.harvested, state.produced, state.damage_dealt, state.max_ticks,
                 np.ascontiguousarray(actions_p0, dtype=np.int32), np.ascontiguousarray(actions_p1, dtype=np.int32),
                 np.ascontiguousarray(active, dtype=np.bool_), skip_idle, STATS, CAN_PRODUCE)


def decision_points(state: RtsState) -> np.ndarray:
    """(N,) bools: games in which some idle unit, of either player, may do more than no-op.

    Elsewhere every unit is busy or stuck, so a tick of no-ops is all anyone can play.
    """
    out = np.zeros(state.n_games, dtype=np.bool_)
    _decision_kernel(state.kind, state.owner, state.amount, state.act, state.reserved, state.wall,
                     state.resources, out, STATS, CAN_PRODUCE)
    return out


@njit(cache=True)
def _is_decision_point(kind, owner, amount, act, reserved, wall, resources, g, row, stats, can_produce) -> bool:
    height, width = wall.shape
    for y in range(height):
        for x in range(width):
            p = owner[g, y, x]
            if p < 0 or kind[g, y, x] < BASE or act[g, y, x] != IDLE:
                continue
            row[:] = False
            cell_mask(kind, owner, amount, act, reserved, wall, resources, g, y, x, p, row, stats, can_produce)
            for t in range(MOVE, ATTACK + 1):
                if row[t]:
                    return True
    return False


@njit(cache=True)
def _decision_kernel(kind, owner, amount, act, reserved, wall, resources, out, stats, can_produce):
    row = np.zeros(MASK_SIZE, dtype=np.bool_)
    for g in range(kind.shape[0]):
        out[g] = _is_decision_point(kind, owner, amount, act, reserved, wall, resources, g, row, stats, can_produce)


@njit(cache=True)
def _remove(kind, owner, hp, amount, act, act_target, ticks_left, reserved, g, y, x, width):
    """Clear the cell, freeing the cell its move or production had reserved."""
    if act[g, y, x] == MOVE or act[g, y, x] == PRODUCE:
        t = act_target[g, y, x]
        reserved[g, t // width, t % width] = False
    kind[g, y, x] = EMPTY
    owner[g, y, x] = -1
    hp[g, y, x] = 0
    amount[g, y, x] = 0
    act[g, y, x] = IDLE
    ticks_left[g, y, x] = 0


@njit(cache=True)
def _step_kernel(kind, owner, hp, amount, act, act_target, act_unit, ticks_left, reserved, wall, resources,
                 tick, done, winner, illegal, harvested, produced, damage_dealt, max_ticks, actions0, actions1,
                 active, skip_idle, stats, can_produce):
    n, height, width = kind.shape
    cells = height * width
    row = np.zeros(MASK_SIZE, dtype=np.bool_)
    order = np.zeros(cells, dtype=np.int8)  # accepted order type per cell
    target = np.zeros(cells, dtype=np.int32)
    claims = np.zeros(cells, dtype=np.int32)  # moves + productions aiming at each cell
    damage = np.zeros(cells, dtype=np.int32)
    demand = np.zeros(cells, dtype=np.int32)  # harvests completing on each pile
    spend = np.zeros(2, dtype=np.int32)  # each player's productions ordered this tick
    for g in range(n):
        if done[g] or not active[g]:
            continue
        _tick(kind, owner, hp, amount, act, act_target, act_unit, ticks_left, reserved, wall, resources, tick,
              done, winner, illegal, harvested, produced, damage_dealt, max_ticks, actions0, actions1, True, g,
              row, order, target, claims, damage, demand, spend, stats, can_produce)
        while skip_idle and not done[g] and not _is_decision_point(kind, owner, amount, act, reserved, wall,
                                                                   resources, g, row, stats, can_produce):
            _tick(kind, owner, hp, amount, act, act_target, act_unit, ticks_left, reserved, wall, resources, tick,
                  done, winner, illegal, harvested, produced, damage_dealt, max_ticks, actions0, actions1, False,
                  g, row, order, target, claims, damage, demand, spend, stats, can_produce)


@njit(cache=True)
def _tick(kind, owner, hp, amount, act, act_target, act_unit, ticks_left, reserved, wall, resources, tick, done,
          winner, illegal, harvested, produced, damage_dealt, max_ticks, actions0, actions1, orders, g,
          row, order, target, claims, damage, demand, spend, stats, can_produce):
    """One tick of game ``g`` (the module docstring's five phases); ``orders=False`` skips phase 1: all no-op.

    The scratch arrays (``row`` to ``spend``) are the caller's, so a tick allocates nothing.
    """
    height, width = wall.shape
    cells = height * width
    # 1. orders, judged on the start-of-tick state (none on a skipped tick)
    if orders:
        order[:] = NOOP
        claims[:] = 0
        for p in range(2):
            actions = actions0 if p == 0 else actions1
            for y in range(height):
                for x in range(width):
                    a = actions[g, y, x]
                    if a[0] == NOOP:
                        continue
                    row[:] = False
                    cell_mask(kind, owner, amount, act, reserved, wall, resources, g, y, x, p, row, stats,
                              can_produce)
                    if not is_legal(row, a):
                        illegal[g, p] += 1
                        continue
                    c = y * width + x
                    t = a[0]
                    order[c] = t
                    if t == ATTACK:
                        dy, dx = a[6] // 7 - REACH, a[6] % 7 - REACH
                    else:
                        d = a[1] if t == MOVE else a[2] if t == HARVEST else a[3] if t == RETURN else a[4]
                        dy, dx = DIR_DY[d], DIR_DX[d]
                    target[c] = (y + dy) * width + (x + dx)
                    if t == MOVE or t == PRODUCE:
                        claims[target[c]] += 1
        spend[:] = 0
        for c in range(cells):
            if order[c] == PRODUCE and claims[target[c]] == 1:
                p = owner[g, c // width, c % width]
                spend[p] += stats[STAT_COST, (actions0 if p == 0 else actions1)[g, c // width, c % width, 5]]
        for p in range(2):
            if spend[p] > resources[g, p]:
                spend[p] = -1  # together they cost more than the stock: all fail
        for c in range(cells):
            t = order[c]
            if t == NOOP:
                continue
            y, x = c // width, c % width
            if (t == MOVE or t == PRODUCE) and claims[target[c]] > 1:
                continue  # contested cell: every claimant fails
            k = kind[g, y, x]
            if t == PRODUCE:
                p = owner[g, y, x]
                if spend[p] < 0:
                    continue
                u = (actions0 if p == 0 else actions1)[g, y, x, 5]
                resources[g, p] -= stats[STAT_COST, u]
                act_unit[g, y, x] = u
                duration = stats[STAT_PRODUCE, u]
            elif t == MOVE:
                duration = stats[STAT_MOVE, k]
            elif t == HARVEST:
                duration = stats[STAT_HARVEST, k]
            elif t == RETURN:
                duration = stats[STAT_RETURN, k]
            else:
                duration = stats[STAT_ATTACK, k]
            act[g, y, x] = t
            act_target[g, y, x] = target[c]
            ticks_left[g, y, x] = duration
            if t == MOVE or t == PRODUCE:
                reserved[g, target[c] // width, target[c] % width] = True
    # 2. time passes
    for y in range(height):
        for x in range(width):
            if act[g, y, x] != IDLE:
                ticks_left[g, y, x] -= 1
    # 3. attacks land together
    damage[:] = 0
    for y in range(height):
        for x in range(width):
            if act[g, y, x] == ATTACK and ticks_left[g, y, x] == 0:
                c = act_target[g, y, x]
                if owner[g, c // width, c % width] == 1 - owner[g, y, x]:
                    damage[c] += stats[STAT_DAMAGE, kind[g, y, x]]
                act[g, y, x] = IDLE
    for c in range(cells):
        if damage[c] > 0:
            y, x = c // width, c % width
            damage_dealt[g, 1 - owner[g, y, x]] += min(damage[c], hp[g, y, x])  # overkill is not dealt
            hp[g, y, x] -= damage[c]
            if hp[g, y, x] <= 0:
                _remove(kind, owner, hp, amount, act, act_target, ticks_left, reserved, g, y, x, width)
    # 4. everything else that completes now; first, which piles can serve their harvesters
    demand[:] = 0
    for y in range(height):
        for x in range(width):
            if act[g, y, x] == HARVEST and ticks_left[g, y, x] == 0:
                demand[act_target[g, y, x]] += 1
    for c in range(cells):
        if demand[c] > 0:
            y, x = c // width, c % width
            if kind[g, y, x] != RESOURCE or amount[g, y, x] < demand[c] * stats[STAT_HARVEST_AMOUNT, WORKER]:
                demand[c] = 0  # not enough for everyone: nobody is served
    for y in range(height):
        for x in range(width):
            t = act[g, y, x]
            if t == IDLE or ticks_left[g, y, x] > 0:
                continue
            act[g, y, x] = IDLE
            c = act_target[g, y, x]
            ty, tx = c // width, c % width
            p = owner[g, y, x]
            if t == MOVE:
                reserved[g, ty, tx] = False
                kind[g, ty, tx], owner[g, ty, tx] = kind[g, y, x], owner[g, y, x]
                hp[g, ty, tx], amount[g, ty, tx] = hp[g, y, x], amount[g, y, x]
                act[g, ty, tx], ticks_left[g, ty, tx] = IDLE, 0
                _remove(kind, owner, hp, amount, act, act_target, ticks_left, reserved, g, y, x, width)
            elif t == PRODUCE:
                reserved[g, ty, tx] = False
                u = act_unit[g, y, x]
                kind[g, ty, tx], owner[g, ty, tx] = u, p
                hp[g, ty, tx], amount[g, ty, tx] = stats[STAT_HP, u], 0
                act[g, ty, tx], ticks_left[g, ty, tx] = IDLE, 0
                produced[g, p] += stats[STAT_COST, u]
            elif t == HARVEST:
                if demand[c] > 0:
                    take = stats[STAT_HARVEST_AMOUNT, WORKER]
                    amount[g, y, x] += take
                    amount[g, ty, tx] -= take
                    if amount[g, ty, tx] <= 0:
                        _remove(kind, owner, hp, amount, act, act_target, ticks_left, reserved, g, ty, tx, width)
            elif t == RETURN and kind[g, ty, tx] == BASE and owner[g, ty, tx] == p:
                resources[g, p] += amount[g, y, x]
                harvested[g, p] += amount[g, y, x]
                amount[g, y, x] = 0
    # 5. the end
    tick[g] += 1
    units0 = 0
    units1 = 0
    for y in range(height):
        for x in range(width):
            if kind[g, y, x] >= BASE:
                if owner[g, y, x] == 0:
                    units0 += 1
                else:
                    units1 += 1
    if units0 == 0 or units1 == 0:
        done[g] = True
        winner[g] = -1 if units0 == units1 else (0 if units1 == 0 else 1)
    elif tick[g] >= max_ticks:
        done[g] = True
        winner[g] = -1
