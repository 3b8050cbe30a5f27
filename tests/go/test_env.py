import pickle
import warnings

import numpy as np
import pytest
from agentctl.envs.go import GoVectorEnv, env
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


def test_vector_env_plays_and_resets():
    v = GoVectorEnv(16, board_size=7, autoreset=False)
    obs, mask = v.reset(seed=3)
    assert obs.shape == (16, 9, 7, 7) and mask.shape == (16, 50)
    finished = np.zeros(16, bool)
    total_rew = np.zeros(16)
    for _ in range(2 * 49 + 2):
        mover = v.to_play.copy()
        obs, mask, rew, done = v.step(v.random_actions())
        total_rew += rew
        assert (rew[~done] == 0).all()
        w = v.winner()
        assert ((rew[done] == 1) == (w[done] == mover[done])).all()
        finished |= done
    assert finished.all() and v.done.all()
    v.reset(indices=np.arange(8))
    assert v.done.tolist() == [False] * 8 + [True] * 8


def test_vector_env_autoreset_clone_pickle():
    v = GoVectorEnv(8, board_size=5, autoreset=True, max_moves=10)
    v.reset(seed=0)
    ends = 0
    for _ in range(30):
        _, _, _, done = v.step(v.random_actions())
        ends += done.sum()
    assert ends >= 8 and not v.done.any()
    c = v.clone()
    p = pickle.loads(pickle.dumps(v))
    a = v.random_actions()
    for x in (v, c, p):
        x.step(a)
    assert np.array_equal(v.engine.stones, c.engine.stones)
    assert np.array_equal(v.engine.stones, p.engine.stones)


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
