"""Move-by-move agreement with OpenSpiel's Go (C++), which uses simple ko and ends
the game as a draw when a board move repeats an earlier position; we compare with
``ko_rule="simple", repetition_ends_game=True``.  Every step checks: legal-move set,
board (so captures), terminal flag; at the end the winner."""
import numpy as np
import pytest
from agentctl.envs.go.engine import GoEngine

pyspiel = pytest.importorskip("pyspiel", reason="open-spiel not installed (pip install open-spiel)")


def _os_perm(n):
    """perm[our_action] = openspiel_action (OpenSpiel: row 0 = bottom row)."""
    ours = np.arange(n * n + 1)
    r, c = np.divmod(ours[:-1], n)
    return np.concatenate([(n - 1 - r) * n + c, [n * n]])


def _play_batch(n, games, seed):
    game = pyspiel.load_game("go", {"board_size": n, "komi": 7.5})
    eng = GoEngine(games, n, ko_rule="simple", repetition_ends_game=True)
    assert eng.max_moves == game.max_game_length()
    perm = _os_perm(n)
    inv = np.argsort(perm)
    states = [game.new_initial_state() for _ in range(games)]
    rng = np.random.default_rng(seed)
    steps = 0
    captured = np.zeros(games, bool)
    while not eng.done.all():
        actions = np.full(games, -1, np.int64)
        for b in np.flatnonzero(~eng.done):
            st = states[b]
            assert not st.is_terminal()
            os_legal = np.asarray(st.legal_actions())
            ours = np.flatnonzero(eng.mask[b])
            assert np.array_equal(np.sort(perm[ours]), os_legal), (n, b, int(eng.move_count[b]))
            a = int(rng.choice(ours))
            actions[b] = a
            st.apply_action(int(perm[a]))
            steps += 1
        before = (eng.stones != 0).sum(1)
        eng.step(actions)
        captured |= (actions < n * n) & (actions >= 0) & ((eng.stones != 0).sum(1) <= before)
        for b in np.flatnonzero(actions >= 0):
            st = states[b]
            t = np.asarray(st.observation_tensor(0), np.float32).reshape(4, n * n)
            board = np.where(t[0] > 0, 1, np.where(t[1] > 0, 2, 0))[inv[:-1]]
            assert np.array_equal(board, eng.stones[b]), (n, b, int(eng.move_count[b]))
            assert st.is_terminal() == bool(eng.done[b])
            if st.is_terminal():
                ret = st.returns()[0]
                expect = 1 if ret > 0 else (2 if ret < 0 else 0)
                assert int(eng.winner[b]) == expect
    by_pass = eng.passes >= 2
    by_cap = (eng.move_count >= eng.max_moves) & ~by_pass & ~eng.repeated
    return steps, {"passes": int(by_pass.sum()), "cap": int(by_cap.sum()),
                   "repetition": int(eng.repeated.sum()), "captured": int(captured.sum())}


# about 4,000 random games in the default run (the slow variant: 400 per size, 5..19)
@pytest.mark.parametrize("n,games", [(5, 2000), (6, 400), (7, 600), (8, 200), (9, 600),
                                     (11, 80), (13, 60), (15, 20), (17, 12), (19, 24)])
def test_openspiel_agreement(n, games):
    steps, ends = _play_batch(n, games, seed=n)
    print(n, games, steps, ends)
    assert ends["passes"] + ends["cap"] + ends["repetition"] == games
    assert ends["captured"] > games // 4  # captures were exercised
    if n <= 9:
        assert ends["passes"] > 0 and ends["cap"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("n", list(range(5, 20)))
def test_openspiel_agreement_full(n):
    _play_batch(n, 400, seed=100 + n)
