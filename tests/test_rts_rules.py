"""RTS rules: positions on tiny maps whose outcomes are computed by hand from the unit table."""
from __future__ import annotations

import copy

import numpy as np
import pytest
from agentctl.envs import rts
from agentctl.envs.rts import ATTACK, HARVEST, MOVE, NOOP, PRODUCE, RETURN, attack_index
from agentctl.envs.rts.units import (
    ATTACK_RANGE,
    COST,
    HARVEST_TIME,
    HIT_POINTS,
    MOVE_TIME,
    PRODUCE_TIME,
    RETURN_TIME,
)

NORTH, EAST, SOUTH, WEST = range(4)


def games(rows: list[str], pile: int = 25, start: int = 5, n: int = 1, max_ticks: int = 2000) -> rts.RtsState:
    text = f"size {len(rows[0])} {len(rows)}\nresources {pile}\nstart {start}\n" + "\n".join(rows)
    return rts.new_games(rts.parse_map(text), n, max_ticks=max_ticks)


def order(state: rts.RtsState, y: int, x: int, kind: int, param: int = 0, unit: int = 0) -> np.ndarray:
    """Actions for one player: the unit at (y, x) does ``kind`` with ``param``, everyone else no-ops."""
    a = np.zeros(state.kind.shape + (7,), dtype=np.int32)
    a[:, y, x, 0] = kind
    slot = {MOVE: 1, HARVEST: 2, RETURN: 3, PRODUCE: 4, ATTACK: 6}.get(kind)
    if slot is not None:
        a[:, y, x, slot] = param
    a[:, y, x, 5] = unit
    return a


def idle(state: rts.RtsState) -> np.ndarray:
    return np.zeros(state.kind.shape + (7,), dtype=np.int32)


def run(state: rts.RtsState, ticks: int) -> None:
    for _ in range(ticks):
        rts.step(state, idle(state), idle(state))


def test_harvest_then_return_two_trips_empties_the_pile():
    s = games(["RWB..w"], pile=2, start=0)
    for trip in (1, 2):
        rts.step(s, order(s, 0, 1, HARVEST, WEST), idle(s))
        run(s, HARVEST_TIME - 2)
        assert s.amount[0, 0, 1] == 0 and s.amount[0, 0, 0] == 3 - trip  # one tick short: nothing yet
        run(s, 1)
        assert s.amount[0, 0, 1] == 1  # carried
        assert rts.action_masks(s, 0)[0, 0, 1, HARVEST] == 0  # a loaded worker cannot harvest again
        rts.step(s, order(s, 0, 1, RETURN, EAST), idle(s))
        run(s, RETURN_TIME - 2)
        assert s.resources[0, 0] == trip - 1
        run(s, 1)
        assert s.resources[0, 0] == trip and s.amount[0, 0, 1] == 0
    assert s.kind[0, 0, 0] == rts.EMPTY  # the pile is gone
    assert s.tick[0] == 2 * (HARVEST_TIME + RETURN_TIME) == 60
    assert s.illegal.sum() == 0


def test_production_pays_at_order_and_the_unit_appears_after_exactly_its_time():
    s = games(["B.w"], start=5)
    rts.step(s, order(s, 0, 0, PRODUCE, EAST, rts.WORKER), idle(s))
    assert s.resources[0, 0] == 5 - COST[rts.WORKER] == 4
    assert rts.action_masks(s, 1)[0, 0, 2, 6 + WEST] == 0  # the cell is reserved: p1 may not move in
    run(s, PRODUCE_TIME[rts.WORKER] - 2)
    assert s.kind[0, 0, 1] == rts.EMPTY and s.tick[0] == 49
    run(s, 1)
    assert (s.kind[0, 0, 1], s.owner[0, 0, 1], s.hp[0, 0, 1]) == (rts.WORKER, 0, 1)
    assert s.resources[0, 0] == 4 and not s.reserved.any()


