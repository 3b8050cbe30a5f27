"""TorchGoEngine: move-by-move agreement with the numba GoEngine on random games, and the rules
on hand-made positions (row 0 = top row, GTP vertices)."""
import numpy as np
import pytest
import torch
from agentctl.envs.go.engine import BLACK, WHITE, GoEngine, gtp_to_action
from agentctl.envs.go.torch_engine import TorchGoEngine

# ----------------------------------------------------------------------------- agreement

FIELDS = ("stones", "prev", "to_play", "passes", "move_count", "ko_point", "captures", "last_move",
          "done", "winner", "repeated", "n_hash", "mask")


def assert_same(g: GoEngine, t: TorchGoEngine, step: int) -> None:
    for f in FIELDS:
        want, got = getattr(g, f), getattr(t, f).cpu().numpy()
        boards = np.argwhere(want != got)[:3, 0]
        assert np.array_equal(want, got), f"{f} differs after step {step} on boards {boards}"
    assert np.array_equal(g.hashes.view(np.int64), t.hashes.cpu().numpy()), f"hashes, step {step}"
    k = g.n_hash.max()
    assert np.array_equal(g.hist_hash[:, :k].view(np.int64), t.hist_hash[:, :k].cpu().numpy())
    assert np.allclose(g.score, t.score.cpu().numpy()), f"scores differ after step {step}"
    obs = t.observations().cpu().numpy()
    assert np.array_equal(g.observations(), obs), f"observations, step {step}"


def superko_refusals(t: TorchGoEngine) -> int:
    """How many otherwise legal moves superko forbids now (to see the random games reach it)."""
    t.ko_rule = "simple"
    t._refresh()
    simple = t.mask.clone()
    t.ko_rule = "superko"
    t._refresh()
    return int((simple & ~t.mask).sum())


def play_both(n, boards, seed, steps, kw, device="cpu") -> dict:
    """Both engines play the same random legal moves (passes rare, so games run long and
    superko and repetitions come up); finished boards are reset and play on.  Every field,
    the hashes, the observations and the final scores must be identical after every step.
    Returns how often the games met each rule."""
    g, t = GoEngine(boards, n, **kw), TorchGoEngine(boards, n, device=device, **kw)
    rng = np.random.default_rng(seed)
    seen = {"captures": 0, "ko": 0, "superko": 0, "ended": 0, "repeated": 0}
    for step in range(steps):
        u = rng.random(g.mask.shape)
        u[:, n * n] *= 0.02
        a = np.where(g.mask, u, -1.0).argmax(1)
        g.step(a)
        t.step(torch.as_tensor(a))
        assert_same(g, t, step)
        seen["ko"] += int((g.ko_point >= 0).sum())
        if t.ko_rule == "superko" and step % 5 == 0:
            seen["superko"] += superko_refusals(t)
        if g.done.any():
            seen["ended"] += int(g.done.sum())
            seen["repeated"] += int(g.repeated.sum())
            seen["captures"] += int(g.captures[g.done].sum())
            assert np.allclose(g.scores(), t.scores().cpu().numpy())
            assert np.array_equal(g.outcome(), t.outcome().cpu().numpy())
            g.reset(g.done)
            t.reset(t.done)
            assert_same(g, t, step)
    return seen


@pytest.mark.parametrize("n, boards, seed, steps, kw, reached", [
    (9, 64, 0, 170, {}, ()),
    (9, 64, 1, 170, {"ko_rule": "simple"}, ()),
    (5, 64, 2, 400, {"max_moves": 300}, ("superko",)),
    (5, 64, 3, 400, {"max_moves": 300, "ko_rule": "simple", "repetition_ends_game": True},
     ("repeated",)),
    (5, 32, 4, 120, {"history": 1, "komi": 0.0}, ()),
    (13, 16, 5, 340, {}, ()),
])
def test_random_games_agree_with_numba_engine(n, boards, seed, steps, kw, reached):
    seen = play_both(n, boards, seed, steps, kw)
    for what in ("captures", "ko", "ended", *reached):  # the games did reach these rules
        assert seen[what] > 0, seen


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("n, kw", [(9, {}), (5, {"max_moves": 300})])
def test_cuda_games_agree_with_numba_engine(n, kw):
    seen = play_both(n, 256, 6, 400 if n == 5 else 170, kw, device="cuda")
    assert seen["ended"] > 0 and seen["captures"] > 0


def test_to_numpy_continues_as_the_numba_engine():
    """Mid-game boards handed to GoEngine (e.g. for search) carry on exactly like boards that
    were numba all along, superko Bloom filter included."""
    g, t = GoEngine(32, 5, max_moves=300), TorchGoEngine(32, 5, max_moves=300)
    rng = np.random.default_rng(7)

    def random_step(*engines):
        u = rng.random(engines[0].mask.shape)
        u[:, 25] *= 0.02
        a = np.where(engines[0].mask, u, -1.0).argmax(1)
        for e in engines:
            e.step(a)

    for _ in range(60):
        random_step(g, t)
    c = t.to_numpy()
    for f in ("bloom", "hist_hash", "hashes", "stones", "prev", "mask", "ko_point", "n_hash"):
        assert np.array_equal(getattr(c, f), getattr(g, f)), f
    for _ in range(100):
        random_step(g, c)
        assert np.array_equal(c.stones, g.stones) and np.array_equal(c.mask, g.mask)
    one = t.to_numpy([3])
    assert one.num_boards == 1 and np.array_equal(one.mask[0], t.mask[3].numpy())


