"""RtsGames, the training batch of RTS games: idle-tick skipping, views, shaping counters, pickling.

Positions are tiny maps whose numbers follow by hand from the unit table; the skipping is checked
against the plain one-tick rules fed the same decisions.
"""
from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
from agentctl.envs import rts
from agentctl.envs.rts import ATTACK, HARVEST, PRODUCE, RETURN, RtsGames, attack_index
from agentctl.envs.rts.units import (
    COST,
    DAMAGE,
    HARVEST_TIME,
    HIT_POINTS,
    PRODUCE_TIME,
    RETURN_TIME,
)

NORTH, EAST, SOUTH, WEST = range(4)
STATE_FIELDS = [f.name for f in dataclasses.fields(rts.RtsState) if f.name not in ("map", "max_ticks")]


def tiny(rows: list[str], start: int = 5, pile: int = 25) -> rts.RtsMap:
    return rts.parse_map(f"size {len(rows[0])} {len(rows)}\nresources {pile}\nstart {start}\n" + "\n".join(rows))


def order(g: RtsGames, y: int, x: int, kind: int, param: int = 0, unit: int = 0) -> np.ndarray:
    """Flat actions [B, H*W*7] for one seat: the unit at (y, x) does ``kind`` in every game."""
    a = np.zeros((g.num_games, g.map.height, g.map.width, 7), dtype=np.int64)
    a[:, y, x, 0] = kind
    slot = {HARVEST: 2, RETURN: 3, PRODUCE: 4, ATTACK: 6}.get(kind, 1)
    a[:, y, x, slot] = param
    a[:, y, x, 5] = unit
    return a.reshape(g.num_games, -1)


def noop(g: RtsGames) -> np.ndarray:
    return np.zeros((g.num_games, g.map.height * g.map.width * 7), dtype=np.int64)


def everyone(g: RtsGames) -> np.ndarray:
    return np.ones(g.num_games, dtype=np.bool_)


def random_actions(g: RtsGames, seat: int, rng: np.random.Generator) -> np.ndarray:
    return rts.sample_actions(rts.action_masks(g.state, seat), rng).reshape(g.num_games, -1)


def can_decide(state: rts.RtsState) -> np.ndarray:
    """[N] bool, from the masks alone: some cell of either seat may do something other than no-op."""
    return np.logical_or(*(rts.action_masks(state, p)[..., 1:6].any(axis=(1, 2, 3)) for p in (0, 1)))


def assert_same_state(a: rts.RtsState, b: rts.RtsState) -> None:
    for name in STATE_FIELDS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_skipping_idle_ticks_is_exact_and_stops_only_at_decision_points():
    """A skipping batch and a tick-by-tick batch fed the same decisions (no-ops on the skipped
    ticks) stay identical; every skipped tick offered no choice, every stop offers one."""
    skip = RtsGames(12, max_ticks=300, skip_idle=True)
    ticks = RtsGames(12, max_ticks=300, skip_idle=False)
    rng = np.random.default_rng(0)
    skipped = 0
    for _ in range(250):
        running = ~skip.done()
        assert can_decide(skip.state)[running].all()  # a step starts at a decision point
        a0, a1 = random_actions(skip, 0, rng), random_actions(skip, 1, rng)
        skip.step(a0, a1, everyone(skip))
        ticks.step(a0, a1, everyone(ticks))
        while (behind := (ticks.state.tick < skip.state.tick) & ~ticks.done()).any():
            assert not can_decide(ticks.state)[behind].any()  # nobody could have done anything here
            ticks.step(noop(ticks), noop(ticks), behind)
            skipped += int(behind.sum())
        assert_same_state(skip.state, ticks.state)
        over = np.nonzero(skip.done())[0]
        skip.reset_games(over)
        ticks.reset_games(over)
    assert skipped > 1000  # the skipping was exercised


