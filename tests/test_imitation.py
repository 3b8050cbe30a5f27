"""Imitation of a teacher (agentctl.imitation, ``agentctl pretrain --teacher``): the symmetry
is the one self-play uses, training learns, the checkpoint feeds train --init and eval, and
bad input is one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from agentctl.errors import UserError
from agentctl.imitation import Settings, augment, imitate, losses, split_games, validate
from agentctl.nn.resnet import build_resnet
from gymnasium import spaces

N = 5
POINTS = N * N


def one_hot_batch(actions: np.ndarray) -> dict:
    """Rows whose obs plane 0, mask and ownership target all mark the row's action point."""
    b = len(actions)
    obs = np.zeros((b, 3, N, N), np.uint8)
    mask = np.zeros((b, POINTS + 1), bool)
    own = np.zeros((b, POINTS), np.int8)
    for i, a in enumerate(actions):
        mask[i, a] = True
        if a < POINTS:
            obs[i, 0].reshape(-1)[a] = 1
            own[i, a] = 1
    return {"obs": obs, "mask": mask, "action": np.asarray(actions, np.int64), "teacher": np.ones(b, bool),
            "value": np.zeros(b, np.float32), "aux": {"ownership": own, "score": np.zeros(b, np.float32)},
            "aux_valid": np.ones(b, bool)}


def test_augment_moves_actions_with_the_board():
    """In every frame the transformed action is where the transformed one-hot plane is hot,
    and the mask and spatial aux targets moved with it (a version that turned the board but
    not the actions fails: the off-axis points below move in every frame but the identity)."""
    actions = np.array([1, 7, 13, 23, POINTS] * 8)  # 1, 23: on no symmetry axis; 13 the centre; 25 pass
    frames = np.repeat(np.arange(8), 5)
    out = augment(one_hot_batch(actions), frames, N)
    for i in range(len(actions)):
        if actions[i] == POINTS:
            assert out["action"][i] == POINTS and out["mask"][i].argmax() == POINTS
            continue
        hot = int(out["obs"][i, 0].reshape(-1).argmax())
        assert out["action"][i] == hot == out["mask"][i].argmax() == out["aux"]["ownership"][i].argmax()
    off_axis = np.isin(actions, [1, 23])
    moved = out["action"] != actions
    assert moved[off_axis & (frames > 0)].all() and not moved[frames == 0].any()


def test_augment_is_the_self_play_symmetry():
    """The frames are DihedralAugment's: its observation and mask in frame k are ours, and a real
    move shows where our transformed action says (DihedralAugment.to_frame)."""
    from agentctl.plugins.go import make_games

    games = make_games(num_envs=8, seed=0, board_size=N, history=1)
    raw = games.games
    rng = np.random.default_rng(0)
    for _ in range(6):  # a few plies so the boards are not symmetric
        _, mask = raw.observe()
        raw.step(np.array([rng.choice(np.flatnonzero(m[:POINTS])) for m in mask]), np.ones(8, bool))
    obs, mask = games.observe()
    games.frame = np.arange(8)  # one game per frame
    games._stale = False
    obs, mask = games.observe()
    real_obs, real_mask = raw.observe()
    real_moves = np.array([np.flatnonzero(m[:POINTS])[0] for m in real_mask])
    batch = {"obs": real_obs, "mask": real_mask, "action": real_moves, "aux": {}}
    out = augment(batch, np.arange(8), N)
    np.testing.assert_array_equal(out["obs"], obs)
    np.testing.assert_array_equal(out["mask"], mask)
    np.testing.assert_array_equal(out["action"], games.to_frame(np.arange(8), real_moves))


def tiny_policy(aux: bool = True):
    torch.manual_seed(0)
    return build_resnet(spaces.Box(0, 1, (3, N, N)), spaces.Discrete(POINTS + 1), blocks=1, channels=16, aux=aux)


def synthetic(games: int = 60, per_game: int = 10, seed: int = 0) -> dict:
    """The teacher plays the point marked on plane 0 (a rule a conv net learns in a few epochs);
    value: +1 when that point is in the top two rows."""
    rng = np.random.default_rng(seed)
    actions = rng.integers(0, POINTS, size=games * per_game)
    data = one_hot_batch(actions)
    data["obs"][:, 1:] = rng.integers(0, 2, size=data["obs"][:, 1:].shape)  # noise planes
    data["mask"][:] = rng.random(data["mask"].shape) < 0.5
    data["mask"][np.arange(len(actions)), actions] = True
    data["value"] = np.where(actions < 2 * N, 1.0, -1.0).astype(np.float32)
    data["game"] = np.repeat(np.arange(games), per_game)
    return data


