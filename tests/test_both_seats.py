"""Self-play that trains both seats, per-game snapshot opponents, and auxiliary targets.

Checked against independent routes: GAE with sign flips against plain GAE in a fixed (seat 0)
frame; rewards and returns against the toy game's known result; final targets against the
board transform the observations use; ownership against hand-scored positions.
"""

from __future__ import annotations

import numpy as np
import torch
from agentctl.envs.go.engine import GoEngine
from agentctl.games import DihedralAugment, _transform
from agentctl.nn.mlp import build_mlp
from agentctl.plugins.go import make_games
from agentctl.ppo.advantages import gae
from agentctl.ppo.rollout import Collector
from agentctl.selfplay import OpponentPool, SelfPlayVecEnv
from gymnasium import spaces
from test_selfplay import PickGame


def _pool(policy, weights, tmp_path=None, seed=0, make=None):
    make = make or (lambda: build_mlp(spaces.Box(0, 1, (5,)), spaces.Discrete(3)))
    return OpponentPool(policy, make, weights, None, tmp_path, 5, seed)


def test_gae_signs_equal_plain_gae_in_seat_zeros_frame():
    """Negamax GAE (values and rewards each from their mover's view) equals plain GAE computed
    in one fixed frame, mapped back to each mover's view."""
    g = torch.Generator().manual_seed(0)
    T, N = 12, 5
    rewards = torch.randn(T, N, generator=g)
    values = torch.randn(T, N, generator=g)
    next_values = torch.cat([values[1:], torch.randn(1, N, generator=g)])
    dones = (torch.rand(T, N, generator=g) < 0.2).float()
    terminated = dones.clone()
    signs = torch.where(torch.rand(T, N, generator=g) < 0.7, -1.0, 1.0)
    signs[dones.bool()] = 1.0  # the flag is only set within a game
    # p_t: +1 when step t's mover is the frame's, -1 otherwise (reset to +1 after an episode).
    p = torch.ones(T + 1, N)
    for t in range(T):
        p[t + 1] = torch.where(dones[t].bool(), torch.ones(N), p[t] * signs[t])
    frame_next = p[1:] * next_values
    # Where an episode ended, next_values belongs to that episode: it is the same frame as t.
    frame_next = torch.where(dones.bool(), p[:-1] * signs * next_values, frame_next)
    adv_frame, _ = gae(p[:-1] * rewards, p[:-1] * values, frame_next, terminated, dones, 0.97, 0.9)
    adv, ret = gae(rewards, values, next_values, terminated, dones, 0.97, 0.9, signs=signs)
    torch.testing.assert_close(adv, p[:-1] * adv_frame)
    torch.testing.assert_close(ret, adv + values)
    plain, _ = gae(rewards, values, next_values, terminated, dones, 0.97, 0.9)
    assert not torch.allclose(adv, plain)  # the signs matter on this data


def test_both_seats_show_every_turn_with_each_movers_reward():
    policy = build_mlp(spaces.Box(0, 1, (5,)), spaces.Discrete(3))
    env = SelfPlayVecEnv(PickGame(4), _pool(policy, {"latest": 1.0}), both_seats=True)
    obs, _ = env.reset(seed=0)
    assert env.both.all()
    assert (obs["observation"][:, 0] == 1).all()  # every game waits for seat 0: no opponent moved
    obs, reward, term, _, info = env.step(np.ones(4, dtype=np.int64))  # seat 0 plays paper
    assert not term.any() and (reward == 0).all() and info["next_is_opponent"].all()
    assert (obs["observation"][:, 1] == 1).all() and (obs["observation"][:, 3] == 1).all()  # seat 1's turn
    _, reward, term, _, info = env.step(np.zeros(4, dtype=np.int64))  # seat 1 plays rock: loses
    assert term.all() and not info["next_is_opponent"].any()
    np.testing.assert_array_equal(reward, [-1.0] * 4)  # the mover's result, whichever seat the slot began as
    assert info["unscored"].all()  # a game against itself is no one player's return


def test_one_seat_without_the_flag_or_against_others():
    policy = build_mlp(spaces.Box(0, 1, (5,)), spaces.Discrete(3))
    for weights, both in (({"latest": 1.0}, False), ({"random": 1.0}, True)):
        env = SelfPlayVecEnv(PickGame(4), _pool(policy, weights), both_seats=both)
        obs, _ = env.reset(seed=0)
        assert not env.both.any()
        np.testing.assert_array_equal(obs["observation"][:, 1], [0, 1, 0, 1])  # learner's seat alternates


def test_both_seat_returns_have_each_seats_sign():
    """Collected and advantaged end to end (gamma = lambda = 1): each turn's return is the game's
    result from that turn's mover's view."""
    torch.manual_seed(0)
    policy = build_mlp(spaces.Box(0, 1, (5,)), spaces.Discrete(3))
    game = PickGame(8)
    env = SelfPlayVecEnv(game, _pool(policy, {"latest": 1.0}), both_seats=True)
    collector = Collector(env, num_steps=6, device=torch.device("cpu"), seed=0)
    r, finished = collector.collect(policy, torch.Generator().manual_seed(1))
    assert r.dones.sum() > 0 and finished == []  # games against itself report no returns
    _, returns = gae(r.rewards, r.values, r.next_values, r.terminated, r.dones, 1.0, 1.0, signs=r.signs)
    checked = 0
    for i in range(game.num_games):
        moves = r.actions[:, i].tolist()
        valid = r.valid[:, i].tolist()
        for t in range(5):
            # A first move (seat 0) at t followed by the game's second move at t + 1.
            if valid[t] and valid[t + 1] and r.signs[t, i] == -1 and r.dones[t + 1, i] == 1:
                a, b = moves[t], moves[t + 1]
                seat0 = 1.0 if (a - b) % 3 == 1 else (-1.0 if (b - a) % 3 == 1 else 0.0)
                assert abs(returns[t, i] - seat0) < 1e-6 and abs(returns[t + 1, i] + seat0) < 1e-6
                checked += 1
    assert checked >= 8


