"""Scripted RTS bots: they give only legal orders, do what their script says, and win what they should."""
from __future__ import annotations

import numpy as np
import pytest
from agentctl.envs import rts
from agentctl.envs.rts.bots import (
    FAR,
    LightRushBot,
    MatchResult,
    PassiveBot,
    RandomBot,
    ScriptedBot,
    WorkerRushBot,
    distances,
    play_match,
)
from agentctl.envs.rts.layout import ACTION_NVEC, DIR_DX, DIR_DY, MASK_OFFSETS

MAP = rts.load_map("8x8_basesworkers")
N_GAMES = 16
NORTH, EAST, SOUTH, WEST = range(4)


class Checked:
    """Wraps a bot and checks every answer against its mask, restated plainly (layout.py).

    An order is allowed when its type's bit is set and the bit of every parameter that type uses;
    a scripted bot must also never aim two moves or productions at the same cell (both would fail;
    random play does that all the time).
    """

    def __init__(self, bot):
        self.bot, self.calls, self.orders = bot, 0, 0
        self.distinct_aims = isinstance(bot, ScriptedBot)

    def act(self, observation, action_mask, **kw):
        actions = self.bot.act(observation, action_mask, **kw)
        k, _, h, w = observation.shape
        assert actions.shape == (k, h * w * 7) and actions.dtype == np.int64
        masks = action_mask.reshape(k, h, w, 78)
        uses = {1: [1], 2: [2], 3: [3], 4: [4, 5], 5: [6]}  # parameters each action type reads
        for g, y, x in zip(*np.nonzero(actions.reshape(k, h, w, 7)[..., 0])):
            a = actions.reshape(k, h, w, 7)[g, y, x]
            row = masks[g, y, x]
            assert row[a[0]], (g, y, x, a)
            for i in uses[a[0]]:
                assert 0 <= a[i] < ACTION_NVEC[i] and row[MASK_OFFSETS[i] + a[i]], (g, y, x, a)
            self.orders += 1
        for g in range(k if self.distinct_aims else 0):
            a = actions.reshape(k, h, w, 7)[g]
            aims = [(y + DIR_DY[a[y, x, 1 if a[y, x, 0] == 1 else 4]], x + DIR_DX[a[y, x, 1 if a[y, x, 0] == 1 else 4]])
                    for y, x in zip(*np.nonzero((a[..., 0] == 1) | (a[..., 0] == 4)))]
            assert len(aims) == len(set(aims)), (g, aims)
        self.calls += 1
        return actions


def both_seats(bot_class, opponent_class, n_games: int = N_GAMES) -> tuple[MatchResult, MatchResult]:
    """The bot's results from seat 0 and from seat 1 (the second with wins and losses seen from the bot)."""
    first = play_match(Checked(bot_class(seed=1)), Checked(opponent_class(seed=2)), n_games, MAP)
    second = play_match(Checked(opponent_class(seed=3)), Checked(bot_class(seed=4)), n_games, MAP)
    flipped = MatchResult(wins=second.losses, draws=second.draws, losses=second.wins,
                          illegal=(second.illegal[1], second.illegal[0]))
    return first, flipped


def test_distances_walk_around_walls_and_units():
    # # is a wall, u a unit in the way, T the target; hand-counted steps through free cells
    rows = ["....",
            ".##.",
            "..uT"]
    targets = np.array([[c == "T" for c in r] for r in rows])[None]
    passable = np.array([[c == "." for c in r] for r in rows])[None]
    expected = np.array([[5, 4, 3, 2],
                         [6, FAR, FAR, 1],
                         [7, 8, FAR, 0]])
    assert (distances(targets, passable)[0] == expected).all()


def test_passive_bot_only_noops_and_loses_to_everything():
    passive = Checked(PassiveBot())
    result = play_match(passive, Checked(RandomBot(seed=0)), 8, MAP, max_ticks=500)
    assert passive.calls > 0 and passive.orders == 0
    assert result.illegal == (0, 0) and result.wins == 0


def test_worker_rush_beats_passive_always_and_random_at_least_90_percent():
    for opponent, floor in ((PassiveBot, 1.0), (RandomBot, 0.9)):
        for seat, result in enumerate(both_seats(WorkerRushBot, opponent)):
            assert result.illegal == (0, 0), (opponent, seat, result)
            assert result.wins >= floor * N_GAMES, (opponent, seat, result)


def test_light_rush_beats_random_at_least_80_percent():
    for seat, result in enumerate(both_seats(LightRushBot, RandomBot)):
        assert result.illegal == (0, 0), (seat, result)
        assert result.wins >= 0.8 * N_GAMES, (seat, result)


