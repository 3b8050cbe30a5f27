"""The contracts module (agentctl.contracts): old import paths, the register callbacks the host
really accepts, the augmentation wrapper's observe()/step() semantics, what check_games calls
"unchanged", and `agentctl check-plugin go` passing with PettingZoo's api_test."""

from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest
from agentctl import contracts
from agentctl.games import DihedralAugment
from agentctl.testing import check_games

go = pytest.importorskip("agentctl.envs.go.turn_based")


def test_old_import_paths_are_the_contracts():
    from agentctl import games, search, selfplay

    assert games.TurnBasedGames is contracts.TurnBasedGames
    assert search.SearchState is contracts.SearchState
    assert selfplay.Opponent is contracts.Opponent


def test_contracts_module_is_import_light():
    """Plugins' hook modules and the hook specs import it: no numpy, torch or env code."""
    code = ("import sys, agentctl.contracts; "
            "print(sorted(m for m in ('numpy', 'torch', 'agentctl.envs') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("category, protocol, target, required", [
    ("env", contracts.RegisterEnv, "pkg.mod:make", {"kind": "multi"}),
    ("policy", contracts.RegisterPolicy, "pkg.mod:build", {}),
    ("opponent", contracts.RegisterOpponent, "pkg.mod:factory", {"env": "*"}),
    ("reward", contracts.RegisterReward, "pkg.mod:fn", {}),
])
def test_register_protocols_match_what_the_host_accepts(category, protocol, target, required):
    """Every keyword a register Protocol documents is one the host's callback takes."""
    from agentctl.registry import Registry

    params = inspect.signature(protocol.__call__).parameters
    keywords = {name: p.default for name, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    keywords = {k: (required[k] if k in required else v) for k, v in keywords.items()}
    assert set(required) <= set(keywords)
    added: list = []
    Registry().registrar(category, "plugin", added)("thing", target, **keywords)
    assert added == [(category, "plugin/thing")]


def _augmented(num_games=4, size=5, seed=0):
    games = go.GoGames(num_games, board_size=size)
    return games, DihedralAugment(games, seed=seed)


def test_augmentation_observe_is_a_pure_read():
    """Observing twice shows the same frames; step() reads actions in the frames shown."""
    games, aug = _augmented()
    aug.reset()
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(6):
        obs, mask = aug.observe()
        again_obs, again_mask = aug.observe()
        np.testing.assert_array_equal(obs, again_obs)
        np.testing.assert_array_equal(mask, again_mask)
        frames.append(aug.frame.copy())
        shown = np.array([rng.choice(np.flatnonzero(m[:25])) for m in mask])  # board points
        before = games.engine.stones.copy()
        aug.step(shown, np.ones(4, dtype=bool))
        real = aug.gather[frames[-1], shown]  # the real points of what was chosen in view
        assert (before[np.arange(4), real] == 0).all() and (games.engine.stones[np.arange(4), real] != 0).all()
    assert len({f.tobytes() for f in frames}) > 1, "frames are redrawn turn by turn"


def test_augmentation_draws_one_batch_of_frames_per_turn():
    """The training path's random stream: one draw of B frames by the first observe() after
    each change, whichever games moved (so Go runs stay bit-identical for a seed)."""
    games, aug = _augmented(num_games=6, seed=7)
    expected = np.random.default_rng(7)
    aug.reset()
    for turn in range(5):
        aug.observe()
        np.testing.assert_array_equal(aug.frame, expected.integers(0, 8, size=6))
        aug.observe()  # no change in between: no draw
        active = np.arange(6) % 2 == turn % 2  # half the games sit out: the draw is still for all
        aug.step(np.full(6, 25), active)  # everybody passes (or sits out)
    aug.reset_games(np.array([0]))
    aug.observe()
    np.testing.assert_array_equal(aug.frame, expected.integers(0, 8, size=6))


def test_augmentation_passes_real_board_capabilities_through():
    games, aug = _augmented()
    aug.reset()
    aug.step(np.array([0, 1, 2, 25]), np.ones(4, dtype=bool))
    assert aug.history(1) == games.history(1) and len(aug.history(1)) == 1
    assert aug.search_state(2).to_play() == games.search_state(2).to_play()
    assert isinstance(aug, contracts.FramedGames) and not isinstance(games, contracts.FramedGames)
    assert isinstance(games, contracts.RecordedGames) and isinstance(games, contracts.SearchableGames)

    class Plain:  # square-board games without the optional capabilities
        num_games, observation_space, action_space = 1, games.observation_space, games.action_space

    bare = DihedralAugment(Plain())
    assert not hasattr(bare, "history") and not hasattr(bare, "search_state")


def test_check_games_judges_unchanged_on_the_real_games():
    _, aug = _augmented(num_games=2, size=5)
    assert "played to the end" in check_games(aug)

    class Leaky(DihedralAugment):  # plays every game, active or not
        def step(self, actions, active):
            super().step(actions, np.ones_like(active))

    class Redraws(DihedralAugment):  # the old wrapper: every observe() redraws the frames
        def observe(self):
            self._stale = True
            return super().observe()

    class Unframed(DihedralAugment):  # to_frame forgets the frames
        def to_frame(self, index, real_actions):
            return np.asarray(real_actions)

    for wrapper, message in [(Leaky, "changed a game that was not active"),
                             (Redraws, "observe\\(\\) changed the games"),
                             (Unframed, "to_frame\\(\\) does not map")]:
        with pytest.raises(AssertionError, match=message):
            check_games(wrapper(go.GoGames(2, board_size=5), seed=0))


def test_check_plugin_go_runs_pettingzoo_api_test_and_passes(run_cli):
    from agentctl.envs.go.gtp_client import find_gnugo

    res = run_cli("check-plugin", "go", timeout=600)
    report = {line[6:].split("  ")[0].strip(): line[:4] for line in res.stdout.splitlines()
              if line[:4] in ("PASS", "FAIL", "SKIP")}  # check name -> status
    assert report.get("env go: pettingzoo api_test") == "PASS", res.stdout
    assert report.get("env go: batched env") == "PASS", res.stdout
    assert report.get("env go: training smoke test") == "PASS", res.stdout
    if find_gnugo() is None:  # the gnugo opponent's check needs the program
        assert [k for k, v in report.items() if v == "FAIL"] == ["opponent gnugo"], res.stdout
    else:
        assert res.returncode == 0 and "result: PASS" in res.stdout, res.stdout + res.stderr


def test_check_plugin_go_skips_the_gnugo_opponent_where_gnugo_is_not_installed(monkeypatch):
    """Our own plugin must not FAIL its check because a machine lacks an external program."""
    from agentctl.envs.go import gtp_client
    from agentctl.testing import SKIP, check_plugin

    monkeypatch.setattr(gtp_client, "find_gnugo", lambda: None)
    report = check_plugin("go", smoke_steps=0)
    gnugo = [c for c in report.checks if c.name == "opponent gnugo"]
    assert gnugo and gnugo[0].status == SKIP and "gnugo not found" in gnugo[0].detail, report.format()
    assert report.ok, report.format()