def test_production_without_the_resources_is_illegal_and_ignored():
    s = games(["W..w"], start=COST[rts.BARRACKS] - 1)  # 4: a barracks costs 5
    masks = rts.action_masks(s, 0)
    assert masks[0, 0, 0, 22 + rts.BARRACKS] == 0 and masks[0, 0, 0, 22 + rts.BASE] == 0
    assert masks[0, 0, 0, PRODUCE] == 0
    rts.step(s, order(s, 0, 0, PRODUCE, EAST, rts.BARRACKS), idle(s))
    assert s.resources[0, 0] == 4 and s.act[0, 0, 0] == 0 and s.illegal[0, 0] == 1


def test_worker_builds_a_barracks():
    s = games(["W..w"], start=6)
    rts.step(s, order(s, 0, 0, PRODUCE, EAST, rts.BARRACKS), idle(s))
    assert s.resources[0, 0] == 1
    run(s, PRODUCE_TIME[rts.BARRACKS] - 1)
    assert s.kind[0, 0, 1] == rts.BARRACKS and s.hp[0, 0, 1] == HIT_POINTS[rts.BARRACKS] == 4


def test_simultaneous_attacks_light_dies_heavy_survives():
    s = games(["Hl"])
    rts.step(s, order(s, 0, 0, ATTACK, attack_index(0, 1)), order(s, 0, 1, ATTACK, attack_index(0, -1)))
    run(s, 3)
    assert (s.hp[0, 0, 0], s.hp[0, 0, 1]) == (8, 4)  # 4 ticks in: nothing has landed
    run(s, 1)
    # both blows land in tick 5: the heavy (hp 8) takes the light's 2, the light (hp 4) the heavy's 4
    assert s.hp[0, 0, 0] == 6 and s.kind[0, 0, 1] == rts.EMPTY
    assert s.done[0] and s.winner[0] == 0


def test_mutual_kill_is_a_draw():
    s = games(["Ww"])
    rts.step(s, order(s, 0, 0, ATTACK, attack_index(0, 1)), order(s, 0, 1, ATTACK, attack_index(0, -1)))
    run(s, 4)
    assert (s.kind[0] == rts.EMPTY).all() and s.done[0] and s.winner[0] == -1


def test_ranged_range_is_euclidean():
    s = games(["A...", "...w", "..w.", "w..."])
    m = rts.action_masks(s, 0)[0, 0, 0]
    assert ATTACK_RANGE[rts.RANGED] == 3
    assert m[29 + attack_index(1, 3)] == 0  # dy^2 + dx^2 = 10 > 9
    assert m[29 + attack_index(2, 2)] == 1  # 8 <= 9 (a Manhattan range would say 4 > 3)
    assert m[29 + attack_index(3, 0)] == 1  # 9 <= 9
    assert m[29:].sum() == 2 and m[ATTACK]


def test_moves_into_the_same_cell_all_fail():
    s = games(["W.w"])
    rts.step(s, order(s, 0, 0, MOVE, EAST), order(s, 0, 2, MOVE, WEST))
    assert s.act.sum() == 0 and not s.reserved.any() and s.illegal.sum() == 0
    run(s, MOVE_TIME[rts.WORKER])
    assert s.kind[0, 0, 1] == rts.EMPTY and s.kind[0, 0, 0] == rts.WORKER and s.kind[0, 0, 2] == rts.WORKER


def test_own_units_contesting_a_cell_fail_too():
    s = games([".W.", "W..", "..w"])
    a = order(s, 0, 1, MOVE, WEST) + order(s, 1, 0, MOVE, NORTH)
    rts.step(s, a, idle(s))
    assert s.act.sum() == 0 and s.illegal.sum() == 0


def test_swap_and_chain_are_not_legal_moves():
    s = games(["WW.w"])
    masks = rts.action_masks(s, 0)
    assert masks[0, 0, 0, 6 + EAST] == 0  # the cell ahead is occupied at the start of the tick
    a = order(s, 0, 0, MOVE, EAST) + order(s, 0, 1, MOVE, EAST)  # a chain: the front one moves alone
    rts.step(s, a, idle(s))
    assert s.illegal[0, 0] == 1
    run(s, MOVE_TIME[rts.WORKER] - 2)
    assert s.kind[0, 0, 2] == rts.EMPTY and s.reserved[0, 0, 2]
    run(s, 1)
    assert s.kind[0, 0, 0] == rts.WORKER and s.kind[0, 0, 1] == rts.EMPTY and s.kind[0, 0, 2] == rts.WORKER


