"""RTS observations and the PettingZoo ParallelEnv: planes checked cell by cell on a hand-built position,
masks against the rules, endings and rewards, determinism, and PettingZoo's own API test."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from agentctl.envs import rts
from agentctl.envs.rts import ATTACK, MOVE, PLANE_NAMES, attack_index

SOUTH, WEST = 2, 3


def tiny_map(rows: list[str], pile: int = 25, start: int = 5) -> rts.RtsMap:
    return rts.parse_map(f"size {len(rows[0])} {len(rows)}\nresources {pile}\nstart {start}\n" + "\n".join(rows))


def noop(env: rts.RtsParallelEnv) -> np.ndarray:
    return np.zeros((env.map.height, env.map.width, 7), dtype=np.int64)


def on_planes(obs: np.ndarray, y: int, x: int) -> set[str]:
    return {PLANE_NAMES[i] for i in np.flatnonzero(obs[y, x])}


def test_parallel_api_test_passes():
    from pettingzoo.test import parallel_api_test

    env = rts.parallel_env(max_ticks=300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PettingZoo reports many API problems as warnings only
        parallel_api_test(env, num_cycles=400)


def test_observation_planes_of_a_hand_built_position_from_both_seats():
    env = rts.parallel_env(tiny_map(["RW.b",
                                     "#Lw.",
                                     "...."], pile=7))
    env.reset()
    env.state.amount[0, 0, 1] = 2  # the worker carries 2
    a0, a1 = noop(env), noop(env)
    a0[1, 1, 0], a0[1, 1, 1] = MOVE, SOUTH  # the light starts moving south (8 ticks)
    a1[1, 2, 0], a1[1, 2, 6] = ATTACK, attack_index(0, -1)  # the enemy worker starts hitting it (5 ticks)
    obs, *_ = env.step({"player_0": a0, "player_1": a1.reshape(-1)})  # one flat, one (H, W, 7)
    empty = {"hp_0", "resources_0", "owner_none", "type_none", "action_none"}
    for seat, agent in enumerate(("player_0", "player_1")):
        o = obs[agent]
        assert o.shape == (3, 4, 28) and o.dtype == np.uint8 and env.observation_space(agent).contains(o)
        own, enemy = ("owner_own", "owner_enemy") if seat == 0 else ("owner_enemy", "owner_own")
        assert on_planes(o, 0, 0) == {"hp_1", "resources_4+", "owner_none", "type_resource", "action_none"}
        assert on_planes(o, 0, 1) == {"hp_1", "resources_2", own, "type_worker", "action_none"}
        assert on_planes(o, 0, 3) == {"hp_4+", "resources_0", enemy, "type_base", "action_none"}
        assert on_planes(o, 1, 0) == empty | {"wall"}
        assert on_planes(o, 1, 1) == {"hp_4+", "resources_0", own, "type_light", "action_move"}
        assert on_planes(o, 1, 2) == {"hp_1", "resources_0", enemy, "type_worker", "action_attack"}
        assert on_planes(o, 2, 1) == empty  # reserved by the move, still empty
    for _ in range(4):  # the attack lands after 5 ticks: light 4 -> 3 hit points
        obs, *_ = env.step({})
    assert on_planes(obs["player_0"], 1, 1) == {"hp_3", "resources_0", "owner_own", "type_light", "action_move"}
    assert on_planes(obs["player_0"], 1, 2) == {"hp_1", "resources_0", "owner_enemy", "type_worker", "action_none"}


def test_batched_observe_is_one_hot_per_group():
    s = rts.new_games(rts.load_map("16x16_basesworkers"), 3)
    o = rts.observe(s, 1, dtype=np.float32)
    assert o.shape == (3, 16, 16, rts.N_PLANES) and o.dtype == np.float32
    for first, last in ((0, 5), (5, 10), (10, 13), (13, 21), (21, 27)):
        assert (o[..., first:last].sum(-1) == 1).all()
    assert np.array_equal(o[..., 27], np.broadcast_to(s.wall, (3, 16, 16)))


def test_infos_mask_equals_action_masks_during_a_random_game():
    env = rts.parallel_env(max_ticks=200)
    rng = np.random.default_rng(0)
    infos = env.reset(seed=0)[1]
    moved = 0
    while env.agents:
        for seat, agent in enumerate(("player_0", "player_1")):
            expected = rts.action_masks(env.state, seat)[0]
            assert np.array_equal(infos[agent]["action_mask"], expected)
            assert np.array_equal(env.action_mask(agent), expected)
        masks = np.stack([infos["player_0"]["action_mask"], infos["player_1"]["action_mask"]])
        a = rts.sample_actions(masks, rng)
        moved += int((a[..., 0] != 0).sum())
        infos = env.step({"player_0": a[0], "player_1": a[1]})[4]
    assert moved > 0 and env.state.illegal.sum() == 0  # legal orders were given, and none refused


def play_random(seed: int, rows: list[str] | None = None, max_ticks: int = 2000):
    """A whole game with random legal actions; the observations seen and the last step's results."""
    env = rts.parallel_env(tiny_map(rows) if rows else "8x8_basesworkers", max_ticks=max_ticks)
    rng = np.random.default_rng(seed)
    obs, infos = env.reset(seed=seed)
    seen = [obs["player_0"]]
    while env.agents:
        masks = np.stack([infos["player_0"]["action_mask"], infos["player_1"]["action_mask"]])
        a = rts.sample_actions(masks, rng)
        obs, rewards, term, trunc, infos = env.step({"player_0": a[0], "player_1": a[1]})
        seen.append(obs["player_0"])
    return env, np.stack(seen), rewards, term, trunc