def test_random_actions_are_legal_and_pass_when_done():
    t = TorchGoEngine(16, 5)
    gen = torch.Generator().manual_seed(0)
    while not t.done.all():
        a = t.random_actions(gen)
        live = ~t.done
        assert t.mask[torch.arange(16), a][live].all()
        assert (a[~live] == 25).all()
        t.step(a)


# ----------------------------------------------------------------------------- hand-made positions

def make(text, to_play=BLACK, engine=TorchGoEngine, **kw):
    rows = [r.split() for r in text.strip().splitlines()]
    grid = np.array([[{".": 0, "X": 1, "O": 2}[c] for c in r] for r in rows], np.int8)
    e = engine(1, len(rows), **kw)
    e.load_board(0, grid, to_play)
    return e


def play(e, *vertices):
    for v in vertices:
        e.step([gtp_to_action(v, e.board_size)])


def legal(e, v) -> bool:
    return bool(e.mask[0, gtp_to_action(v, e.board_size)])


def at(e, v) -> int:
    return int(e.stones[0, gtp_to_action(v, e.board_size)])


def test_captures_single_and_group():
    e = make("""
    . . . . .
    . . X . .
    . X O . .
    . . X . .
    . . . . .""")
    play(e, "D3")
    assert at(e, "C3") == 0 and e.captures[0].tolist() == [1, 0] and e.ko_point[0] == -1
    e = make("""
    . X O O .
    . X O X .
    . . X . .
    . . . . .
    . . . . .""")
    play(e, "E5")
    assert [at(e, v) for v in ("C5", "D5", "C4")] == [0, 0, 0]
    assert e.captures[0, 0] == 3 and e.to_play[0] == WHITE
    # the freed points are liberties again: white may play there, and it is not suicide
    assert legal(e, "C5") and legal(e, "D5") and legal(e, "C4")


def test_suicide_refused_unless_it_captures():
    e = make("""
    . O . . .
    O . . . .
    . . . . .
    . . . . .
    . . . . .""")
    assert not legal(e, "A5")
    with pytest.raises(ValueError, match="illegal action 0 on board 0 \\(A5\\)"):
        play(e, "A5")
    e = make("""
    X . O . .
    O O . . .
    . . . . .
    . . . . .
    . . . . .""")
    assert not legal(e, "B5")  # two-stone suicide
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
    play(e, "C4")
    assert at(e, "B4") == 0 and e.ko_point[0] == gtp_to_action("B4", 5)
    assert not legal(e, "B4")
    play(e, "E1", "E2")  # ko threat and answer
    assert legal(e, "B4")
    play(e, "B4")
    assert at(e, "C4") == 0 and not legal(e, "C4")


DOUBLE_KO = """
. X O . . . .
X O . O . . .
. X O . . . .
. . . . . . .
. O X . . . .
O X . X . . .
. O X . . . ."""


def test_superko_cycle():
    """Double ko: retaking the second ko would recreate the start position."""
    for rule, expect in (("superko", False), ("simple", True)):
        e = make(DOUBLE_KO, ko_rule=rule)
        start = e.stones[0].clone()
        play(e, "C6", "C2", "pass", "B6")
        assert legal(e, "B2") is expect, rule
        if expect:
            play(e, "B2")
            assert torch.equal(e.stones[0], start) and e.hashes[0] == e.hist_hash[0, 0]


CORNER = """
. . X . .
. X O . .
X O . . .
. . . . .
. . . . ."""


@pytest.mark.parametrize("engine", [GoEngine, TorchGoEngine])
def test_superko_recapture_touching_one_group_twice(engine):
    """White fills A5, B5 and A4 (capturing B4); black's B4 would take the three stones back,
    touching the group from two sides, and recreate the start: refused under superko only."""
    for rule, expect in (("superko", False), ("simple", True)):
        e = make(CORNER, to_play=WHITE, ko_rule=rule, engine=engine)
        play(e, "A5", "pass", "B5", "pass", "A4")
        assert at(e, "B4") == 0 and e.captures[0, 1] == 1
        assert legal(e, "B4") is expect, rule
        if expect:
            play(e, "B4")
            assert e.captures[0, 0] == 3 and e.hashes[0] == e.hist_hash[0, 0]


