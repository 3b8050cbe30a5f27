"""Go self-play on either engine: GoGames over the torch engine plays exactly the games it plays
over the numba engine, trains and resumes from the CLI, and bad engine/device settings are
refused in one line."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from agentctl import checkpoint
from agentctl.envs.go.turn_based import GoGames
from agentctl.errors import UserError
from agentctl.plugins.go import make_games


def _same(a: GoGames, b: GoGames, step: int) -> None:
    (oa, ma), (ob, mb) = a.observe(), b.observe()
    assert isinstance(ob, np.ndarray) and isinstance(mb, np.ndarray)
    assert np.array_equal(oa, ob), f"observations differ at step {step}"
    assert np.array_equal(ma, mb), f"masks differ at step {step}"
    for name in ("to_play", "done", "outcome"):
        assert np.array_equal(getattr(a, name)(), getattr(b, name)()), f"{name} differs at step {step}"


def test_torch_games_play_the_numba_games_move_by_move():
    n, games = 5, 8
    a, b = GoGames(games, n, engine="numba"), GoGames(games, n, engine="torch")
    a.reset(), b.reset()
    rng = np.random.default_rng(7)
    finished = 0
    for step in range(400):
        _same(a, b, step)
        done = a.done()
        if done.any():
            idx = np.flatnonzero(done)
            ta, tb = a.final_targets(idx), b.final_targets(idx)
            assert np.array_equal(ta["ownership"], tb["ownership"]) and np.array_equal(ta["score"], tb["score"])
            # independent of both engines' scoring: area score = owned points - komi
            assert np.allclose(tb["ownership"].sum(1) - 7.5, tb["score"])
            finished += idx.size
            for i in idx:
                assert a.history(i) == b.history(i)
            a.reset_games(idx), b.reset_games(idx)
            continue
        _, mask = a.observe()
        u = rng.random(mask.shape)
        u[:, n * n] *= 0.05  # passes rare: long games with captures and ko
        actions = np.where(mask, u, -1.0).argmax(1)
        active = rng.random(games) < 0.8  # some games sit a turn out (opponent seats)
        a.step(actions, active), b.step(actions, active)
        if step == 150:  # search states agree too
            sa, sb = a.search_state(3), b.search_state(3)
            assert np.array_equal(sa.observation(), sb.observation())
            assert np.array_equal(sa.legal_mask(), sb.legal_mask())
    assert finished >= 8


def test_torch_games_refuse_illegal_actions_and_pickle_to_the_same_games():
    g = GoGames(2, 5, engine="torch")
    g.reset()
    g.step(np.array([12, 0]), np.array([True, True]))
    with pytest.raises(ValueError, match="illegal action 12 in game 0"):
        g.step(np.array([12, 1]), np.array([True, True]))
    copy = pickle.loads(pickle.dumps(g))
    assert copy.engine.device.type == "cpu"
    for h in (g, copy):
        h.step(np.array([13, 1]), np.array([True, False]))
    assert np.array_equal(g.observe()[0], copy.observe()[0]) and g.history(0) == copy.history(0) == [12, 13]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_games_pickle_to_cpu_tensors():
    g = GoGames(2, 5, engine="torch", device="cuda")
    g.step(np.array([12, 0]), np.array([True, True]))
    state = g.__getstate__()
    assert state["engine"].hashes.device.type == "cpu"
    copy = pickle.loads(pickle.dumps(g))
    assert copy.engine.device.type == "cuda" and np.array_equal(copy.observe()[0], g.observe()[0])


@pytest.mark.parametrize("kwargs, message", [
    ({"engine": "jax"}, 'engine must be "numba" or "torch"'),
    ({"device": "cuda"}, "needs env_kwargs.engine=torch"),
    ({"engine": "torch", "device": "gpu"}, 'device must be "cpu", "cuda" or "cuda:N"'),
    ({"engine": "torch", "device": "cuda:99"}, "no such CUDA device here"),
])
def test_bad_engine_settings_are_one_line_user_errors(kwargs, message):
    with pytest.raises(UserError, match=message) as info:
        make_games(2, board_size=5, **kwargs)
    assert "\n" not in str(info.value)


def test_cli_trains_and_resumes_on_the_torch_engine(tmp_path):
    args = ["--env", "go", "--seed", "3", "--set", "env_kwargs.board_size=5", "--set", "env_kwargs.engine=torch",
            "--set", "num_envs=8", "--set", "num_steps=32", "--set", "minibatch_size=128",
            "--set", "update_epochs=1", "--set", "checkpoint_every=4", "--set", "keep_checkpoints=0",
            "--set", "tensorboard=false", "--set", "policy_kwargs.blocks=1", "--set", "policy_kwargs.channels=8"]

    def train(*extra: str) -> None:
        proc = subprocess.run([sys.executable, "-m", "agentctl.cli", "train", *extra, "--json"],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]

    a, b = tmp_path / "a", tmp_path / "b"
    train(*args, "--steps", "2048", "--run-dir", str(a))
    mid = next(p for p in checkpoint.list_checkpoints(a / "checkpoints")
               if checkpoint.load(p)["trainer"]["update"] == 4)
    assert checkpoint.load(mid)["trainer"]["envs"]["state_dict"]["games"] is not None  # exact resume
    train("--resume", str(mid), "--run-dir", str(b))
    ta, tb = checkpoint.load(a / "checkpoints")["trainer"], checkpoint.load(b / "checkpoints")["trainer"]
    assert ta["update"] == tb["update"] >= 8 and ta["global_step"] == tb["global_step"] >= 2048
    for name, value in ta["model"].items():
        assert torch.equal(value, tb["model"][name]), name
