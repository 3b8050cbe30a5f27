"""Go's teacher: GnuGo games replayed into demonstrations (agentctl.envs.go.teacher, plugins/go.py).

Targets are checked against positions scored by hand and against GnuGo's own final score;
tests that play GnuGo skip when it is not installed.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from agentctl.envs.go.engine import GoEngine
from agentctl.envs.go.gtp_client import find_gnugo
from agentctl.envs.go.teacher import generate, read_games, replay
from agentctl.errors import Unavailable, UserError
from agentctl.plugins.go import make_gnugo_teacher

needs_gnugo = pytest.mark.skipif(find_gnugo() is None, reason="gnugo not installed (apt-get install gnugo)")


def point(r: int, c: int, n: int = 5) -> int:
    return r * n + c


# A 5x5 game whose final position is scored on paper (B = black stone, W = white, . empty):
#
#     col: 0 1 2 3 4
#          . . B W .      black: 5 stones + the 10 points of columns 0-1      = 15
#          . . B W .      white: 5 stones + the 4 empty points of column 4    =  9
#          . . B W .      dame:  (4, 3) touches B (4, 2) and W (3, 3), (4, 4)  =  1
#          . . B W .      black - white - komi 0.5 = 15 - 9 - 0.5 = +5.5: black wins
#          . . B . W
HAND_MOVES = [point(0, 2), point(0, 3), point(1, 2), point(1, 3), point(2, 2), point(2, 3), point(3, 2),
              point(3, 3), point(4, 2), point(4, 4), 25, 25]
HAND_OWNER = np.array([[1, 1, 1, -1, -1],
                       [1, 1, 1, -1, -1],
                       [1, 1, 1, -1, -1],
                       [1, 1, 1, -1, -1],
                       [1, 1, 1, 0, -1]]).reshape(-1)  # black's view


def hand_record(**extra) -> dict:
    return {"moves": HAND_MOVES, "teacher": [False, False] + [True] * 10, "resigned": None, "board_size": 5,
            "komi": 0.5, "level": 0, **extra}


def test_replay_targets_of_a_hand_scored_game():
    data = replay([hand_record()], history=2)
    movers = np.array([1, -1] * 6)  # black moves first
    assert data["obs"].shape == (12, 5, 5, 5) and data["mask"].shape == (12, 26)
    assert data["action"].tolist() == HAND_MOVES
    assert data["teacher"].tolist() == hand_record()["teacher"]
    assert data["has_final"].all()
    np.testing.assert_array_equal(data["value"], movers * 1.0)
    np.testing.assert_allclose(data["score"], movers * 5.5)
    np.testing.assert_array_equal(data["ownership"], movers[:, None] * HAND_OWNER[None, :])
    assert data["ownership"][0, point(4, 3)] == 0  # the dame point belongs to nobody


def test_a_resigned_game_has_a_result_but_no_final_position():
    record = {**hand_record(), "moves": HAND_MOVES[:4], "teacher": [True] * 4, "resigned": "B"}
    data = replay([record], history=2)
    np.testing.assert_array_equal(data["value"], [-1, 1, -1, 1])  # black resigned: white won
    assert not data["has_final"].any() and not data["ownership"].any()


def test_an_illegal_move_is_a_clear_error(tmp_path):
    record = {**hand_record(), "moves": [point(0, 2), point(0, 2)], "teacher": [True, True]}
    with pytest.raises(ValueError, match=r"game 0: move 2 \(C5\) is illegal"):
        replay([record])
    path = tmp_path / "games.jsonl"
    path.write_text(json.dumps(record) + "\n")
    teacher = _teacher(board_size=5, komi=0.5, level=0)
    with pytest.raises(UserError, match=r"games\.jsonl: game 0: move 2 \(C5\) is illegal"):
        teacher.load(str(path))


def _teacher(**env_kwargs):
    """The registered teacher's object (GnuGo's presence faked: these tests play no game)."""
    import agentctl.envs.go.gtp_client as gtp

    level = env_kwargs.pop("level", 1)
    original = gtp.find_gnugo
    gtp.find_gnugo = lambda: "/usr/games/gnugo"
    try:
        return make_gnugo_teacher(str(level), seed=0, env_kwargs=env_kwargs)
    finally:
        gtp.find_gnugo = original


def test_the_plugin_teacher_loads_the_generic_format(tmp_path):
    path = tmp_path / "games.jsonl"
    path.write_text(json.dumps(hand_record()) + "\n" + json.dumps(hand_record()) + "\n" + '{"moves": [1')
    teacher = _teacher(board_size=5, komi=0.5, history=2, level=0)
    assert teacher.symmetry == "dihedral"
    data = teacher.load(str(path))  # the torn last line (a killed generator) is skipped
    assert data["game"].tolist() == [0] * 12 + [1] * 12
    assert set(data["aux"]) == {"ownership", "score"} and data["aux_valid"].all()
    np.testing.assert_array_equal(data["aux"]["ownership"][1], -HAND_OWNER)
    assert data["obs"].shape == (24, 5, 5, 5)


def test_a_games_file_of_another_board_size_is_refused(tmp_path):
    path = tmp_path / "games.jsonl"
    path.write_text(json.dumps(hand_record()) + "\n")
    teacher = _teacher(board_size=9, komi=0.5, level=0)
    for call in (lambda: teacher.load(str(path)), lambda: teacher.generate(str(path), 5, workers=1)):
        with pytest.raises(UserError, match=r"holds 5x5 games.*wants 9x9"):
            call()


def test_teacher_registration_and_missing_gnugo(monkeypatch):
    from agentctl.host import get_host

    spec = get_host().registry.resolve("teacher", "gnugo")
    assert spec.env == "go" and spec.load() is make_gnugo_teacher
    import agentctl.envs.go.gtp_client as gtp

    monkeypatch.setattr(gtp, "find_gnugo", lambda: None)
    with pytest.raises(Unavailable, match="gnugo not found"):
        make_gnugo_teacher("1", seed=0, env_kwargs={})
    with pytest.raises(UserError, match="gnugo level must be an integer 0..10"):
        make_gnugo_teacher("eleven", seed=0, env_kwargs={})


@needs_gnugo
def test_gnugo_games_replay_legally_and_score_as_gnugo_does(tmp_path):
    """Real level-0 games on 5x5: every move replays legally through our engine, and our area
    score of each finished game is GnuGo's final_score."""
    path = tmp_path / "games.jsonl"
    assert generate(path, 3, level=0, board_size=5, komi=0.5, workers=1, seed=3) == 3
    assert generate(path, 4, level=0, board_size=5, komi=0.5, workers=1, seed=3) == 4  # continues the file
    records = read_games(path)
    assert len(records) == 4
    data = replay(records, history=4)
    assert len(data["action"]) == sum(len(r["moves"]) for r in records)
    for r in records:
        assert r["teacher"].count(False) <= 4  # only the random opening plies are not GnuGo's
        if r["resigned"] is None:
            assert r["score"] == r["gnugo_score"]
            engine = GoEngine(1, 5, komi=0.5)
            for a in r["moves"]:
                engine.step(np.array([a]))
            assert engine.done[0] and engine.ownership(0).sum() - 0.5 == r["score"]