@pytest.mark.parametrize("rows,max_ticks", [(None, 2000), (None, 100), (["W..w", "...."], 3000)])
def test_random_legal_game_ends_with_zero_sum_rewards(rows, max_ticks):
    env, seen, rewards, term, trunc = play_random(1, rows, max_ticks)
    assert set(rewards) == {"player_0", "player_1"} and sum(rewards.values()) == 0
    assert term["player_0"] != trunc["player_0"] and term == {a: term["player_0"] for a in term}
    winner = int(env.state.winner[0])
    if winner >= 0:
        assert term["player_0"] and rewards[f"player_{winner}"] == 1 and rewards[f"player_{1 - winner}"] == -1
    else:
        assert rewards == {"player_0": 0, "player_1": 0}
    if trunc["player_0"]:
        assert int(env.state.tick[0]) == env.state.max_ticks and len(seen) == env.state.max_ticks + 1
    assert env.agents == []


@pytest.mark.parametrize("rows,attacker", [(["Lw"], 0), (["lW"], 1)])
def test_elimination_terminates_with_win_and_loss(rows, attacker):
    env = rts.parallel_env(tiny_map(rows))
    env.reset()
    a = noop(env)
    x = 0  # the light is in column 0 and hits the worker east of it
    a[0, x, 0], a[0, x, 6] = ATTACK, attack_index(0, 1)
    winner, loser = f"player_{attacker}", f"player_{1 - attacker}"
    for t in range(5):  # an attack takes 5 ticks
        assert env.agents == ["player_0", "player_1"]
        _, rewards, term, trunc, _ = env.step({winner: a} if t == 0 else {})
    assert rewards == {winner: 1.0, loser: -1.0}
    assert term == {winner: True, loser: True} and trunc == {winner: False, loser: False}
    assert env.agents == []
    with pytest.raises(RuntimeError, match="reset"):
        env.step({})


def test_tick_cap_truncates_with_a_draw():
    env = rts.parallel_env(max_ticks=3)
    env.reset()
    for _ in range(3):
        _, rewards, term, trunc, _ = env.step({})
    assert rewards == {"player_0": 0.0, "player_1": 0.0}
    assert term == {"player_0": False, "player_1": False} and trunc == {"player_0": True, "player_1": True}


def test_same_seed_same_game():
    env_a, seen_a, *_ = play_random(7, max_ticks=300)
    env_b, seen_b, *_ = play_random(7, max_ticks=300)
    _, seen_c, *_ = play_random(8, max_ticks=300)
    assert np.array_equal(seen_a, seen_b) and np.array_equal(env_a.state.hp, env_b.state.hp)
    assert not np.array_equal(seen_a, seen_c)  # the seed matters: otherwise the test proves nothing
    # the action spaces are seeded by reset(seed) too
    samples = []
    for _ in range(2):
        env = rts.parallel_env()
        env.reset(seed=3)
        samples.append(env.action_space("player_1").sample())
    assert np.array_equal(samples[0], samples[1])


def test_spaces_render_and_bad_actions():
    env = rts.parallel_env(render_mode="ansi")
    env.reset()
    assert env.action_space("player_0").nvec.tolist() == [6, 4, 4, 4, 4, 7, 49] * 64
    assert env.observation_space("player_1").shape == (8, 8, 28)
    text = env.render()
    lines = text.splitlines()
    assert lines[0] == "tick 0  resources 5 / 5"
    assert lines[1:3] == ["RW......", ".B......"] and lines[-1] == "......wR" and len(lines) == 9
    with pytest.raises(ValueError, match="shape"):
        env.step({"player_0": np.zeros((8, 7), dtype=np.int64)})
    with pytest.raises(ValueError, match="render_mode"):
        rts.parallel_env(render_mode="human")
    assert rts.parallel_env().render() is None