def test_skipping_plays_through_busy_ticks_in_one_step():
    """Harvest and return with nobody else able to act: each order is one step, its ticks skipped."""
    g = RtsGames(1, map=tiny(["RWB.#b"], start=0), skip_idle=True, reward_weights={"harvest": 0.5})
    g.step(order(g, 0, 1, HARVEST, WEST), noop(g), everyone(g))
    assert g.state.tick[0] == HARVEST_TIME and g.state.amount[0, 0, 1] == 1
    assert g.state.harvested[0, 0] == 0 and (g.step_rewards() == 0).all()
    g.step(order(g, 0, 1, RETURN, EAST), noop(g), everyone(g))
    assert g.state.tick[0] == HARVEST_TIME + RETURN_TIME
    assert g.state.harvested.tolist() == [[1, 0]] and g.state.resources[0, 0] == 1
    np.testing.assert_allclose(g.step_rewards(), [[0.5 * 1, 0]])


@pytest.mark.parametrize("rows, start, kind", [
    (["W.", "#b"], 0, rts.MOVE),
    (["WR", "#b"], 0, HARVEST),
    (["WB", "#b"], 0, RETURN),  # the worker is given a load below
    (["B.", "##", "b."], 1, PRODUCE),
    (["#L#", "#l#"], 0, ATTACK),
])
def test_one_legal_action_type_is_enough_for_a_decision_point(rows, start, kind):
    g = RtsGames(1, map=tiny(rows, start=start), max_ticks=100)
    if kind == RETURN:
        g.state.amount[0, 0, 0] = 1
    legal = [np.nonzero(rts.action_masks(g.state, p)[0, ..., 1:6].any(axis=(0, 1)))[0] + 1 for p in (0, 1)]
    assert set(np.concatenate(legal).tolist()) == {kind}  # the position offers that type and no other
    assert rts.decision_points(g.state).tolist() == [True]
    g.step(noop(g), noop(g), everyone(g))
    assert g.state.tick[0] == 1  # nothing changed, so the next tick is a decision point again


def test_tick_cap_counts_skipped_ticks():
    """After the base trains the worker, nobody can ever act: the step plays on to the cap, a draw."""
    g = RtsGames(1, map=tiny(["B.#w#"], start=COST[rts.WORKER]), max_ticks=70)
    g.step(order(g, 0, 0, PRODUCE, EAST, rts.WORKER), noop(g), everyone(g))
    assert g.done()[0] and g.state.tick[0] == 70 and g.outcome()[0] == 0
    assert g.state.kind[0, 0, 1] == rts.WORKER
    assert g.state.produced.tolist() == [[COST[rts.WORKER], 0]]
    np.testing.assert_allclose(g.step_rewards(), [[0.1 * COST[rts.WORKER], 0]])


def test_produced_counts_when_the_unit_appears():
    g = RtsGames(1, map=tiny(["B..b"], start=5), skip_idle=False)
    g.step(order(g, 0, 0, PRODUCE, EAST, rts.WORKER), noop(g), everyone(g))
    for _ in range(PRODUCE_TIME[rts.WORKER] - 2):
        g.step(noop(g), noop(g), everyone(g))
    assert g.state.produced[0, 0] == 0 and g.state.resources[0, 0] == 4  # paid, not yet produced
    g.step(noop(g), noop(g), everyone(g))
    assert g.state.produced.tolist() == [[1, 0]]
    np.testing.assert_allclose(g.step_rewards(), [[0.1, 0]])


def test_damage_dealt_counts_the_hit_points_an_attack_takes():
    g = RtsGames(3, map=tiny(["Ll..", "w..."]), skip_idle=False)
    # game 0: seat 0's light hits seat 1's light; game 1: nothing; game 2: seat 1's worker hits the light
    a0 = order(g, 0, 0, ATTACK, attack_index(0, 1))
    a0[1:] = 0
    a1 = order(g, 1, 0, ATTACK, attack_index(-1, 0))
    a1[:2] = 0
    for _ in range(5):
        assert (g.step_rewards() == 0).all() and (g.state.damage_dealt == 0).all()  # 5 ticks to land
        g.step(a0, a1, everyone(g))
        a0[:], a1[:] = 0, 0  # the attacks are under way: no more orders
    assert DAMAGE[rts.LIGHT] == 2 and DAMAGE[rts.WORKER] == 1
    assert g.state.damage_dealt.tolist() == [[2, 0], [0, 0], [0, 1]]
    assert g.state.hp[:, 0, 1].tolist() == [HIT_POINTS[rts.LIGHT] - 2, HIT_POINTS[rts.LIGHT], HIT_POINTS[rts.LIGHT]]
    assert g.state.hp[:, 0, 0].tolist() == [HIT_POINTS[rts.LIGHT]] * 2 + [HIT_POINTS[rts.LIGHT] - 1]
    np.testing.assert_allclose(g.step_rewards(), [[0.05 * 2, 0], [0, 0], [0, 0.05 * 1]])


