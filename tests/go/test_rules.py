"""Rules of the batched engine on known positions (row 0 = top row, GTP vertices)."""
import pickle

import numpy as np
import pytest
from agentctl.envs.go.engine import BLACK, WHITE, GoEngine, action_to_gtp, gtp_to_action


def make(text, to_play=BLACK, ko_rule="superko", **kw):
    rows = [r.split() for r in text.strip().splitlines()]
    n = len(rows)
    grid = np.array([[{".": 0, "X": 1, "O": 2}[c] for c in r] for r in rows], np.int8)
    e = GoEngine(1, n, ko_rule=ko_rule, **kw)
    e.load_board(0, grid, to_play)
    return e


def play(e, *vertices):
    for v in vertices:
        e.play(0, gtp_to_action(v, e.board_size))


def legal(e, v):
    return bool(e.mask[0, gtp_to_action(v, e.board_size)])


def at(e, v):
    return int(e.stones[0, gtp_to_action(v, e.board_size)])


def test_coordinates_roundtrip():
    for n in (5, 9, 19):
        for a in range(n * n + 1):
            assert gtp_to_action(action_to_gtp(a, n), n) == a
    assert action_to_gtp(0, 9) == "A9" and action_to_gtp(80, 9) == "J1"
    assert gtp_to_action("a1", 9) == 72 and gtp_to_action("PASS", 9) == 81
    for bad in ("I5", "A0", "A10", "Z1", "", "11", "pas"):
        with pytest.raises(ValueError):
            gtp_to_action(bad, 9)


def test_single_capture():
    e = make("""
    . . . . .
    . . X . .
    . X O . .
    . . X . .
    . . . . .""")
    assert legal(e, "D3")
    play(e, "D3")
    assert at(e, "C3") == 0 and e.captures[0].tolist() == [1, 0]
    assert e.ko_point[0] == -1  # not played in an enemy eye: no ko


def test_group_capture():
    e = make("""
    . X O O .
    . X O X .
    . . X . .
    . . . . .
    . . . . .""")
    play(e, "E5")
    for v in ("C5", "D5", "C4"):
        assert at(e, v) == 0
    assert e.captures[0, 0] == 3
    assert e.to_play[0] == WHITE


def test_suicide_refused():
    e = make("""
    . O . . .
    O . . . .
    . . . . .
    . . . . .
    . . . . .""")
    assert not legal(e, "A5")
    with pytest.raises(ValueError):
        play(e, "A5")
    # multi-stone suicide
    e = make("""
    X . O . .
    O O . . .
    . . . . .
    . . . . .
    . . . . .""")
    assert not legal(e, "B5")
    # suicide-looking move that captures is legal
    e = make("""
    . O X . .
    O X . . .
    X . . . .
    . . . . .
    . . . . .""")
    assert legal(e, "A5")
    play(e, "A5")
    assert at(e, "A4") == 0 and at(e, "B5") == 0 and at(e, "A5") == BLACK


KO = """
. X O . .
X O . O .
. X O . .
. . . . .
. . . . ."""


@pytest.mark.parametrize("rule", ["simple", "superko"])
def test_simple_ko(rule):
    e = make(KO, ko_rule=rule)
    play(e, "C4")  # black captures B4
    assert at(e, "B4") == 0
    assert not legal(e, "B4")  # immediate recapture forbidden
    play(e, "E1", "E2")  # ko threat and answer
    assert legal(e, "B4")
    play(e, "B4")
    assert at(e, "C4") == 0
    assert not legal(e, "C4")


DOUBLE_KO = """
. X O . . . .
X O . O . . .
. X O . . . .
. . . . . . .
. O X . . . .
O X . X . . .
. O X . . . ."""


def test_superko_cycle():
    """Double ko: B takes K1, W takes K2, B passes, W retakes K1; B retaking K2
    would recreate the start position: illegal under superko, legal under simple ko."""
    for rule, expect in (("superko", False), ("simple", True)):
        e = make(DOUBLE_KO, ko_rule=rule)
        start = e.stones[0].copy()
        play(e, "C6", "C2", "pass", "B6")
        assert e.passes[0] == 0 and not e.done[0]
        assert legal(e, "B2") is expect, rule
        if expect:
            play(e, "B2")
            assert np.array_equal(e.stones[0], start)


def test_repetition_ends_game_as_draw():
    e = make(DOUBLE_KO, ko_rule="simple", repetition_ends_game=True)
    play(e, "C6", "C2", "pass", "B6", "B2")
    assert e.done[0] and e.repeated[0] and e.winner[0] == 0


def test_snapback():
    e = make("""
    . . . . .
    . . . . .
    . . . O O
    . . O X X
    . . O . .""", to_play=WHITE)
    play(e, "E1")  # throw-in
    play(e, "D1")  # black captures one stone
    assert at(e, "E1") == 0 and e.captures[0, 0] == 1
    assert e.ko_point[0] == -1
    assert legal(e, "E1")
    play(e, "E1")  # white recaptures three
    for v in ("D2", "E2", "D1"):
        assert at(e, v) == 0
    assert e.captures[0, 1] == 3


