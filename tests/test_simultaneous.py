"""Simultaneous-move games in the core: the turn view (SimultaneousTurns), self-play rewards
for both seats (outcomes and dense step rewards), MultiDiscrete random/legal actions, the
contract checker, and a short training run that beats random play."""

from __future__ import annotations

import numpy as np
import pytest
from agentctl.games import SimultaneousTurns, legal, random_actions
from agentctl.nn.mlp import build_mlp
from agentctl.selfplay import OpponentPool, SelfPlayVecEnv
from agentctl.testing import check_games, check_simultaneous_games
from gymnasium import spaces


class Bids:
    """Goofspiel in plain Python: each player holds cards 1..n; round r's prize is r + 1 (or
    ``prizes[r]``, or a seeded shuffle of 1..n); both bid a card at once, the higher bid wins the prize (a tie:
    nobody), bids are used up; more points after n rounds wins.

    Observation from a seat's view: own cards, opponent's cards, this round's prize (one-hot),
    score difference / total. Action k bids card k + 1. ``dense``: the round's winner earns
    ``dense * prize``, the loser minus that (``step_rewards``)."""

    def __init__(self, num_games: int, cards: int = 3, shuffle: bool = False, dense: float = 0.0,
                 seed: int | None = None, prizes: tuple[int, ...] | None = None) -> None:
        self.num_games, self.n, self.shuffle, self.dense = num_games, cards, shuffle, dense
        self.prizes = list(prizes or range(1, cards + 1))
        self.total = cards * (cards + 1) // 2
        self.observation_space = spaces.Box(-1.0, 1.0, (3 * cards + 1,), np.float32)
        self.action_space = spaces.Discrete(cards)
        self.rng = np.random.default_rng(seed)
        self.games: list[dict] = [{} for _ in range(num_games)]
        self.rewards = np.zeros((num_games, 2), np.float32)
        self.reset()

    def _new(self) -> dict:
        prizes = list(self.rng.permutation(self.n) + 1) if self.shuffle else list(self.prizes)
        return {"hands": [set(range(self.n)), set(range(self.n))], "prizes": prizes, "round": 0, "score": [0, 0]}

    def reset(self, seed=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.reset_games(np.arange(self.num_games))

    def reset_games(self, index):
        for i in index:
            self.games[i] = self._new()
            self.rewards[i] = 0.0

    def observe(self, seat):
        obs = np.zeros((self.num_games, 3 * self.n + 1), np.float32)
        mask = np.zeros((self.num_games, self.n), bool)
        for i, g in enumerate(self.games):
            obs[i, list(g["hands"][seat])] = 1.0
            obs[i, [self.n + k for k in g["hands"][1 - seat]]] = 1.0
            if g["round"] < self.n:
                obs[i, 2 * self.n + g["prizes"][g["round"]] - 1] = 1.0
            obs[i, -1] = (g["score"][seat] - g["score"][1 - seat]) / self.total
            mask[i, list(g["hands"][seat])] = True
        return obs, mask

    def step(self, actions0, actions1, active):
        self.rewards[:] = 0.0
        for i in np.flatnonzero(np.asarray(active) & ~self.done()):
            g, bids = self.games[i], (int(actions0[i]), int(actions1[i]))
            assert bids[0] in g["hands"][0] and bids[1] in g["hands"][1], "illegal bid"
            prize = g["prizes"][g["round"]]
            if bids[0] != bids[1]:
                winner = int(bids[1] > bids[0])
                g["score"][winner] += prize
                self.rewards[i, winner], self.rewards[i, 1 - winner] = self.dense * prize, -self.dense * prize
            g["hands"][0].discard(bids[0])
            g["hands"][1].discard(bids[1])
            g["round"] += 1

    def step_rewards(self):
        return self.rewards.copy()

    def done(self):
        return np.array([g["round"] >= self.n for g in self.games])

    def outcome(self):
        return np.array([np.sign(g["score"][0] - g["score"][1]) for g in self.games], np.float32)


class Lowest:
    """An opponent that always bids its lowest card."""

    def act(self, observation, action_mask, **_):
        return np.argmax(action_mask, axis=1)


def state(games: Bids, i: int) -> tuple:
    g = games.games[i]
    return sorted(g["hands"][0]), sorted(g["hands"][1]), g["round"], list(g["score"])


# -- SimultaneousTurns ------------------------------------------------------------------------
def test_seat_1_sees_the_start_of_the_step_and_the_step_waits_for_both():
    raw = Bids(2, cards=3)
    turns = SimultaneousTurns(raw)
    turns.reset(seed=0)
    before = raw.observe(1)
    np.testing.assert_array_equal(turns.to_play(), [0, 0])
    np.testing.assert_array_equal(turns.observe()[0], raw.observe(0)[0])
    # Seat 0 bids differently in the two games: nothing is played yet, seat 1's view is the
    # position at the start of the step (it cannot tell the two bids apart).
    turns.step(np.array([2, 0]), np.array([True, True]))
    np.testing.assert_array_equal(turns.to_play(), [1, 1])
    assert state(raw, 0) == state(raw, 1) == ([0, 1, 2], [0, 1, 2], 0, [0, 0])
    obs, mask = turns.observe()
    np.testing.assert_array_equal(obs, before[0])
    np.testing.assert_array_equal(mask, before[1])
    np.testing.assert_array_equal(obs[0], obs[1])
    assert not turns.step_rewards().any()
    # Seat 1 bids 2 (card 2) in both: game 0 seat 0 (card 3) wins prize 1, game 1 seat 1 does.
    raw.dense = 0.5
    turns.step(np.array([1, 1]), np.array([True, True]))
    np.testing.assert_array_equal(turns.to_play(), [0, 0])
    assert state(raw, 0) == ([0, 1], [0, 2], 1, [1, 0])
    assert state(raw, 1) == ([1, 2], [0, 2], 1, [0, 1])
    np.testing.assert_array_equal(turns.step_rewards(), [[0.5, -0.5], [-0.5, 0.5]])
    # Round 2 from seat 1's side: its own cards and score, not seat 0's (the seats now differ).
    seat0, seat1 = raw.observe(0), raw.observe(1)
    turns.step(np.array([0, 1]), np.array([True, True]))
    obs, mask = turns.observe()
    np.testing.assert_array_equal(obs, seat1[0])
    np.testing.assert_array_equal(mask, seat1[1])
    assert not np.array_equal(obs, seat0[0]) and not np.array_equal(mask, seat0[1])


def test_inactive_games_keep_their_turn_and_pending_bid():
    raw = Bids(3, cards=3)
    turns = SimultaneousTurns(raw)
    turns.reset()
    turns.step(np.array([2, 2, 0]), np.array([True, True, False]))  # game 2 sits out
    np.testing.assert_array_equal(turns.to_play(), [1, 1, 0])
    # Game 0 completes its step; game 1 waits with its pending bid; game 2 still sits out.
    turns.step(np.array([0, 1, 1]), np.array([True, False, False]))
    np.testing.assert_array_equal(turns.to_play(), [0, 1, 0])
    assert state(raw, 0) == ([0, 1], [1, 2], 1, [1, 0])
    assert state(raw, 1) == state(raw, 2) == ([0, 1, 2], [0, 1, 2], 0, [0, 0])
    # Game 1's step uses ITS pending bid (card 3), not the rows stepped since.
    turns.step(np.array([1, 2, 1]), np.array([False, True, False]))
    assert state(raw, 1) == ([0, 1], [0, 1], 1, [0, 0])  # 3 against 3: a tie
    assert state(raw, 0) == ([0, 1], [1, 2], 1, [1, 0])
    assert state(raw, 2) == ([0, 1, 2], [0, 1, 2], 0, [0, 0])


def test_reset_games_restarts_a_game_halfway_through_a_step():
    raw = Bids(2, cards=3)
    turns = SimultaneousTurns(raw)
    turns.reset()
    turns.step(np.array([0, 0]), np.array([True, True]))
    turns.step(np.array([1, 1]), np.array([True, True]))  # both games: round 1, seat 1 won prize 1
    turns.step(np.array([2, 2]), np.array([True, True]))  # seat 0 bids card 3, pending
    turns.reset_games(np.array([1]))
    np.testing.assert_array_equal(turns.to_play(), [1, 0])
    assert state(raw, 1) == ([0, 1, 2], [0, 1, 2], 0, [0, 0])
    turns.step(np.array([0, 0]), np.array([True, True]))  # game 0: 3 against 1; game 1: seat 0's turn
    assert state(raw, 0) == ([1], [2], 2, [2, 1])
    assert state(raw, 1) == ([0, 1, 2], [0, 1, 2], 0, [0, 0])
    np.testing.assert_array_equal(turns.to_play(), [0, 1])


def test_the_checkers_pass_a_correct_game_both_raw_and_as_turns():
    assert "simultaneous: 4 games" in check_simultaneous_games(Bids(4, cards=4, shuffle=True, dense=0.1, seed=1))
    text = check_games(SimultaneousTurns(Bids(4, cards=4, shuffle=True, dense=0.1, seed=1)))
    assert "simultaneous:" in text and "as turns:" in text


class StepsEveryGame(Bids):
    def step(self, actions0, actions1, active):
        super().step(actions0, actions1, np.ones(self.num_games, bool))


class ObserveMoves(Bids):
    def observe(self, seat):
        self.rewards[:] = 0.0
        for g in self.games:
            g["score"][seat] += 1
        return super().observe(seat)


class RewardsIdleGames(Bids):
    def step_rewards(self):
        return self.rewards + 0.25


class StuckWithNoCards(Bids):
    def observe(self, seat):
        obs, mask = super().observe(seat)
        mask[0] = False
        return obs, mask


@pytest.mark.parametrize("broken, message", [
    (StepsEveryGame, "changed a game that was not active"),
    (ObserveMoves, "observe\\(0\\) changed the games"),
    (RewardsIdleGames, "reward to a game that was not stepped"),
    (StuckWithNoCards, "no legal action for seat 0"),
])
def test_check_simultaneous_games_fails_a_broken_game(broken, message):
    with pytest.raises(AssertionError, match=message):
        check_simultaneous_games(broken(4, cards=4, shuffle=True, seed=1))


def test_multi_factories_returning_simultaneous_games_are_served_as_turns():
    from agentctl.assemble import make_envs
    from agentctl.config import resolve
    from agentctl.errors import UserError
    from agentctl.registry import EnvSpec

    made = make_envs(EnvSpec("bids", lambda num_envs, seed: Bids(num_envs), "multi", "test"), resolve(), 4, 0)
    assert isinstance(made, SimultaneousTurns) and made.num_games == 4
    with pytest.raises(UserError, match="TurnBasedGames or SimultaneousGames"):
        make_envs(EnvSpec("junk", lambda num_envs, seed: object(), "multi", "test"), resolve(), 4, 0)


# -- self-play --------------------------------------------------------------------------------
def selfplay(games) -> SelfPlayVecEnv:
    box, space = games.observation_space, games.action_space
    policy = build_mlp(box, space)
    pool = OpponentPool(policy, lambda: build_mlp(box, space), {"low": 1.0}, {"low": Lowest()}, None, 5, 0)
    return SelfPlayVecEnv(SimultaneousTurns(games), pool)


def test_learner_in_either_seat_gets_its_own_outcome_and_dense_rewards():
    """Prizes 1, 3, 2; the opponent bids 1, 2, 3. Envs 0, 2 put the learner in seat 0, envs 1, 3
    in seat 1. Envs 0, 1 bid 2, 3, 1: win prizes 1 and 3, lose 2: a win. Envs 2, 3 bid 3, 1, 2:
    win 1, lose 3 and 2: a loss. Every round's dense reward is the learner's own."""
    d = 0.1
    env = selfplay(Bids(4, cards=3, dense=d, prizes=(1, 3, 2)))
    obs, _ = env.reset(seed=0)
    np.testing.assert_array_equal(env.seat, [0, 1, 0, 1])
    winning, losing = (1, 2, 0), (2, 0, 1)  # card - 1 per round
    gains = {winning: (1, 3, -2), losing: (1, -3, -2)}
    for r in range(3):
        bids = np.array([winning[r], winning[r], losing[r], losing[r]])
        assert obs["action_mask"][np.arange(4), bids].all()
        obs, reward, term, _, _ = env.step(bids)
        np.testing.assert_array_equal(term, np.full(4, r == 2))
        expected = d * np.array([gains[winning][r]] * 2 + [gains[losing][r]] * 2)
        if r == 2:
            expected += [1.0, 1.0, -1.0, -1.0]
        np.testing.assert_allclose(reward, expected, rtol=1e-6, err_msg=f"round {r + 1}")
    # The reset step: no reward at all; every game restarts from round 1.
    obs, reward, term, _, _ = env.step(np.zeros(4, dtype=np.int64))
    assert not term.any() and not reward.any()
    assert [g["round"] for g in env.games.games.games] == [0, 0, 0, 0]


def test_selfplay_state_restores_games_halfway_through_a_step():
    """A saved self-play env (games pickled with seat 0's bids pending for the learners in
    seat 1, the random opponent's stream) continues exactly like the original."""
    def make():
        games = Bids(6, cards=4, shuffle=True, dense=0.1, seed=5)
        box, space = games.observation_space, games.action_space
        pool = OpponentPool(build_mlp(box, space), lambda: build_mlp(box, space), {"random": 1.0}, None, None, 5, 0)
        return SelfPlayVecEnv(SimultaneousTurns(games), pool)

    def play(env, steps):
        out = []
        for _ in range(steps):
            mask = env._obs()["action_mask"]
            obs, reward, term, _, _ = env.step(np.argmax(mask, axis=1))
            out.append((obs["observation"], reward, term))
        return out

    env = make()
    env.reset(seed=1)
    play(env, 3)
    assert env.games.to_play()[1] == 1  # a learner in seat 1: seat 0's bid is pending
    saved = env.state_dict()
    expected = play(env, 12)
    fresh = make()
    fresh.reset(seed=99)
    fresh.load_state_dict(saved)
    for (o1, r1, t1), (o2, r2, t2) in zip(expected, play(fresh, 12)):
        np.testing.assert_array_equal(o1, o2)
        np.testing.assert_array_equal(r1, r2)
        np.testing.assert_array_equal(t1, t2)


class DenseTurns:
    """A turn-based game of two moves (seat 0, then seat 1) in which every move earns its mover
    a dense reward of 1 and the other seat -1; a draw at the end."""

    def __init__(self, num_games: int) -> None:
        self.num_games = num_games
        self.observation_space = spaces.Box(0.0, 1.0, (2,), np.float32)
        self.action_space = spaces.Discrete(2)
        self.moves = np.zeros(num_games, np.int64)
        self.rewards = np.zeros((num_games, 2), np.float32)

    def reset(self, seed=None):
        self.moves[:] = 0

    def reset_games(self, index):
        self.moves[index] = 0

    def to_play(self):
        return self.moves % 2

    def observe(self):
        obs = np.zeros((self.num_games, 2), np.float32)
        obs[np.arange(self.num_games), self.moves % 2] = 1.0
        return obs, np.ones((self.num_games, 2), bool)

    def step(self, actions, active):
        live = np.asarray(active) & ~self.done()
        mover = self.moves % 2
        self.rewards[:] = 0.0
        self.rewards[live, mover[live]] = 1.0
        self.rewards[live, 1 - mover[live]] = -1.0
        self.moves[live] += 1

    def step_rewards(self):
        return self.rewards.copy()

    def done(self):
        return self.moves >= 2

    def outcome(self):
        return np.zeros(self.num_games, np.float32)


def test_dense_rewards_before_the_learners_first_move_are_dropped_every_episode():
    """Seat 1's learner: the opponent's opening move (dense -1 for the learner) happens before
    its first action, at reset() and on reset steps alike; its own move earns +1 and the
    opponent's following move (seat 0's learner) -1."""
    box, space = spaces.Box(0.0, 1.0, (2,)), spaces.Discrete(2)
    policy = build_mlp(box, space)
    pool = OpponentPool(policy, lambda: build_mlp(box, space), {"low": 1.0}, {"low": Lowest()}, None, 5, 0)
    env = SelfPlayVecEnv(DenseTurns(2), pool)
    env.reset(seed=0)
    first = env.step(np.zeros(2, dtype=np.int64))[1]
    np.testing.assert_array_equal(first, [1.0 - 1.0, 1.0])  # seat 0: own +1, opponent's reply -1
    assert not env.step(np.zeros(2, dtype=np.int64))[1].any()  # the reset step
    np.testing.assert_array_equal(env.step(np.zeros(2, dtype=np.int64))[1], first)


def test_evaluation_counts_outcomes_not_dense_rewards():
    """A dense reward of -5 per prize point turns every won game's return negative; the win,
    draw and loss rates must not move."""
    from agentctl.config import resolve
    from agentctl.evaluate import play_games
    from agentctl.host import get_host
    from agentctl.registry import EnvSpec

    registry = get_host().registry
    spec = EnvSpec("bids", lambda **k: Bids(4), "multi", "test")
    policy = build_mlp(Bids(1, cards=4).observation_space, Bids(1, cards=4).action_space)
    rates = []
    for dense in (0.0, -5.0):
        games = SimultaneousTurns(Bids(8, cards=4, shuffle=True, dense=dense, seed=3))
        result = play_games(registry, spec, resolve(), policy, games, "random", 40, seed=0)
        rates.append((result["win_rate"], result["draw_rate"], result["loss_rate"]))
    assert rates[0] == rates[1] and 0 < rates[0][0] < 1, rates


# -- MultiDiscrete actions ----------------------------------------------------------------------
def per_component_reference(nvec, mask, actions):
    """Plain loops: each component's value is legal, or the component has no legal value."""
    offsets = np.concatenate([[0], np.cumsum(nvec)[:-1]])
    ok = []
    for row, acts in zip(mask, actions):
        ok.append(all((0 <= a < n) and (row[o + a] or not row[o:o + n].any())
                      for a, n, o in zip(acts, nvec, offsets)))
    return np.array(ok)


@pytest.mark.parametrize("nvec", [[3, 2, 3, 2, 3, 2], [2, 3, 4], [4, 4, 4], [5]])
def test_random_actions_are_legal_and_cover_every_legal_value(nvec):
    space = spaces.MultiDiscrete(nvec)
    rng = np.random.default_rng(0)
    mask = rng.random((600, sum(nvec))) < 0.5
    offsets = np.concatenate([[0], np.cumsum(nvec)[:-1]])
    mask[:200, offsets[0]:offsets[0] + nvec[0]] = False  # a component with no legal value
    actions = random_actions(space, mask, rng)
    assert actions.shape == (600, len(nvec))
    assert per_component_reference(nvec, mask, actions).all()
    assert legal(space, mask, actions).all()
    assert (actions[:200, 0] == 0).all()
    for c, (n, o) in enumerate(zip(nvec, offsets)):
        for v in range(n):  # every value that is sometimes legal gets drawn
            assert (actions[:, c] == v).any() == mask[:, o + v].any()


def test_legal_rejects_illegal_and_out_of_range_values_like_the_reference():
    nvec = [3, 2, 3, 2]
    space = spaces.MultiDiscrete(nvec)
    rng = np.random.default_rng(1)
    mask = rng.random((400, 10)) < 0.5
    mask[:100, 5:8] = False  # component 2 unused: any in-range value is fine
    actions = random_actions(space, mask, rng)
    rows = np.arange(0, 400, 2)  # every other row: one component set to anything in -1..3
    actions[rows, rng.integers(0, 4, rows.size)] = rng.integers(-1, 4, rows.size)
    expected = per_component_reference(nvec, mask, actions)
    assert 50 < expected.sum() < 350  # both kinds of rows occur
    np.testing.assert_array_equal(legal(space, mask, actions), expected)
    discrete = spaces.Discrete(5)
    dmask = rng.random((100, 5)) < 0.5
    dacts = rng.integers(0, 5, 100)
    np.testing.assert_array_equal(legal(discrete, dmask, dacts), dmask[np.arange(100), dacts])
    drawn = random_actions(discrete, dmask | (np.arange(5) == 0), rng)
    assert drawn.shape == (100,) and legal(discrete, dmask | (np.arange(5) == 0), drawn).all()


def test_random_opponent_draws_per_component_for_multidiscrete_games():
    class Cells(Bids):  # two independent bids per step, as a MultiDiscrete [n, n]
        def __init__(self, num_games):
            super().__init__(num_games, cards=3)
            self.action_space = spaces.MultiDiscrete([3, 3])

        def observe(self, seat):
            obs, mask = super().observe(seat)
            return obs, np.concatenate([mask, np.ones_like(mask)], axis=1)

        def step(self, actions0, actions1, active):
            super().step(np.asarray(actions0)[:, 0], np.asarray(actions1)[:, 0], active)

    box, space = Cells(1).observation_space, spaces.MultiDiscrete([3, 3])
    policy = build_mlp(box, space)
    pool = OpponentPool(policy, lambda: build_mlp(box, space), {"random": 1.0}, None, None, 5, 0)
    env = SelfPlayVecEnv(SimultaneousTurns(Cells(8)), pool)
    obs, _ = env.reset(seed=0)
    assert obs["action_mask"].shape == (8, 6)
    for _ in range(9):  # three games each; the games' assert catches an illegal random bid
        first_legal = np.argmax(obs["action_mask"][:, :3], axis=1)
        obs, *_ = env.step(np.stack([first_legal, np.zeros(8, dtype=np.int64)], axis=1))


# -- training, end to end -------------------------------------------------------------------
def test_training_through_a_registered_env_beats_random(tmp_path):
    """A short self-play run of shuffled-prize Goofspiel (4 cards) through ``agentctl.run.train``
    on an env registered in-process; the greedy policy then wins most games against random bids."""
    from agentctl.evaluate import evaluate
    from agentctl.host import get_host
    from agentctl.registry import Registry
    from agentctl.run import TrainRequest, train

    registry = Registry()
    registry.items = {category: dict(table) for category, table in get_host().registry.items.items()}
    registry.registrar("env", "test", [])(
        "bids", lambda num_envs=1, seed=None, cards=4: Bids(num_envs, cards, shuffle=True, seed=seed),
        kind="multi", default_config={"num_envs": 16, "num_steps": 16, "gamma": 1.0, "ent_coef": 0.01,
                                      "opponents": {"latest": 0.5, "random": 0.5}, "tensorboard": False})
    summary = train(TrainRequest(env="bids", overrides={"total_timesteps": 30_000, "torch_threads": 1},
                                 run_dir=str(tmp_path / "run"), quiet=True), registry)
    result = evaluate(summary["checkpoint"], registry, episodes=200, opponent="random")
    assert result["games"] == 200 and result["games_as_first"] == result["games_as_second"] == 100
    assert result["win_rate"] > 0.6 and result["win_rate_ci95"][0] > 0.5, result