def test_a_games_snapshot_never_changes_mid_game(tmp_path):
    torch.manual_seed(0)
    games = make_games(6, seed=0, board_size=7)
    from agentctl.nn.resnet import build_resnet

    def make():
        return build_resnet(games.observation_space, games.action_space, blocks=1, channels=8)

    learner = make()
    pool = OpponentPool(learner, make, {"snapshot": 1.0}, None, tmp_path, 5, 0)
    for step in (1, 2):
        with torch.no_grad():
            for p in learner.parameters():
                p.add_(0.1)
        pool.add_snapshot(step)
    env = SelfPlayVecEnv(games, pool, both_seats=True)
    acted: list[tuple[torch.nn.Module, int]] = []
    real_opponent = pool.opponent

    def opponent(name_index, snapshot=None):
        opp = real_opponent(name_index, snapshot)
        real_act = opp.act

        def act(obs, mask, *, game=None, index=None):
            acted.extend((opp.module, int(i)) for i in index)  # the net that really moved
            return real_act(obs, mask, game=game, index=index)

        opp.act = act
        return opp

    pool.opponent = opponent
    obs, _ = env.reset(seed=0)
    assert not env.both.any() and all(p is not None for p in env.snapshot_of)
    start = list(env.snapshot_of)
    rng = np.random.default_rng(0)
    for k in range(12):
        if k % 3 == 0:
            pool.add_snapshot(10 + k)  # the pool grows under the games in play
        # No passes (the snapshot nets may pass; the learner never does here): 12 turns on 7x7
        # leave every game in play.
        actions = np.array([rng.choice(np.flatnonzero(m[:-1])) for m in obs["action_mask"]])
        obs, _, done, _, _ = env.step(actions)
        assert not done.any()
    # Every opponent move of every game came from the snapshot the game began with.
    assert len(acted) >= 6 * 12 and all(module is pool.module(start[i]) for module, i in acted)
    assert len(set(start)) > 1 and len(pool.snapshots) == 5


def test_ownership_matches_hand_scored_positions():
    e = GoEngine(1, 5, komi=0.5)
    B, W = 1, 2
    board = np.array([
        [0, B, 0, W, 0],
        [B, B, 0, W, W],
        [0, B, W, 0, 0],
        [B, B, W, 0, 0],
        [0, B, W, 0, 0],
    ])
    e.load_board(0, board)
    expected = np.array([
        [1, 1, 0, -1, -1],   # (0,2) and (1,2) touch both colours: neither's
        [1, 1, 0, -1, -1],
        [1, 1, -1, -1, -1],
        [1, 1, -1, -1, -1],
        [1, 1, -1, -1, -1],
    ])
    np.testing.assert_array_equal(e.ownership(0).reshape(5, 5), expected)
    assert e.scores()[0] == expected.sum() - 0.5  # the per-point owners add up to the area score
    e.load_board(0, np.zeros((5, 5), int))
    np.testing.assert_array_equal(e.ownership(0), 0)  # an empty board reaches no colour


def test_final_targets_arrive_in_each_turns_frame_and_seat():
    torch.manual_seed(0)
    games = make_games(4, seed=3, board_size=5, max_moves=30)
    assert isinstance(games, DihedralAugment)
    policy = build_mlp(spaces.Box(0, 1, (5,)), spaces.Discrete(3))
    env = SelfPlayVecEnv(games, _pool(policy, {"random": 1.0}, seed=1))
    obs, _ = env.reset(seed=0)
    shown = [[] for _ in range(4)]  # (frame, seat) of each learner turn of the game in play
    rng = np.random.default_rng(0)
    delivered = 0
    for _ in range(60):
        frames = games.frame.copy()
        # A finished game's final observation has no legal move (its action is ignored).
        actions = np.array([rng.choice(np.flatnonzero(m)) if m.any() else 0 for m in obs["action_mask"]])
        live = ~env.prev_done
        for i in np.flatnonzero(live):
            shown[i].append((int(frames[i]), int(env.seat[i])))
        reals = {}
        obs, _, done, _, info = env.step(actions)
        for i in np.flatnonzero(done & live):
            reals[i] = games.games.engine.ownership(int(i)).reshape(5, 5).astype(np.float32)
        for i, targets in info.get("aux_targets", {}).items():
            own = targets["ownership"]
            assert len(own) == len(shown[i])
            for row, (frame, seat) in zip(own, shown[i]):
                want = _transform(reals[i], frame).reshape(-1) * (1 if seat == 0 else -1)
                np.testing.assert_array_equal(row, want)
            np.testing.assert_allclose(targets["score"], games.games.engine.score[i] * np.array(
                [1 if s == 0 else -1 for _, s in shown[i]]))
            delivered += 1
        for i in np.flatnonzero(env.prev_done):
            shown[i] = []
    assert delivered >= 4