def test_split_is_by_game_with_at_least_one_held_out():
    game = np.repeat(np.arange(10), 3)
    train, val = split_games(game, 0.05, np.random.default_rng(0))
    assert len(val) == 3 and len(train) == 27 and not set(game[train]) & set(game[val])
    train, val = split_games(np.zeros(4, int), 0.05, np.random.default_rng(0))  # one game: it validates
    assert len(val) == 4 and len(train) == 0
    with pytest.raises(UserError, match="needs 2 games or more"):
        imitate(tiny_policy(), synthetic(games=1), symmetry=None, settings=Settings(time_limit_s=60),
                save=lambda *a: None)


def test_validation_metrics_match_a_direct_forward_pass():
    data = synthetic(games=4)
    policy = tiny_policy()
    rows = np.arange(len(data["action"]))
    metrics = validate(policy, data, rows, ["ownership", "score"], Settings(), torch.device("cpu"), batch_size=7)
    with torch.no_grad():
        logits, value, aux = policy.forward_aux(torch.as_tensor(data["obs"]).float())
    logits = logits.masked_fill(~torch.as_tensor(data["mask"]), -1e30)
    action = torch.as_tensor(data["action"])
    ce = -torch.log_softmax(logits, 1)[torch.arange(len(action)), action].mean()
    own = torch.as_tensor(data["aux"]["ownership"]).float()
    p = (1 + aux["ownership"]) / 2
    own_loss = -(((1 + own) / 2) * p.log() + ((1 - own) / 2) * (1 - p).log()).mean()
    assert metrics["policy"] == pytest.approx(float(ce), rel=1e-5)
    assert metrics["accuracy"] == pytest.approx(float((logits.argmax(1) == action).float().mean()))
    assert metrics["value_mse"] == pytest.approx(float(((value - torch.as_tensor(data["value"])) ** 2).mean()),
                                                 rel=1e-5)
    assert metrics["aux/ownership"] == pytest.approx(float(own_loss), rel=1e-4)


def test_only_teacher_rows_are_policy_targets():
    data = synthetic(games=2)
    data["teacher"][:] = False
    parts = losses(tiny_policy(), {**data}, [], torch.device("cpu"))
    assert parts["targets"] == 0 and parts["policy"].item() == 0.0 and parts["value"].item() > 0


def test_imitation_learns_and_keeps_the_best(tmp_path):
    data = synthetic()
    policy = tiny_policy()
    saved = []
    summary = imitate(policy, data, symmetry="dihedral",
                      settings=Settings(epochs=12, batch_size=32, lr=3e-3, warmup_steps=10, seed=1),
                      save=lambda weights, row: saved.append((weights, row)))
    first, best = summary["history"][0], summary["best"]
    assert summary["aux_heads"] == ["ownership", "score"] and summary["val_games"] == 3
    assert best["accuracy"] > 0.8 > first["val_accuracy"]
    assert summary["history"][-1]["train_accuracy"] > 0.8
    # what was saved last is the best epoch's weights
    weights, row = saved[-1]
    assert row["val_loss"] == pytest.approx(best["loss"])
    again = tiny_policy()
    again.load_state_dict(weights)
    every = np.arange(len(data["action"]))
    assert validate(again, data, every, [], Settings(), torch.device("cpu"))["accuracy"] > 0.8


# -- the command and its checkpoint -------------------------------------------------------------
def random_records(games: int, seed: int = 0) -> list[dict]:
    """Random finished 5x5 games (stand-ins for GnuGo's: the command needs only the file)."""
    from agentctl.envs.go.engine import GoEngine

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(games):
        engine = GoEngine(1, N, komi=7.5)
        moves = []
        while not engine.done[0] and len(moves) < 60:
            legal = np.flatnonzero(engine.mask[0, :POINTS])
            a = POINTS if rng.random() < 0.1 or not legal.size else int(rng.choice(legal))
            engine.step(np.array([a]))
            moves.append(a)
        while not engine.done[0]:
            engine.step(np.array([POINTS]))
            moves.append(POINTS)
        out.append({"moves": moves, "teacher": [True] * len(moves), "resigned": None, "board_size": N,
                    "komi": 7.5, "level": 0})
    return out


