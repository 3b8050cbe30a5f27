"""Play-time PUCT search (agentctl.search) on tiny games with known answers, and Go wiring."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from agentctl.search import MCTS, NetEvaluator, SearchState, search_actions, supports_search


class Nim:
    """Take 1..3 stones; whoever takes the last stone wins. Players 0 and 1.

    Minimax: the player to move loses exactly when ``stones % 4 == 0``; otherwise the
    winning move takes ``stones % 4``. Action ``a`` takes ``a + 1`` stones."""

    def __init__(self, stones: int, player: int = 0, extra_turn: bool = False) -> None:
        self.stones, self.player, self.last = stones, player, None
        self.extra_turn = extra_turn  # taking exactly 2 keeps the move (tests non-alternating turns)

    def clone(self) -> Nim:
        c = Nim(self.stones, self.player, self.extra_turn)
        c.last = self.last
        return c

    def play(self, action: int) -> None:
        take = int(action) + 1
        assert self.legal_mask()[action], (self.stones, action)
        self.stones -= take
        self.last = self.player
        if not (self.extra_turn and take == 2 and self.stones > 0):
            self.player = 1 - self.player

    def legal_mask(self) -> np.ndarray:
        return np.arange(1, 4) <= self.stones

    def observation(self) -> np.ndarray:
        return np.array([self.stones, self.player], dtype=np.float32)

    def is_over(self) -> bool:
        return self.stones == 0

    def to_play(self) -> int:
        return self.player

    def result_for(self, player: int) -> float:
        return 1.0 if player == self.last else -1.0


def uniform(states):
    """An untrained net: uniform priors, value 0."""
    return np.full((len(states), 3), 1 / 3), np.zeros(len(states))


def test_nim_is_a_search_state():
    assert isinstance(Nim(5), SearchState)


@pytest.mark.parametrize("stones", [1, 2, 3, 5, 6, 7, 9, 10, 11])
def test_finds_the_winning_move_with_an_uninformed_net(stones):
    mcts = MCTS(uniform)
    assert mcts.choose(Nim(stones), 300) == stones % 4 - 1


def test_a_misleading_prior_is_overruled_by_the_terminal_win():
    """The net strongly prefers taking 1, but taking 3 ends the game with a win."""
    def misleading(states):
        return np.tile([0.9, 0.05, 0.05], (len(states), 1)), np.zeros(len(states))

    root = MCTS(misleading).search(Nim(3), 64)
    assert int(root.actions[np.argmax(root.visits)]) == 2
    greedy_prior = int(root.actions[np.argmax(root.priors)])
    assert greedy_prior == 0  # the plain policy would have played the wrong move


def test_avoids_an_immediate_loss():
    """From 5 stones every move but 'take 1' hands the opponent a winning last take (it
    leaves 3 or 2); taking 1 leaves 4, a lost position for the opponent."""
    def wrong_prior(states):
        return np.tile([0.02, 0.49, 0.49], (len(states), 1)), np.zeros(len(states))

    assert MCTS(wrong_prior).choose(Nim(5), 200) == 0


def test_visits_sum_to_playouts_and_terminal_values():
    root = MCTS(uniform).search(Nim(6), 50)
    assert root.visits.sum() == 50
    assert root.n == 51  # its own expansion plus every playout
    for a, child in root.children.items():
        assert child.n == root.visits[list(root.actions).index(a)]
    # Taking 3 from 3 stones: a terminal child, lost for its player to move (who did not take).
    root = MCTS(uniform).search(Nim(3), 30)
    end = root.children[2]
    assert end.terminal and end.value == -1.0 and end.player == 1
    j = list(root.actions).index(2)
    assert root.value_sum[j] == root.visits[j]  # every visit backed up +1 for the mover


def test_values_are_negated_for_the_opponent():
    """The value head says 'the player to move is winning' (+0.9) everywhere. One ply down
    that is the opponent, so the root's edges must carry -0.9: a flipped sign would make
    every move look winning instead."""
    def optimistic(states):
        return np.full((len(states), 3), 1 / 3), np.full(len(states), 0.9)

    root = MCTS(optimistic, fpu_reduction=0.0).search(Nim(20), 3)
    assert root.visits.tolist() == [1, 1, 1]  # unvisited (Q = +0.9 by FPU) beat visited (-0.9)
    assert np.allclose(root.value_sum, -0.9)


def test_search_prefers_the_move_the_value_head_likes_for_the_mover():
    """The value head knows the truth (the player to move loses iff stones % 4 == 0). One ply
    of search picks the move that leaves the opponent lost; with the sign flipped it would
    pick a move that leaves the opponent winning."""
    def oracle(states):
        v = np.array([-1.0 if s.stones % 4 == 0 else 1.0 for s in states])
        return np.full((len(states), 3), 1 / 3), v

    for stones in (13, 14, 15):
        assert MCTS(oracle).choose(Nim(stones), 12) == stones % 4 - 1


def test_non_alternating_turns_keep_the_sign():
    """Taking 2 keeps the move: from 4 stones, take 2 (still our move, 2 left), then take 2
    and win. Alternating bookkeeping would think 'take 2' hands the move over."""
    root = MCTS(uniform).search(Nim(4, extra_turn=True), 200)
    assert int(root.actions[np.argmax(root.visits)]) == 1
    j = list(root.actions).index(1)
    assert root.value_sum[j] / root.visits[j] > 0.5


def test_search_many_matches_separate_searches():
    mcts = MCTS(uniform)
    roots = mcts.search_many([Nim(5), Nim(7), Nim(9)], 40)
    for r, stones in zip(roots, (5, 7, 9)):
        alone = mcts.search(Nim(stones), 40)
        assert np.array_equal(r.visits, alone.visits)
    state = Nim(6)
    mcts.search(state, 10)
    assert state.stones == 6 and state.player == 0  # the caller's state is untouched


def test_bad_inputs():
    with pytest.raises(ValueError):
        MCTS(uniform).search(Nim(3), 0)
    with pytest.raises(ValueError):
        MCTS(uniform).search(Nim(0), 5)


class _Batch:
    """A minimal turn-based batch that offers search states and a symmetry-like frame."""

    def __init__(self, stones):
        self.stones = stones

    def search_state(self, i):
        return Nim(self.stones[i])

    def to_frame(self, index, actions):
        return np.asarray(actions) + 10


def test_search_actions_uses_search_state_and_frame():
    games = _Batch([3, 2, 1])
    assert supports_search(games) and not supports_search(object())
    out = search_actions(MCTS(uniform), games, np.array([0, 2]), 50)
    assert out.tolist() == [12, 10]


def test_net_evaluator_masks_priors():
    import torch
    from agentctl.nn.distributions import ActionDist

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))
            self.dist = ActionDist([3])

        def forward(self, obs):
            b = obs.shape[0]
            return torch.tensor([[5.0, 0.0, 0.0]]).repeat(b, 1) + self.w, torch.full((b,), 0.25)

    priors, values = NetEvaluator(Net())([Nim(1), Nim(7)])
    assert priors.shape == (2, 3) and np.allclose(priors.sum(1), 1)
    assert priors[0, 0] == pytest.approx(1.0) and priors[0, 1:].max() < 1e-30  # only 'take 1' legal
    assert np.allclose(values, 0.25)


# ---------------------------------------------------------------------------- Go
def test_go_search_state_adapter():
    from agentctl.envs.go.engine import BLACK, WHITE, GoEngine
    from agentctl.envs.go.search_state import GoSearchState
    from agentctl.envs.go.turn_based import GoGames

    engine = GoEngine(3, 5)
    s = GoSearchState.of(engine, 1)
    assert isinstance(s, SearchState)
    assert s.to_play() == BLACK and not s.is_over() and s.legal_mask().shape == (26,)
    assert s.observation().shape == (engine.num_planes, 5, 5)
    c = s.clone()
    c.play(12)
    assert c.to_play() == WHITE and s.to_play() == BLACK and engine.move_count.sum() == 0
    c.play(25)
    c.play(25)  # two passes end the game; black's stone owns the board
    assert c.is_over() and c.result_for(BLACK) == 1.0 and c.result_for(WHITE) == -1.0
    games = GoGames(2, 5)
    assert supports_search(games) and games.search_state(1).to_play() == BLACK
    from agentctl.games import DihedralAugment

    assert supports_search(DihedralAugment(games, 0))


@pytest.mark.parametrize("komi, pass_wins", [(0.5, True), (-0.5, False)])
def test_go_search_uses_the_final_score_after_a_pass(komi, pass_wins):
    """5x5: black C3, white D3, black passes. White passing ends the game, one stone each:
    with komi 0.5 that wins for white, with komi -0.5 it loses (while a white stone more, then
    two passes, would win). A net that loves passing
    (uninformed otherwise: value 0) must pass only when passing wins."""
    from agentctl.envs.go.engine import WHITE, GoEngine, gtp_to_action
    from agentctl.envs.go.search_state import GoSearchState

    engine = GoEngine(1, 5, komi=komi)
    for move in ("C3", "D3"):
        engine.play(0, gtp_to_action(move, 5))
    engine.play(0, 25)  # black passes
    state = GoSearchState(engine)
    assert state.to_play() == WHITE

    def loves_pass(states):
        p = np.full((len(states), 26), 0.1 / 25)
        p[:, 25] = 0.9
        return p, np.zeros(len(states))

    move = MCTS(loves_pass).choose(state, 200)
    assert (move == 25) == pass_wins
    if pass_wins:  # an uninformed net (uniform priors) finds the winning pass too
        def uninformed(states):
            return np.full((len(states), 26), 1 / 26), np.zeros(len(states))

        assert MCTS(uninformed).choose(state, 100) == 25


@pytest.fixture(scope="module")
def tiny_go_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("search") / "go"
    subprocess.run([sys.executable, "-m", "agentctl.cli", "train", "--env", "go", "--steps", "256",
                    "--set", "num_envs=4", "--set", "num_steps=64", "--set", "env_kwargs.board_size=5",
                    "--set", "tensorboard=false", "--run-dir", str(run), "--json"],
                   check=True, capture_output=True, timeout=300)
    return run


def test_agentctl_gtp_with_search_answers_a_legal_move(tiny_go_run):
    from agentctl.envs.go.engine import GoEngine, gtp_to_action

    lines = ["boardsize 5", "clear_board", "play black C3", "play white B2", "genmove black", "quit"]
    p = subprocess.run([sys.executable, "-m", "agentctl.cli", "gtp", "--checkpoint", str(tiny_go_run),
                        "--board-size", "5", "--playouts", "8"], input="\n".join(lines) + "\n",
                       capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 0, p.stderr
    answers = p.stdout.split("\n\n")
    assert answers[4].startswith("= "), answers
    engine = GoEngine(1, 5)
    engine.play(0, gtp_to_action("C3", 5))
    engine.play(0, gtp_to_action("B2", 5))
    move = answers[4][2:].strip()
    assert move.lower() == "pass" or engine.legal_mask()[0, gtp_to_action(move, 5)]


def test_eval_with_playouts(tiny_go_run):
    from agentctl.evaluate import evaluate
    from agentctl.host import get_host

    r = evaluate(str(tiny_go_run), get_host().registry, episodes=2, opponent="random", playouts=4)
    assert r["games"] == 2 and r["playouts"] == 4 and r["seconds_per_move"] > 0


def test_eval_playouts_come_from_the_runs_config_unless_told(tiny_go_run, tmp_path):
    import torch
    from agentctl.evaluate import evaluate
    from agentctl.host import get_host

    ckpts = sorted((tiny_go_run / "checkpoints").glob("step_*.pt"))
    state = torch.load(ckpts[-1], weights_only=False)
    state["config"]["eval_playouts"] = 3
    path = tmp_path / "searching.pt"
    torch.save(state, path)
    registry = get_host().registry
    assert evaluate(str(path), registry, episodes=2, opponent="random")["playouts"] == 3
    assert evaluate(str(path), registry, episodes=2, opponent="random", playouts=0)["playouts"] == 0
    assert evaluate(str(tiny_go_run), registry, episodes=2, opponent="random")["playouts"] == 0