SEKI = """
. X O O .
X X O O O
X X O O O
X X O O O
X X . O O"""


def test_seki_scoring():
    e = make(SEKI)
    assert not legal(e, "E5")  # black into white's eye: suicide
    assert legal(e, "C1")      # self-atari, legal
    e.set_to_play(0, WHITE)
    assert not legal(e, "A5")
    # black 9 stones + 1 eye, white 13 stones + 1 eye, shared liberty C1 neutral
    assert e.scores()[0] == pytest.approx(10 - 14 - 7.5)
    play(e, "pass", "pass")
    assert e.done[0] and e.winner[0] == WHITE and e.score[0] == pytest.approx(-11.5)


def test_scoring_with_komi_and_territory():
    e = make("""
    . X . O .
    X X . O O
    . X . O .
    X X . O O
    . X . O .""", komi=0.5)
    assert e.scores()[0] == pytest.approx(10 - 10 - 0.5)
    e = make(SEKI.replace("X X . O O", "X X X O O").replace(". X O O .", ". X O O ."),
             komi=7.5)
    # now C1 is black: black 11 area (10 stones + eye), white 14
    assert e.scores()[0] == pytest.approx(11 - 14 - 7.5)


def test_empty_board_komi_and_draw():
    e = GoEngine(2, 9)
    e.step([81, 81])
    assert not e.done.any() and e.passes.tolist() == [1, 1]
    e.step([81, 81])
    assert e.done.all() and (e.winner == WHITE).all() and e.score[0] == -7.5
    assert not e.mask.any()
    e = GoEngine(1, 9, komi=0)
    e.step([81]); e.step([81])
    assert e.done[0] and e.winner[0] == 0 and e.outcome()[0] == 0


def test_pass_handling():
    e = GoEngine(1, 5)
    play(e, "pass", "C3", "pass")
    assert not e.done[0] and e.passes[0] == 1
    play(e, "pass")
    assert e.done[0]
    # a finished board ignores further steps, others keep playing
    e2 = GoEngine(2, 5)
    e2.step([25, 0]); e2.step([25, 1])
    assert e2.done.tolist() == [True, False]
    moved = e2.step([3, 2])
    assert moved.tolist() == [False, True] and e2.move_count.tolist() == [2, 3]


def test_move_cap_ends_and_scores():
    e = GoEngine(1, 5, max_moves=3)
    play(e, "C3", "pass", "D3")
    assert e.done[0] and e.winner[0] == BLACK and e.score[0] == pytest.approx(25 - 7.5)
    assert GoEngine(1, 9).max_moves == 162


def test_resign():
    e = GoEngine(3, 9)
    e.step([0, 1, 2])
    e.resign([1])
    assert e.done.tolist() == [False, True, False]
    assert e.winner[1] == BLACK and e.resigned[1] and e.outcome()[1] == 1


def test_illegal_step_raises():
    e = GoEngine(2, 5)
    e.step([0, 0])
    with pytest.raises(ValueError):
        e.step([0, 1])  # occupied on board 0
    with pytest.raises(ValueError):
        e.step([26, 1])


def test_observation_planes_and_history():
    e = GoEngine(1, 5, history=3)
    assert e.observations().shape == (1, 7, 5, 5)
    play(e, "A5", "B5")
    o = e.observations()[0]
    # black to play: own = black
    assert o[0, 0, 0] == 1 and o[1, 0, 1] == 1 and o[6].min() == 1
    assert o[2, 0, 0] == 1 and o[3].sum() == 0  # previous position: only A5
    assert o[4].sum() == 0 and o[5].sum() == 0  # two back: empty board
    play(e, "C5")
    o = e.observations()[0]
    assert o[6].max() == 0  # white to play
    assert o[0].sum() == 1 and o[0, 0, 1] == 1  # own = white B5
    assert o[1].sum() == 2


def test_clone_and_pickle_are_independent():
    e = GoEngine(4, 9)
    for _ in range(10):
        e.step(e.random_actions())
    c = e.clone()
    p = pickle.loads(pickle.dumps(e))
    a = e.random_actions(1)
    e.step(a)
    for other in (c, p):
        assert not np.array_equal(other.move_count, e.move_count)
        other.step(a)
        assert np.array_equal(other.stones, e.stones) and np.array_equal(other.mask, e.mask)
    s = e.select([2])
    assert s.num_boards == 1 and np.array_equal(s.stones[0], e.stones[2])


def test_batched_equals_single_boards():
    rng = np.random.default_rng(0)
    batch = GoEngine(8, 7)
    singles = [GoEngine(1, 7) for _ in range(8)]
    while not batch.done.all():
        acts = np.array([rng.choice(np.flatnonzero(batch.mask[b])) if not batch.done[b] else 0
                         for b in range(8)])
        batch.step(acts)
        for b, s in enumerate(singles):
            if not s.done[0]:
                s.step([acts[b]])
            assert np.array_equal(s.stones[0], batch.stones[b])
            assert np.array_equal(s.mask[0], batch.mask[b])
    for b, s in enumerate(singles):
        assert s.winner[0] == batch.winner[b]
