import pickle
import warnings

import numpy as np
import pytest
from agentctl.envs.go import env
from agentctl.envs.go.board_text import play_terminal, render_board


@pytest.mark.parametrize("n", [5, 9])
def test_pettingzoo_api(n):
    from pettingzoo.test import api_test
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api_test(env(board_size=n), num_cycles=300, verbose_progress=False)


def test_aec_game_to_the_end():
    e = env(board_size=5)
    e.reset(seed=1)
    rng = np.random.default_rng(0)
    seen_agents = set()
    final = {}
    for agent in e.agent_iter():
        obs, rew, term, trunc, _ = e.last()
        seen_agents.add(agent)
        assert obs["observation"].shape == (9, 5, 5) and obs["observation"].dtype == np.float32
        if term or trunc:
            final[agent] = rew
            e.step(None)
            continue
        mask = obs["action_mask"]
        assert mask[-1] == 1  # pass is always legal
        e.step(int(rng.choice(np.flatnonzero(mask))))
    assert seen_agents == {"black_0", "white_0"}
    base = e.unwrapped
    w = int(base.engine.winner[0])
    assert w in (1, 2)
    assert final[["black_0", "white_0"][w - 1]] == 1 and final[["white_0", "black_0"][w - 1]] == -1


def test_aec_observation_perspective():
    e = env(board_size=5)
    e.reset()
    e.step(12)  # black C3
    ob = e.observe("black_0")["observation"]
    ow = e.observe("white_0")["observation"]
    assert ob[0].sum() == 1 and ob[1].sum() == 0  # black's own stone
    assert ow[0].sum() == 0 and ow[1].sum() == 1
    assert ow[-1].max() == 0 and ob[-1].max() == 0  # white to play
    assert e.observe("black_0")["action_mask"].sum() == 0


def _random_legal(mask, rng):
    return np.array([rng.choice(np.flatnonzero(m)) if m.any() else 0 for m in mask])


def test_go_games_play_and_reset():
    """GoGames (the batch training steps) plays B boards to the end; outcomes follow the
    engine's winner; reset_games restarts only the given boards; history(i) is the move list."""
    from agentctl.envs.go.turn_based import GoGames

    g = GoGames(16, board_size=7)
    g.reset(seed=3)
    obs, mask = g.observe()
    assert obs.shape == (16, 9, 7, 7) and mask.shape == (16, 50)
    rng = np.random.default_rng(0)
    played = [[] for _ in range(16)]
    for _ in range(2 * 49 + 2):
        live = ~g.done()
        actions = _random_legal(g.observe()[1], rng)
        g.step(actions, live)
        for i in np.flatnonzero(live):
            played[i].append(int(actions[i]))
    assert g.done().all()
    w = g.engine.winner
    assert (g.outcome() == np.where(w == 1, 1.0, np.where(w == 2, -1.0, 0.0))).all()
    assert [g.history(i) for i in range(16)] == played
    g.reset_games(np.arange(8))
    assert g.done().tolist() == [False] * 8 + [True] * 8
    assert g.history(0) == [] and g.history(8) == played[8]


def test_go_games_pickle_continues_identically():
    """Training pickles the games for an exact resume: the copy plays on exactly like the original."""
    from agentctl.envs.go.turn_based import GoGames

    g = GoGames(8, board_size=5, max_moves=10)
    g.reset(seed=0)
    rng = np.random.default_rng(1)
    for _ in range(6):
        g.step(_random_legal(g.observe()[1], rng), ~g.done())
    p = pickle.loads(pickle.dumps(g))
    a = _random_legal(g.observe()[1], rng)
    for x in (g, p):
        x.step(a, ~x.done())
    assert np.array_equal(g.engine.stones, p.engine.stones)
    assert [g.history(i) for i in range(8)] == [p.history(i) for i in range(8)]


def test_play_terminal_scripted():
    inputs = iter(["", "Z9", "I3", "C3", "C3", "undo", "C3", "resign"])
    out = []
    eng = play_terminal(None, board_size=5, human_color="black", input_fn=lambda _: next(inputs),
                        print_fn=out.append)
    text = "\n".join(out)
    assert "is not a move" in text and "illegal" in text and "Nothing to undo" not in text
    assert eng.done[0] and eng.resigned[0] and eng.winner[0] == 2
    assert "white wins by resignation" in text
    assert "A B C D E" in text


def test_play_terminal_human_white_vs_agent_to_the_end():
    inputs = iter(["pass"] * 100)
    out = []
    eng = play_terminal(lambda e: e.pass_action, board_size=5, human_color="white",
                        input_fn=lambda _: next(inputs), print_fn=out.append)
    assert eng.done[0] and eng.winner[0] == 2 and "W+7.5" in out[-1]
    assert "last move" in render_board(eng)
