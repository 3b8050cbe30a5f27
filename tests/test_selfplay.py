"""Self-play adapter, opponent pool, symmetry augmentation and game eval (core, env-agnostic)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from agentctl.games import DihedralAugment, PettingZooGames, _transform
from agentctl.nn.mlp import build_mlp
from agentctl.selfplay import OpponentPool, RandomOpponent, SelfPlayVecEnv
from gymnasium import spaces


class PickGame:
    """Two moves per game (seat 0 then seat 1), 3 actions. Seat 0 wins if its action
    beats seat 1's (rock-paper-scissors: a beats (a+2)%3), loses if beaten, else draw.
    Observation: one-hot of seat to move and of the first move so far."""

    def __init__(self, num_games: int) -> None:
        self.num_games = num_games
        self.observation_space = spaces.Box(0.0, 1.0, (5,), np.float32)
        self.action_space = spaces.Discrete(3)
        self.first = np.full(num_games, -1)
        self.second = np.full(num_games, -1)

    def reset(self, seed=None):
        self.first[:] = -1
        self.second[:] = -1

    def reset_games(self, index):
        self.first[index] = -1
        self.second[index] = -1

    def to_play(self):
        return (self.first >= 0).astype(np.int64)

    def observe(self):
        obs = np.zeros((self.num_games, 5), np.float32)
        obs[np.arange(self.num_games), self.to_play()] = 1.0
        has = self.first >= 0
        obs[np.flatnonzero(has), 2 + self.first[has]] = 1.0
        mask = np.ones((self.num_games, 3), bool)
        mask[self.done()] = False
        return obs, mask

    def step(self, actions, active):
        for i in np.flatnonzero(active):
            if self.first[i] < 0:
                self.first[i] = actions[i]
            elif self.second[i] < 0:
                self.second[i] = actions[i]

    def done(self):
        return self.second >= 0

    def outcome(self):
        a, b = self.first, self.second
        out = np.where((a - b) % 3 == 1, 1.0, np.where((b - a) % 3 == 1, -1.0, 0.0))
        return np.where(self.done(), out, 0.0).astype(np.float32)


class Fixed:
    """An opponent that always plays one action."""

    def __init__(self, action: int) -> None:
        self.action = action

    def act(self, observation, action_mask, **_):
        return np.full(len(observation), self.action)


def _pool(policy, weights, fixed=None, tmp_path=None, seed=0):
    return OpponentPool(policy, lambda: build_mlp(spaces.Box(0, 1, (5,)), spaces.Discrete(3)), weights,
                        fixed, tmp_path, 5, seed)


def test_rewards_are_from_the_learners_seat_for_both_colours():
    policy = build_mlp(spaces.Box(0, 1, (5,)), spaces.Discrete(3))
    env = SelfPlayVecEnv(PickGame(4), _pool(policy, {"rock": 1.0}, {"rock": Fixed(0)}))
    obs, _ = env.reset(seed=0)
    # Seat 0 (games 0, 2) moves first; seat 1 (games 1, 3): the opponent already played rock.
    assert obs["observation"][1, 2] == 1.0 and obs["observation"][0, 2] == 0.0
    # Everyone plays paper (1): paper beats rock. Games 0/2: learner paper first, then
    # opponent rock -> seat 0 (learner) wins. Games 1/3: opponent rock first, learner paper
    # second -> seat 1 (learner) wins. Both must read +1 for the learner.
    _, reward, term, trunc, _ = env.step(np.ones(4, dtype=np.int64))
    assert term.all() and not trunc.any()
    np.testing.assert_array_equal(reward, [1.0, 1.0, 1.0, 1.0])
    # Next step is the NEXT_STEP reset: no reward, games restart.
    _, reward, term, _, _ = env.step(np.zeros(4, dtype=np.int64))
    assert not term.any() and (reward == 0).all()
    # Scissors (2) loses to rock for both colours.
    _, reward, term, _, _ = env.step(np.full(4, 2))
    np.testing.assert_array_equal(reward, [-1.0, -1.0, -1.0, -1.0])


def test_draws_are_zero_and_seats_alternate():
    policy = build_mlp(spaces.Box(0, 1, (5,)), spaces.Discrete(3))
    env = SelfPlayVecEnv(PickGame(6), _pool(policy, {"rock": 1.0}, {"rock": Fixed(0)}))
    env.reset(seed=0)
    np.testing.assert_array_equal(env.seat, [0, 1, 0, 1, 0, 1])
    _, reward, term, _, _ = env.step(np.zeros(6, dtype=np.int64))
    assert term.all() and (reward == 0).all()


def test_pool_snapshots_sample_and_restore(tmp_path):
    policy = build_mlp(spaces.Box(0, 1, (5,)), spaces.Discrete(3))
    pool = _pool(policy, {"latest": 1.0, "snapshot": 1.0, "random": 1.0}, tmp_path=tmp_path, seed=3)
    for step in (10, 20, 30):
        with torch.no_grad():
            for p in policy.parameters():
                p.add_(1.0)
        pool.add_snapshot(step)
    assert len(pool.snapshots) == 3 and all((tmp_path / f"step_{s:012d}.pt").exists() for s in (10, 20, 30))
    state = pool.state_dict()
    expected_samples = pool.sample(50)
    expected_picks = [pool.pick_snapshot() for _ in range(5)]

    fresh = _pool(build_mlp(spaces.Box(0, 1, (5,)), spaces.Discrete(3)),
                  {"latest": 1.0, "snapshot": 1.0, "random": 1.0}, tmp_path=tmp_path, seed=99)
    fresh.load_state_dict(state)
    assert fresh.snapshots == pool.snapshots
    np.testing.assert_array_equal(fresh.sample(50), expected_samples)
    assert [fresh.pick_snapshot() for _ in range(5)] == expected_picks
    assert len(set(expected_picks)) > 1
    # A snapshot's module holds the snapshot's weights, not the learner's, and is built once.
    path = expected_picks[0]
    snap = torch.load(path, weights_only=False)["model"]
    for name, value in fresh.module(path).state_dict().items():
        assert torch.equal(value, snap[name])
    assert fresh.module(path) is fresh.module(path)
    # All three names get sampled.
    assert set(np.unique(pool.sample(300))) == {0, 1, 2}


def test_pool_rejects_unknown_and_bad_weights():
    from agentctl.errors import UserError

    policy = build_mlp(spaces.Box(0, 1, (5,)), spaces.Discrete(3))
    with pytest.raises(UserError, match="unknown opponents"):
        _pool(policy, {"gnugoo": 1.0})
    with pytest.raises(UserError, match="non-negative"):
        _pool(policy, {"latest": 0.0})


def test_random_opponent_only_plays_legal_moves():
    rng = np.random.default_rng(0)
    mask = rng.random((500, 7)) < 0.3
    mask[np.arange(500), rng.integers(0, 7, 500)] = True
    acts = RandomOpponent(1).act(np.zeros((500, 1)), mask)
    assert mask[np.arange(500), acts].all()
    assert len(np.unique(acts)) == 7


def test_dihedral_augment_is_consistent_with_the_real_board():
    go = pytest.importorskip("agentctl.envs.go.turn_based")
    games = go.GoGames(16, board_size=7)
    aug = DihedralAugment(games, seed=0)
    aug.reset()
    rng = np.random.default_rng(1)
    for _ in range(30):
        real_obs, real_mask = games.observe()
        obs, mask = aug.observe()
        n2 = 49
        for i in range(16):
            k = aug.frame[i]
            np.testing.assert_array_equal(obs[i], _transform(real_obs[i], k))
            np.testing.assert_array_equal(mask[i, :n2], real_mask[i, aug.gather[k]])
            assert mask[i, n2] == real_mask[i, n2]  # pass is not moved
        live = ~aug.done()
        if not live.any():
            break
        acts = np.array([rng.choice(np.flatnonzero(m)) if m.any() else 0 for m in mask])
        before = games.engine.stones.copy()
        mover = games.engine.to_play.copy()
        aug.step(acts, live)
        for i in np.flatnonzero(live & (acts < n2)):
            real_point = aug.gather[aug.frame[i], acts[i]]
            assert before[i, real_point] == 0 and games.engine.stones[i, real_point] == mover[i]


def test_pettingzoo_adapter_outcome_and_turns():
    from agentctl.envs.go import env as go_env

    games = PettingZooGames(lambda: go_env(board_size=5), 2, seed=0)
    games.reset(seed=0)
    np.testing.assert_array_equal(games.to_play(), [0, 0])
    pass_ = 25
    # Game 0: black takes the centre, then both pass: black owns the board (25 - 7.5 komi).
    # Game 1: both pass at once: an empty board, white wins by komi.
    games.step(np.array([12, pass_]), np.array([True, True]))
    np.testing.assert_array_equal(games.to_play(), [1, 1])
    games.step(np.array([pass_, pass_]), np.array([True, True]))
    assert games.done().tolist() == [False, True]
    games.step(np.array([pass_, 0]), np.array([True, False]))
    assert games.done().all()
    np.testing.assert_array_equal(games.outcome(), [1.0, -1.0])


def _wilson_by_bisection(wins: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Independent reference: the Wilson interval is {p0 : |p - p0| <= z sqrt(p0 (1 - p0) / n)}."""
    p = wins / n

    def inside(p0: float) -> bool:
        return abs(p - p0) <= z * np.sqrt(p0 * (1 - p0) / n)

    def edge(lo: float, hi: float) -> float:  # lo outside, hi inside (or reversed)
        for _ in range(200):
            mid = (lo + hi) / 2
            if inside(mid) == inside(hi):
                hi = mid
            else:
                lo = mid
        return (lo + hi) / 2

    return edge(0.0, p), edge(1.0, p)


def test_play_games_alternates_colours_and_counts():
    from agentctl.config import resolve
    from agentctl.evaluate import play_games, wilson_interval
    from agentctl.registry import EnvSpec, Registry

    registry = Registry()
    registry.registrar("policy", "test", [])("mlp", build_mlp)
    spec = EnvSpec("pick", lambda **k: PickGame(4), "multi", "test")
    policy = build_mlp(spaces.Box(0, 1, (5,)), spaces.Discrete(3))
    result = play_games(registry, spec, resolve(), policy, PickGame(4), "random", 10, seed=0)
    assert result["games"] == 10
    assert result["games_as_first"] == 5 and result["games_as_second"] == 5
    assert abs(result["win_rate"] + result["draw_rate"] + result["loss_rate"] - 1) < 1e-9
    for wins, n in ((7, 10), (0, 20), (50, 50), (33, 100)):
        np.testing.assert_allclose(wilson_interval(wins, n), _wilson_by_bisection(wins, n), atol=1e-6)