def test_select_and_clone_are_independent_copies():
    e = TorchGoEngine(4, 5)
    gen = torch.Generator().manual_seed(1)
    for _ in range(12):
        e.step(e.random_actions(gen))
    s, c = e.select([2, 2, 0]), e.clone()
    assert s.num_boards == 3 and torch.equal(s.stones[1], e.stones[2])
    assert torch.equal(s.mask[2], e.mask[0])
    m = e.select(torch.tensor([False, True, False, True]))
    assert m.num_boards == 2 and torch.equal(m.hashes, e.hashes[[1, 3]])
    a = e.random_actions(gen)
    e.step(a)
    assert not torch.equal(c.move_count, e.move_count)
    c.step(a)
    for f in ("stones", "mask", "hashes", "hist_hash", "captures"):
        assert torch.equal(getattr(c, f), getattr(e, f)), f


def test_repetition_ends_game_as_draw():
    e = make(DOUBLE_KO, ko_rule="simple", repetition_ends_game=True)
    play(e, "C6", "C2", "pass", "B6", "B2")
    assert e.done[0] and e.repeated[0] and e.winner[0] == 0 and e.outcome()[0] == 0


SEKI = """
. X O O .
X X O O O
X X O O O
X X O O O
X X . O O"""


def test_seki_and_area_scoring():
    e = make(SEKI)
    assert not legal(e, "E5") and legal(e, "C1")
    # black 9 stones + 1 eye, white 13 stones + 1 eye, the shared liberty C1 is nobody's
    assert e.scores()[0] == pytest.approx(10 - 14 - 7.5)
    play(e, "pass", "pass")
    assert e.done[0] and e.winner[0] == WHITE and e.score[0] == pytest.approx(-11.5)
    assert e.outcome()[0] == -1 and not e.mask.any()
    e = make("""
    . X . O .
    X X . O O
    . X . O .
    X X . O O
    . X . O .""", komi=0.5)
    assert e.scores()[0] == pytest.approx(10 - 10 - 0.5)


def test_empty_board_two_passes_and_move_cap():
    e = TorchGoEngine(2, 9)
    e.step([81, 81])
    assert not e.done.any() and e.passes.tolist() == [1, 1]
    e.step([81, 81])
    assert e.done.all() and (e.winner == WHITE).all() and e.score[0] == -7.5
    e = TorchGoEngine(1, 5, max_moves=3)
    play(e, "C3", "pass", "D3")
    assert e.done[0] and e.winner[0] == BLACK and e.score[0] == pytest.approx(25 - 7.5)


def test_finished_boards_untouched_and_illegal_actions():
    e = TorchGoEngine(3, 5)
    e.step([25, 0, 0])
    e.step([25, 1, 1])
    assert e.done.tolist() == [True, False, False]
    before = e.stones[0].clone()
    moved = e.step([3, 2, 2])
    assert moved.tolist() == [False, True, True] and e.move_count.tolist() == [2, 3, 3]
    assert torch.equal(e.stones[0], before)
    with pytest.raises(ValueError, match="illegal action 1 on board 2 \\(B5\\)"):
        e.step([0, 5, 1])  # B5 is occupied on board 2; nothing is played
    assert e.move_count.tolist() == [2, 3, 3]
    with pytest.raises(ValueError, match="illegal action 26 on board 1 \\(out of range\\)"):
        e.step([0, 26, 5])
    moved = e.step([0, 0, 5], check=False)  # unchecked: the illegal board is left unplayed
    assert moved.tolist() == [False, False, True]


def test_load_board_into_a_batch_and_observations():
    e = TorchGoEngine(3, 5, history=3)
    e.step([0, 0, 0])
    e.load_board(1, np.array([[0, 1, 2, 0, 0]] + [[0] * 5] * 4), WHITE)
    assert e.stones[0, 0] == BLACK and e.stones[2, 0] == BLACK  # the other boards are untouched
    assert e.move_count.tolist() == [1, 0, 1]
    assert e.to_play[1] == WHITE and e.stones[1, :3].tolist() == [0, 1, 2]
    o = e.observations()
    assert o.shape == (3, 7, 5, 5)
    assert o[1, 0, 0, 2] == 1 and o[1, 1, 0, 1] == 1  # white to move: own = white
    assert o[1, 6].max() == 0
    e.step([1, 3, 1])  # board 0: white B5
    o = e.observations()[0]
    assert o[0, 0, 0] == 1 and o[1, 0, 1] == 1 and o[6].min() == 1  # black to move: own = black
    assert o[2, 0, 0] == 1 and o[3].sum() == 0  # previous position: only A5
    assert o[4].sum() == 0 and o[5].sum() == 0  # two back: the empty board


def test_play_one_board():
    e = TorchGoEngine(2, 5)
    e.play(1, gtp_to_action("C3", 5))
    assert e.move_count.tolist() == [0, 1] and e.stones[1, 12] == BLACK
    with pytest.raises(ValueError, match="illegal action 12 on board 1"):
        e.play(1, 12)


def test_resign():
    e = TorchGoEngine(3, 9)
    e.step([0, 1, 2])
    e.resign([1])
    assert e.done.tolist() == [False, True, False]
    assert e.winner[1] == BLACK and e.resigned[1] and e.outcome()[1] == 1 and not e.mask[1].any()