def test_busy_units_ignore_new_orders():
    s = games(["W..w"])
    rts.step(s, order(s, 0, 0, MOVE, EAST), idle(s))
    rts.step(s, order(s, 0, 0, MOVE, SOUTH), idle(s))
    assert s.illegal[0, 0] == 1 and s.act[0, 0, 0] == MOVE and s.ticks_left[0, 0, 0] == MOVE_TIME[rts.WORKER] - 2


def test_elimination_ends_the_game_and_freezes_it():
    s = games(["Lw."])
    rts.step(s, order(s, 0, 0, ATTACK, attack_index(0, 1)), idle(s))
    run(s, 3)
    assert not s.done[0]
    run(s, 1)
    assert s.done[0] and s.winner[0] == 0 and s.tick[0] == 5
    rts.step(s, idle(s), idle(s))
    assert s.tick[0] == 5


def test_tick_cap_is_a_draw():
    s = games(["W..w"], max_ticks=7)
    run(s, 6)
    assert not s.done[0]
    run(s, 1)
    assert s.done[0] and s.winner[0] == -1


def test_productions_that_together_overdraw_the_stock_all_fail():
    s = games([".B.", "...", "Wb."], start=5)  # a worker (1) and a barracks (5) cost 6 > 5
    a = order(s, 0, 1, PRODUCE, EAST, rts.WORKER) + order(s, 2, 0, PRODUCE, NORTH, rts.BARRACKS)
    rts.step(s, a, idle(s))
    assert s.resources[0, 0] == 5 and s.act.sum() == 0 and s.illegal.sum() == 0
    a = order(s, 0, 1, PRODUCE, EAST, rts.WORKER) + order(s, 2, 0, PRODUCE, NORTH, rts.BASE)
    s.resources[0, 0] = 11  # 1 + 10: now both are paid
    rts.step(s, a, idle(s))
    assert s.resources[0, 0] == 0 and s.act[0, 0, 1] == PRODUCE and s.act[0, 2, 0] == PRODUCE


def test_a_pile_too_small_for_its_harvesters_serves_none():
    s = games(["WRw"], pile=1)
    rts.step(s, order(s, 0, 0, HARVEST, EAST), order(s, 0, 2, HARVEST, WEST))
    run(s, HARVEST_TIME - 1)
    assert s.amount[0, 0, 0] == 0 and s.amount[0, 0, 2] == 0 and s.amount[0, 0, 1] == 1
    s.amount[0, 0, 1] = 2  # enough for both
    rts.step(s, order(s, 0, 0, HARVEST, EAST), order(s, 0, 2, HARVEST, WEST))
    run(s, HARVEST_TIME - 1)
    assert s.amount[0, 0, 0] == 1 and s.amount[0, 0, 2] == 1 and s.kind[0, 0, 1] == rts.EMPTY