def test_overkill_is_not_damage_and_outcomes_have_the_right_sign():
    g = RtsGames(2, map=tiny(["Lw", "lW"]), skip_idle=False)
    kill_w = order(g, 0, 0, ATTACK, attack_index(0, 1))  # seat 0's light hits seat 1's worker (1 hp)
    kill_w[1] = 0
    kill_W = order(g, 1, 0, ATTACK, attack_index(0, 1))  # seat 1's light hits seat 0's worker
    kill_W[0] = 0
    for _ in range(5):
        g.step(kill_w, kill_W, everyone(g))
        kill_w[:], kill_W[:] = 0, 0
    assert g.state.damage_dealt.tolist() == [[1, 0], [0, 1]]  # 1 hp taken, though a light deals 2
    assert not g.done().any()  # both still have a light
    g2 = RtsGames(2, map=tiny(["Lw"]), skip_idle=False)
    hit = order(g2, 0, 0, ATTACK, attack_index(0, 1))
    back = order(g2, 0, 1, ATTACK, attack_index(0, -1))
    hit[1], back[0] = 0, 0  # game 0: seat 0 kills the worker; game 1: the worker scratches the light
    for _ in range(5):
        g2.step(hit, back, everyone(g2))
        hit[:], back[:] = 0, 0
    assert g2.done().tolist() == [True, False] and g2.outcome()[0] == 1
    g3 = RtsGames(1, map=tiny(["Wl"]), skip_idle=False)
    g3.step(noop(g3), order(g3, 0, 1, ATTACK, attack_index(0, -1)), everyone(g3))
    for _ in range(4):
        g3.step(noop(g3), noop(g3), everyone(g3))
    assert g3.done()[0] and g3.outcome()[0] == -1


def test_shaping_anneals_over_game_steps():
    g = RtsGames(3, map=tiny(["Ll"]), skip_idle=False, shaping_anneal_steps=20, reward_weights={"damage": 1.0})
    g.state.done[2] = True  # a finished game takes no steps
    a0 = order(g, 0, 0, ATTACK, attack_index(0, 1))
    g.step(a0, noop(g), everyone(g))  # 2 game-steps
    g.step(noop(g), noop(g), np.array([True, False, True]))  # 1 more: only active running games count
    assert g.shaping_steps == 3
    for _ in range(2):
        g.step(noop(g), noop(g), everyone(g))
    assert g.shaping_steps == 7 and (g.step_rewards() == 0).all()
    g.step(noop(g), noop(g), everyone(g))  # game 0's attack lands (its 5th tick); game 1's is one tick behind
    np.testing.assert_allclose(g.step_rewards(), [[(1 - 7 / 20) * 1.0 * 2, 0], [0, 0], [0, 0]])
    g.step(noop(g), noop(g), np.array([False, True, True]))
    np.testing.assert_allclose(g.step_rewards(), [[0, 0], [(1 - 9 / 20) * 2, 0], [0, 0]])  # not stepped: 0
    g.shaping_steps = 25  # past the end of the annealing: no more shaping
    assert g._shaping_factor() == 0


def test_step_changes_only_active_running_games():
    g = RtsGames(6, max_ticks=300)
    rng = np.random.default_rng(1)
    for _ in range(40):
        g.step(random_actions(g, 0, rng), random_actions(g, 1, rng), everyone(g))
    g.state.done[5] = True  # a finished game is frozen even when active
    before = {name: getattr(g.state, name).copy() for name in STATE_FIELDS}
    active = np.array([True, False, True, False, False, True])
    g.step(random_actions(g, 0, rng), random_actions(g, 1, rng), active)
    moved = g.state.tick != before["tick"]
    assert moved.tolist() == [True, False, True, False, False, False]
    for name in STATE_FIELDS:
        if name != "wall":  # the one field shared by all games
            assert np.array_equal(getattr(g.state, name)[~moved], before[name][~moved]), name
    assert (g.step_rewards()[~moved] == 0).all()


