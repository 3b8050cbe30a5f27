"""Agreement with GnuGo over GTP (skipped when gnugo is absent).

Both sides get the same move sequence.  Random play that never fills its own
single-point eyes (a point whose orthogonal neighbours are all its own stones, unless
it is the last liberty of one of them: then filling resolves a ko) and
passes only when no other legal move is left (and avoids moves that repeat a whole-board
position, so no long cycle runs into the move cap): such games end by two passes in a
settled position where every remaining group has at least two eyes, so no dead
stones remain and area scoring of the board is the true result.  Each game checks
every move's legality set (GnuGo's ``all_legal``; we use ``ko_rule="simple"`` like
GnuGo) and at the end GnuGo's ``final_score`` (``--chinese-rules --capture-all-dead``)
against our Tromp-Taylor score.  Games where GnuGo still lists dead stones
(``final_status_list dead``) are not score-compared and are counted; the test
requires that they are rare (with the ko-aware eye rule above, none occurred in our runs).
"""
import numpy as np
import pytest
from agentctl.envs.go.engine import GoEngine, action_to_gtp, gtp_to_action
from agentctl.envs.go.gtp_client import find_gnugo, parse_score, start_gnugo

GNUGO = find_gnugo()
pytestmark = pytest.mark.skipif(GNUGO is None, reason="gnugo not installed (apt-get install "
                                "gnugo; looked on PATH and at /usr/games/gnugo)")


def _chain_libs(st, n, p):
    """Number of liberties of the chain at p (st: flat stones)."""
    c = st[p]
    seen, libs, todo = {p}, set(), [p]
    while todo:
        q = todo.pop()
        r, k = divmod(q, n)
        for rr, kk in ((r - 1, k), (r + 1, k), (r, k - 1), (r, k + 1)):
            if 0 <= rr < n and 0 <= kk < n:
                t = rr * n + kk
                if st[t] == 0:
                    libs.add(t)
                elif st[t] == c and t not in seen:
                    seen.add(t)
                    todo.append(t)
    return len(libs)


def _non_eye_moves(e: GoEngine):
    """Legal board moves except filling an own eye (all orthogonal neighbours own
    stones), unless that point is the last liberty of an adjacent own chain (then it
    is no eye: filling it resolves a ko or saves the chain)."""
    n = e.board_size
    legal = np.flatnonzero(e.mask[0, : n * n])
    c = int(e.to_play[0])
    flat = e.stones[0]
    st = flat.reshape(n, n)
    pad = np.full((n + 2, n + 2), c, np.int8)
    pad[1:-1, 1:-1] = st
    own_eye = ((pad[:-2, 1:-1] == c) & (pad[2:, 1:-1] == c) & (pad[1:-1, :-2] == c)
               & (pad[1:-1, 2:] == c)).reshape(-1)
    keep = []
    for p in legal:
        if own_eye[p]:
            r, k = divmod(int(p), n)
            nbrs = [rr * n + kk for rr, kk in ((r - 1, k), (r + 1, k), (r, k - 1), (r, k + 1))
                    if 0 <= rr < n and 0 <= kk < n]
            if not any(_chain_libs(flat, n, q) == 1 for q in nbrs):
                continue
        keep.append(p)
    return np.asarray(keep, np.int64)


def _play_games(n, games, seed, check_every=1):
    rng = np.random.default_rng(seed)
    gg = start_gnugo(level=0, board_size=n, komi=7.5, path=GNUGO)
    compared = dead_skipped = 0
    try:
        for g in range(games):
            gg.clear_board()
            e = GoEngine(1, n, ko_rule="simple", max_moves=10 * n * n)
            # the random player also avoids whole-board repetitions (rare long cycles
            # that simple ko allows): its moves come from a superko engine's legal set
            sk = GoEngine(1, n, ko_rule="superko", max_moves=10 * n * n)
            while not e.done[0]:
                color = "black" if e.to_play[0] == 1 else "white"
                if e.move_count[0] % check_every == 0:
                    theirs = {gtp_to_action(v, n) for v in gg.send(f"all_legal {color}").split()}
                    ours = set(np.flatnonzero(e.mask[0, : n * n]).tolist())
                    assert ours == theirs, (n, g, int(e.move_count[0]),
                                            sorted(action_to_gtp(a, n) for a in ours ^ theirs))
                cand = _non_eye_moves(sk)
                a = int(rng.choice(cand)) if cand.size else n * n
                gg.play(color, action_to_gtp(a, n))
                e.play(0, a)
                sk.play(0, a)
            assert e.passes[0] == 2, ("random game hit the move cap", int(e.move_count[0]), e.max_moves)
            if gg.send("final_status_list dead").strip():
                dead_skipped += 1
                continue
            ours = float(e.score[0])
            theirs = parse_score(gg.final_score())
            assert ours == theirs, (n, g, ours, theirs)
            compared += 1
    finally:
        gg.close()
    return compared, dead_skipped


@pytest.mark.parametrize("n,games", [(9, 100), (5, 40), (7, 60), (13, 12)])
def test_gnugo_agreement(n, games):
    compared, dead = _play_games(n, games, seed=n)
    print(f"{n}x{n}: {compared} games score-compared, {dead} skipped (gnugo lists dead stones)")
    assert compared >= games - games // 10


@pytest.mark.slow
@pytest.mark.parametrize("n,games", [(9, 200), (5, 100), (7, 100), (13, 40), (19, 10)])
def test_gnugo_agreement_full(n, games):
    compared, _ = _play_games(n, games, seed=1000 + n)
    assert compared >= games - games // 10