def test_worker_rush_beats_light_rush_on_a_small_map():
    # microRTS's known result on 8x8: the rush arrives before the first light unit does
    for seat, result in enumerate(both_seats(WorkerRushBot, LightRushBot, n_games=8)):
        print(f"worker rush vs light rush, worker rush in seat {seat}: {result}")
        assert result.illegal == (0, 0)
        assert result.wins >= 6, (seat, result)


def test_mirrored_bots_do_not_deadlock():
    # two identical bots that broke ties the same way would walk into the same cell, fail, and try
    # again forever: every game a draw at max_ticks
    result = play_match(WorkerRushBot(seed=1), WorkerRushBot(seed=2), 8, MAP)
    assert result.draws <= 2, result


@pytest.mark.slow
@pytest.mark.parametrize("bot_class", [WorkerRushBot, LightRushBot])
def test_mirror_matches_favour_neither_seat(bot_class):
    # the same bot in both seats: a seat bias (e.g. from the grid's row-major order) shows up here
    result = play_match(bot_class(seed=7), bot_class(seed=8), 256, MAP)
    assert min(result.wins, result.losses) >= 0.42 * result.games, result  # 2.5 sd below half


def start(rows: list[str], stock: int = 5, n: int = 1) -> rts.RtsState:
    text = f"size {len(rows[0])} {len(rows)}\nresources 25\nstart {stock}\n" + "\n".join(rows)
    return rts.new_games(rts.parse_map(text), n)


def orders(bot, state: rts.RtsState, seat: int = 0) -> np.ndarray:
    """The bot's (N, H, W, 7) actions for ``seat`` in the current position."""
    n, h, w = state.kind.shape
    obs = rts.observe(state, seat).transpose(0, 3, 1, 2)
    return bot.act(obs, rts.action_masks(state, seat).reshape(n, -1)).reshape(n, h, w, 7)


def test_productions_ordered_together_stay_within_the_known_stock():
    # stock 5: the worker can build a barracks (5) and the base can train a worker (1), not both;
    # light rush builds the barracks first and must keep the base idle, or both orders would fail
    s = start(["RWB.....",
               "........",
               ".......w"], stock=5)
    a = orders(LightRushBot(seed=0), s)
    assert a[0, 0, 1, 0] == rts.PRODUCE and a[0, 0, 1, 5] == rts.BARRACKS
    assert a[0, 0, 2, 0] == 0
    rts.step(s, a, np.zeros_like(a))
    assert s.resources[0, 0] == 0 and s.act[0, 0, 1] == rts.PRODUCE


@pytest.mark.parametrize("bot_class, unit", [(WorkerRushBot, "W"), (LightRushBot, "L")])
def test_attack_hits_the_weakest_enemy_in_range(bot_class, unit):
    s = start(["..b..",
               f"..{unit}..",
               "..w.."], stock=0)  # an enemy base (10 hp) north, an enemy worker (1 hp) south
    a = orders(bot_class(seed=0), s)
    assert a[0, 1, 2, 0] == rts.ATTACK and a[0, 1, 2, 6] == rts.attack_index(1, 0)


def test_army_walks_a_shortest_path_around_a_wall():
    s = start(["...#...",
               ".L.#.b.",
               "...#...",
               ".......",
               "w......"])
    a = orders(LightRushBot(seed=0), s)
    # the nearest enemy is the worker at (4, 0): 3 steps south-west, not the base behind the wall
    assert a[0, 1, 1, 0] == rts.MOVE and a[0, 1, 1, 1] in (SOUTH, WEST)


def test_one_worker_harvests_the_others_attack():
    s = start(["RW......",
               ".BW.....",
               "........",
               "......wb"], stock=0)
    a = orders(WorkerRushBot(seed=0), s)
    assert a[0, 0, 1, 0] == rts.HARVEST and a[0, 0, 1, 2] == WEST  # next to the pile: harvests
    assert a[0, 1, 2, 0] == rts.MOVE and a[0, 1, 2, 1] in (EAST, SOUTH)  # the other one heads for the enemy


def test_rng_state_round_trips():
    bot = WorkerRushBot(seed=5)
    saved = bot.state_dict()
    s = rts.new_games(MAP, 4)
    first = orders(bot, s)
    bot.load_state_dict(saved)
    assert (orders(bot, s) == first).all()
    assert not np.array_equal(bot.rng.random(3), WorkerRushBot(seed=6).rng.random(3))


@pytest.mark.parametrize("bot_class", [PassiveBot, RandomBot, WorkerRushBot, LightRushBot])
def test_bots_answer_the_learners_shapes(bot_class):
    s = rts.new_games(rts.load_map("16x16_basesworkers"), 3)
    a = Checked(bot_class(seed=0)).act(rts.observe(s, 1).transpose(0, 3, 1, 2), rts.action_masks(s, 1).reshape(3, -1))
    assert a.shape == (3, 16 * 16 * 7)