def test_observe_is_the_documented_layout_and_changes_nothing():
    g = RtsGames(4, max_ticks=300)
    rng = np.random.default_rng(2)
    h, w = g.map.height, g.map.width
    assert g.observation_space.shape == (28, h, w) and g.observation_space.dtype == np.uint8
    assert (g.action_space.nvec == np.tile(rts.ACTION_NVEC, h * w)).all()
    def check_views() -> None:
        for seat in (0, 1):
            before = {name: getattr(g.state, name).copy() for name in STATE_FIELDS}
            obs, masks = g.observe(seat)
            assert all(np.array_equal(getattr(g.state, name), before[name]) for name in STATE_FIELDS)
            assert obs.shape == (4, 28, h, w) and obs.dtype == np.uint8
            assert np.array_equal(obs, rts.observe(g.state, seat).transpose(0, 3, 1, 2))
            assert masks.shape == (4, g.action_space.nvec.sum()) and masks.dtype == np.bool_
            assert np.array_equal(masks.reshape(4, h, w, 78), rts.action_masks(g.state, seat))
            obs[:], masks[:] = 0, False  # a copy: the next call does not see this
            again = g.observe(seat)
            assert np.array_equal(again[0], rts.observe(g.state, seat).transpose(0, 3, 1, 2))
            assert np.array_equal(again[1].reshape(4, h, w, 78), rts.action_masks(g.state, seat))

    for _ in range(3):
        check_views()
        for _ in range(10):
            g.step(random_actions(g, 0, rng), random_actions(g, 1, rng), everyone(g))
        check_views()  # the views follow a step ...
        g.reset_games(np.array([1]))
        assert g.state.tick[1] == 0 and g.state.tick[0] > 0
        check_views()  # ... and a reset


def test_pickled_games_play_on_identically():
    g = RtsGames(8, max_ticks=200, shaping_anneal_steps=1000)
    rng = np.random.default_rng(3)
    for _ in range(60):
        g.step(random_actions(g, 0, rng), random_actions(g, 1, rng), everyone(g))
        g.reset_games(np.nonzero(g.done())[0])
    g.observe(0)
    twin = pickle.loads(pickle.dumps(g))
    assert twin.shaping_steps == g.shaping_steps > 0
    for _ in range(60):
        a0, a1 = random_actions(g, 0, rng), random_actions(g, 1, rng)
        for games in (g, twin):
            games.step(a0, a1, everyone(games))
            games.reset_games(np.nonzero(games.done())[0])
        assert_same_state(g.state, twin.state)
        assert np.array_equal(g.step_rewards(), twin.step_rewards())
        assert all(np.array_equal(x, y) for x, y in zip(g.observe(1), twin.observe(1)))


@pytest.mark.parametrize("kwargs, key", [
    ({"num_games": 0}, "num_games"),
    ({"max_ticks": 0}, "max_ticks"),
    ({"reward_weights": {"harvets": 1.0}}, "harvets"),
    ({"reward_weights": {"damage": "lots"}}, "damage"),
    ({"shaping_anneal_steps": -1}, "shaping_anneal_steps"),
    ({"map": "no_such_map"}, "no_such_map"),
])
def test_bad_arguments_name_the_key(kwargs, key):
    with pytest.raises(ValueError, match=key):
        RtsGames(**{"num_games": 2, **kwargs})


def test_reward_weights_replace_only_the_keys_given():
    assert RtsGames(1, reward_weights={"damage": 0}).reward_weights == {**rts.DEFAULT_REWARD_WEIGHTS, "damage": 0.0}
    assert RtsGames(1).reward_weights == rts.DEFAULT_REWARD_WEIGHTS
    assert RtsGames(1, reward_weights={}).reward_weights == {"harvest": 0.0, "produce": 0.0, "damage": 0.0}