TINY = ("env_kwargs.board_size=5", "policy_kwargs.blocks=1", "policy_kwargs.channels=8")


@pytest.fixture
def fake_gnugo(monkeypatch):
    """The gnugo teacher without the program: the games file is complete, so none is played."""
    import agentctl.envs.go.gtp_client as gtp

    monkeypatch.setattr(gtp, "find_gnugo", lambda: "/nonexistent/gnugo")


def test_checkpoint_feeds_train_init_and_eval(tmp_path, fake_gnugo, run_cli):
    from agentctl import checkpoint as ckpt
    from agentctl.assemble import load_policy
    from agentctl.host import get_host
    from agentctl.imitation import teacher_command

    data = tmp_path / "games.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in random_records(6)))
    out = tmp_path / "warm" / "pretrained.pt"
    summary = teacher_command(get_host().registry, env="go", teacher="gnugo:0", games=5, workers=1,
                              data_path=str(data), epochs=2, time_limit_s=None, config_file=None, sets=TINY,
                              seed=0, out=str(out), device="cpu", quiet=True)
    assert summary["games"] == 5 and summary["games_played"] == 0 and summary["checkpoint"] == str(out)
    assert summary["positions"] == sum(len(r["moves"]) for r in random_records(6)[:5])
    state = ckpt.load(out)
    policy, spec, cfg = load_policy(state)  # what eval builds: the same net, these weights
    assert spec.name == "go" and cfg.env_kwargs["board_size"] == 5 and cfg.policy_kwargs["channels"] == 8
    for k, v in policy.state_dict().items():
        torch.testing.assert_close(v, state["model"][k])
    result = run_cli("eval", "--checkpoint", str(out), "--opponent", "random", "--games", "2", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["games"] == 2
    sets = [a for s in TINY for a in ("--set", s)]
    result = run_cli("train", "--env", "go", "--init", str(out), "--steps", "64", "--set", "num_envs=2",
                     "--set", "num_steps=32", "--set", "minibatch_size=32", *sets, "--run-dir", str(tmp_path / "run"),
                     "--json", timeout=180)
    assert result.returncode == 0, result.stderr
    # a net of another size refuses these weights: --init really loads them
    result = run_cli("train", "--env", "go", "--init", str(out), "--steps", "64", "--set", "num_envs=2",
                     "--set", "num_steps=32", *sets, "--set", "policy_kwargs.channels=16",
                     "--run-dir", str(tmp_path / "run2"))
    assert result.returncode == 2 and "does not fit" in result.stderr


def pretrain_cli(*args):
    from agentctl.cli import cli
    from click.testing import CliRunner

    return CliRunner().invoke(cli, ["pretrain", *args])


@pytest.mark.parametrize("args, message", [
    (["--env", "go", "--teacher", "nosuch", "--games", "5"], "unknown teacher 'nosuch'"),
    (["--env", "rts", "--teacher", "gnugo", "--games", "5"], "teacher 'gnugo' plays env 'go', not 'rts'"),
    (["--env", "textgen", "--teacher", "gnugo", "--games", "5"], "env 'textgen' is a text env"),
    (["--env", "go", "--teacher", "gnugo", "--games", "0"], "--games must be >= 1, got 0"),
    (["--env", "go", "--teacher", "gnugo"], "--teacher needs --games"),
    (["--env", "go", "--games", "5"], "--games applies to --teacher pretraining"),
    (["--env", "go", "--teacher", "gnugo", "--games", "5", "--steps", "3"], "--steps applies to text pretraining"),
])
def test_bad_input_is_one_line(args, message):
    result = pretrain_cli(*args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.output


def test_a_games_file_of_another_board_size_is_one_line(tmp_path, fake_gnugo):
    data = tmp_path / "games.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in random_records(2)))
    result = pretrain_cli("--env", "go", "--teacher", "gnugo:0", "--games", "2", "--data", str(data),
                          "--out", str(tmp_path / "p.pt"), "--set", "policy_kwargs.blocks=1")
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "holds 5x5 games" in result.output and "wants 9x9" in result.output
    with pytest.raises(UserError, match="same file"):
        from agentctl.host import get_host
        from agentctl.imitation import teacher_command

        teacher_command(get_host().registry, env="go", teacher="gnugo:0", games=2, workers=1,
                        data_path=str(tmp_path / "p.pt"), epochs=1, time_limit_s=None, config_file=None, sets=(),
                        seed=0, out=str(tmp_path / "p.pt"), device="cpu")