def _mirrored(s: rts.RtsState) -> rts.RtsState:
    """The game turned half a turn with the players' roles swapped."""
    m = copy.deepcopy(s)
    h, w = s.wall.shape
    for name in ("kind", "owner", "hp", "amount", "act", "act_target", "act_unit", "ticks_left", "reserved"):
        setattr(m, name, np.ascontiguousarray(getattr(s, name)[:, ::-1, ::-1]))
    m.owner = np.where(m.owner >= 0, 1 - m.owner, m.owner).astype(np.int8)
    m.act_target = ((h - 1 - m.act_target // w) * w + (w - 1 - m.act_target % w)).astype(np.int32)
    m.resources = np.ascontiguousarray(s.resources[:, ::-1])
    m.winner = np.where(s.winner >= 0, 1 - s.winner, -1).astype(np.int8)
    m.wall = np.ascontiguousarray(s.wall[::-1, ::-1])
    return m


def _mirrored_actions(a: np.ndarray) -> np.ndarray:
    b = np.ascontiguousarray(a[:, ::-1, ::-1]).copy()
    b[..., 1:5] = (b[..., 1:5] + 2) % 4  # north <-> south, east <-> west
    b[..., 6] = 48 - b[..., 6]  # (dy, dx) -> (-dy, -dx)
    return b


def test_rules_favour_neither_player_nor_corner():
    """Stepping a mirrored game with mirrored actions gives the mirrored result, tick after tick."""
    s = rts.new_games(rts.load_map("8x8_basesworkers"), 16, max_ticks=300)
    rng = np.random.default_rng(1)
    fields = ("kind", "owner", "hp", "amount", "act", "ticks_left", "reserved", "resources", "done", "winner")
    for _ in range(800):
        a0, a1 = (rts.sample_actions(rts.action_masks(s, p), rng) for p in (0, 1))
        m = _mirrored(s)
        rts.step(m, _mirrored_actions(a1), _mirrored_actions(a0))
        rts.step(s, a0, a1)
        back = _mirrored(m)
        for name in fields:
            assert np.array_equal(getattr(back, name), getattr(s, name)), name
        rts.reset_games(s, s.done)


def _legal(s: rts.RtsState, g: int, y: int, x: int, p: int, a: np.ndarray) -> bool:
    """The legality rules again, written plainly, to check the masks against."""
    if a[0] == NOOP:
        return True
    k, h, w = s.kind[g, y, x], *s.wall.shape
    if s.owner[g, y, x] != p or k < rts.BASE or s.act[g, y, x] != 0:
        return False
    if a[0] == ATTACK:
        dy, dx = a[6] // 7 - 3, a[6] % 7 - 3
        ty, tx = y + dy, x + dx
        return (0 <= ty < h and 0 <= tx < w and dy * dy + dx * dx <= ATTACK_RANGE[k] ** 2
                and k >= rts.WORKER and s.owner[g, ty, tx] == 1 - p)
    d = a[{MOVE: 1, HARVEST: 2, RETURN: 3, PRODUCE: 4}[a[0]]]
    ty, tx = y + (-1, 0, 1, 0)[d], x + (0, 1, 0, -1)[d]
    if not (0 <= ty < h and 0 <= tx < w):
        return False
    free = not s.wall[ty, tx] and s.kind[g, ty, tx] == rts.EMPTY and not s.reserved[g, ty, tx]
    if a[0] == MOVE:
        return free and k >= rts.WORKER
    if a[0] == HARVEST:
        return k == rts.WORKER and s.amount[g, y, x] == 0 and s.kind[g, ty, tx] == rts.RESOURCE
    if a[0] == RETURN:
        return (k == rts.WORKER and s.amount[g, y, x] > 0 and s.kind[g, ty, tx] == rts.BASE
                and s.owner[g, ty, tx] == p)
    makes = {rts.BASE: {rts.WORKER}, rts.BARRACKS: {rts.LIGHT, rts.HEAVY, rts.RANGED},
             rts.WORKER: {rts.BASE, rts.BARRACKS}}.get(k, set())
    return free and a[5] in makes and s.resources[g, p] >= COST[a[5]]


def _check_consistent(s: rts.RtsState) -> None:
    units = s.kind >= 0
    assert (s.hp[units] > 0).all() and (s.hp[~units] == 0).all()
    assert (s.hp[units] <= HIT_POINTS[s.kind[units]]).all()
    assert not (units & s.wall).any() and not (s.reserved & units).any()
    assert (s.resources >= 0).all() and (s.amount >= 0).all()
    busy_claims = ((s.act == MOVE) | (s.act == PRODUCE)).sum()
    assert s.reserved.sum() == busy_claims  # every reservation belongs to a move or production in progress


# On 16x16 random armies seldom meet within this budget; 8x8 covers attacks.
@pytest.mark.parametrize("map_name, types_seen", [("8x8_basesworkers", [MOVE, HARVEST, RETURN, PRODUCE, ATTACK]),
                                                  ("16x16_basesworkers", [MOVE, HARVEST, RETURN, PRODUCE])])
def test_random_legal_play_never_breaks_a_rule(map_name, types_seen):
    s = rts.new_games(rts.load_map(map_name), 8, max_ticks=400)
    rng = np.random.default_rng(0)
    seen = np.zeros(6, dtype=np.int64)
    for _ in range(1500):
        chosen = [rts.sample_actions(rts.action_masks(s, p), rng) for p in (0, 1)]
        for p, a in enumerate(chosen):
            for g, y, x in zip(*np.nonzero(a[..., 0])):
                if not s.done[g]:
                    assert _legal(s, g, y, x, p, a[g, y, x]), (p, g, y, x, a[g, y, x])
                    seen[a[g, y, x, 0]] += 1
        rts.step(s, *chosen)
        _check_consistent(s)
        rts.reset_games(s, s.done)
    assert s.illegal.sum() == 0
    assert (seen[types_seen] > 0).all(), seen  # the action types were exercised


def test_masks_allow_exactly_the_legal_actions():
    """Every (type, parameter) pair the mask allows is legal, and every legal one is allowed."""
    s = rts.new_games(rts.load_map("8x8_basesworkers"), 4, max_ticks=10_000)
    rng = np.random.default_rng(2)
    checked = 0
    for tick in range(600):
        masks = [rts.action_masks(s, p) for p in (0, 1)]
        if tick % 10 == 0:
            for p in (0, 1):
                for g, y, x in zip(*np.nonzero(s.owner == p)):
                    m = masks[p][g, y, x]
                    for t, slot, first, size in ((MOVE, 1, 6, 4), (HARVEST, 2, 10, 4), (RETURN, 3, 14, 4),
                                                 (ATTACK, 6, 29, 49)):
                        for v in range(size):
                            a = np.zeros(7, dtype=np.int32)
                            a[0], a[slot] = t, v
                            assert _legal(s, g, y, x, p, a) == (m[t] and m[first + v]), (t, v)
                            checked += 1
                    for d in range(4):
                        for u in range(7):
                            a = np.array([PRODUCE, 0, 0, 0, d, u, 0], dtype=np.int32)
                            assert _legal(s, g, y, x, p, a) == (m[PRODUCE] and m[18 + d] and m[22 + u])
        rts.step(s, *(rts.sample_actions(masks[p], rng) for p in (0, 1)))
    assert checked > 1000


def test_shipped_maps_load():
    m = rts.load_map("8x8_basesworkers")
    assert (m.width, m.height, m.start_resources) == (8, 8, 5)
    assert (m.kind == rts.BASE).sum() == 2 and (m.amount[m.kind == rts.RESOURCE] == 25).all()
    assert rts.load_map("16x16_basesworkers").wall.sum() == 6


@pytest.mark.parametrize("text, where", [
    ("size 3 1\nW.ww", ":2:4"),  # one cell too many
    ("size 3 1\nW?w", ":2:2"),  # unknown character
    ("size 3 2\nW.w", ":2"),  # a row missing
    ("size 3 1\nW..", "player 1 has no units"),
    ("resources 3\nsize 3 1\nW.w", ":1"),
])
def test_malformed_maps_name_the_place(text, where):
    with pytest.raises(ValueError, match=where):
        rts.parse_map(text, source="m.txt")


def test_grid_text_gives_back_the_map_rows():
    path = rts.maps.MAPS_DIR / "16x16_basesworkers.txt"
    rows = path.read_text().splitlines()[-16:]
    m = rts.load_map("16x16_basesworkers")
    assert rts.grid_text(m.kind, m.owner, m.wall) == "\n".join(rows)
    s = games(["W.hK", "#bR."])
    assert rts.grid_text(s.kind[0], s.owner[0], s.wall) == "W.hK\n#bR."


def test_unknown_map_name_lists_the_shipped_ones():
    with pytest.raises(ValueError, match="8x8_basesworkers"):
        rts.load_map("no_such_map")
