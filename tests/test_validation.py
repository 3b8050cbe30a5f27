"""Config values are checked before a run starts: one line naming the key and its range.

Every numeric field has a range (NaN and infinities refused); the checks live in
``agentctl.config.resolve``, so train, resume and eval all go through them.
"""

from __future__ import annotations

import math

import pytest
from agentctl.config import FIELDS, load_toml, resolve
from agentctl.errors import UserError

NAN, INF = math.nan, math.inf

# input layer -> a fragment of the one-line message
BAD = [
    ({"total_timesteps": 0}, "config total_timesteps must be >= 1, got 0"),
    ({"num_steps": 0}, "config num_steps must be >= 1, got 0"),
    ({"update_epochs": 0}, "config update_epochs must be >= 1, got 0"),
    ({"learning_rate": -1e-3}, "config learning_rate must be > 0, got -0.001"),
    ({"learning_rate": 0}, "config learning_rate must be > 0, got 0.0"),
    ({"learning_rate": NAN}, "config learning_rate must be a finite number > 0, got nan"),
    ({"gamma": 0}, "config gamma must be in (0, 1], got 0.0"),
    ({"gamma": 1.01}, "config gamma must be in (0, 1], got 1.01"),
    ({"gamma": NAN}, "config gamma must be a finite number in (0, 1], got nan"),
    ({"gae_lambda": -0.1}, "config gae_lambda must be in [0, 1], got -0.1"),
    ({"gae_lambda": 1.5}, "config gae_lambda must be in [0, 1], got 1.5"),
    ({"minibatch_size": 2048}, "minibatch_size must be <= the batch num_envs * num_steps = 8 * 128 = 1024, got 2048"),
    ({"clip_coef": 0}, "config clip_coef must be > 0, got 0.0"),
    ({"clip_coef": INF}, "config clip_coef must be a finite number > 0, got inf"),
    ({"vf_clip_coef": -0.2}, "config vf_clip_coef must be > 0"),
    ({"ent_coef": -0.01}, "config ent_coef must be >= 0, got -0.01"),
    ({"vf_coef": NAN}, "config vf_coef must be a finite number >= 0, got nan"),
    ({"max_grad_norm": -1}, "config max_grad_norm must be >= 0"),
    ({"target_kl": -INF}, "config target_kl must be a finite number >= 0, got -inf"),
    ({"adam_eps": 0}, "config adam_eps must be > 0"),
    ({"seed": -1}, "config seed must be in [0, 4294967295], got -1"),
    ({"seed": 2**32}, "config seed must be in [0, 4294967295], got 4294967296"),
    ({"torch_threads": -1}, "config torch_threads must be >= 0, got -1"),
    ({"checkpoint_every": -5}, "config checkpoint_every must be >= 0, got -5"),
    ({"keep_checkpoints": -1}, "config keep_checkpoints must be >= 0, got -1"),
    ({"time_limit_s": -1}, "config time_limit_s must be >= 0"),
    ({"time_limit_s": INF}, "config time_limit_s must be a finite number >= 0, got inf"),
    ({"snapshot_every": -1}, "config snapshot_every must be >= 0"),
    ({"max_snapshots": -1}, "config max_snapshots must be >= 0"),
    ({"eval_every": -1}, "config eval_every must be >= 0"),
    ({"eval_games": 0}, "config eval_games must be >= 1"),
    ({"opponents": {"latest": 0, "snapshot": 0, "random": 0}}, "weights must be numbers >= 0, not all 0"),
    ({"opponents.random": -0.5}, "config opponents: weights must be numbers >= 0"),
    ({"opponents.random": NAN}, "config opponents: weights must be numbers >= 0"),
    ({"opponents.random": "lots"}, "config opponents: weights must be numbers >= 0"),
]


@pytest.mark.parametrize("layer, fragment", BAD, ids=[str(layer) for layer, _ in BAD])
def test_bad_value_is_one_line_naming_key_and_range(layer, fragment):
    with pytest.raises(UserError) as err:
        resolve(layer)
    message = str(err.value)
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize("key, inside, outside", [
    ("gamma", 1, 0), ("gae_lambda", 0, -0.01), ("gae_lambda", 1, 1.01), ("seed", 0, -1),
    ("seed", 2**32 - 1, 2**32), ("learning_rate", 1e-30, -1e-30), ("torch_threads", 0, -1),
    ("checkpoint_every", 0, -1), ("keep_checkpoints", 0, -1), ("max_grad_norm", 0, -1e-9),
    ("target_kl", 0, -1e-9), ("ent_coef", 0, -1e-9), ("snapshot_every", 0, -1), ("max_snapshots", 0, -1),
    ("eval_every", 0, -1), ("eval_games", 1, 0), ("minibatch_size", 1024, 1025),
])
def test_range_edges(key, inside, outside):
    assert getattr(resolve({key: inside}), key) == inside
    with pytest.raises(UserError, match=f"config {key} must be"):
        resolve({key: outside})


def test_every_numeric_field_has_a_range():
    numeric = [name for name, f in FIELDS.items() if f.type in ("int", "float")]
    assert len(numeric) >= 20
    assert [name for name in numeric if FIELDS[name].metadata.get("range") is None] == []


def test_minibatch_explicit_vs_inherited():
    """A minibatch_size set above the batch's layer must fit; an inherited one follows the batch."""
    go_like = {"num_envs": 32, "num_steps": 64, "minibatch_size": 512}
    # --set num_envs=4 under an env default of 512: the minibatch shrinks to the 4 * 64 batch
    assert resolve(go_like, {"num_envs": 4}).minibatch_size == 256
    assert resolve({"num_envs": 2, "num_steps": 16}).minibatch_size == 32  # under the dataclass 256
    assert resolve(go_like, {"num_envs": 4, "minibatch_size": 1024}).minibatch_size == 256  # same layer
    assert resolve(go_like).minibatch_size == 512  # fits: untouched
    with pytest.raises(UserError) as err:
        resolve(go_like, {"num_envs": 4}, {"minibatch_size": 512})
    assert "minibatch_size must be <= the batch num_envs * num_steps = 4 * 64 = 256, got 512" in str(err.value)


def test_config_file_that_is_not_text(tmp_path):
    binary = tmp_path / "model.pt"
    binary.write_bytes(b"\x80\x02\xff\xfe\x00 pickled bytes")
    with pytest.raises(UserError, match=r"config file .*model.pt is not UTF-8 text \(byte 0\)"):
        load_toml(binary)
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes("gamma = 0.9  # café\n".encode("latin-1"))
    with pytest.raises(UserError, match="is not UTF-8 text"):
        load_toml(latin1)
    nul = tmp_path / "nul.toml"
    nul.write_bytes(b"gamma = 0.9\x00\n")
    with pytest.raises(UserError, match="is not valid TOML"):
        load_toml(nul)
    with pytest.raises(UserError, match="cannot read config file"):
        load_toml(tmp_path)  # a directory
    scalar = tmp_path / "scalar.toml"
    scalar.write_text("ppo = 3\n")
    with pytest.raises(UserError, match=r"\[ppo\] must be a table"):
        load_toml(scalar)


# -- through the CLI (in-process: one `error:` line, non-zero exit, no traceback) -----------------


def _cli(args: list[str], tmp_path, monkeypatch) -> str:
    from agentctl.cli import cli
    from click.testing import CliRunner

    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, args)
    assert isinstance(res.exception, SystemExit), res.exception  # a clean exit, not a crash
    assert res.exit_code != 0
    lines = [ln for ln in res.stderr.splitlines() if ln.strip() and not ln.startswith("agentctl: skipped plugin")]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.output
    assert not (tmp_path / "runs").exists()  # refused before any run directory is made
    return lines[0]


@pytest.mark.parametrize("args, fragment", [
    (["--set", "gamma=1.5"], "config gamma must be in (0, 1], got 1.5"),
    (["--set", "learning_rate=nan"], "config learning_rate must be a finite number > 0, got nan"),
    (["--set", "keep_checkpoints=-1"], "config keep_checkpoints must be >= 0, got -1"),
    (["--seed", "-1"], "config seed must be in [0, 4294967295], got -1"),
    (["--seed", "4294967296"], "config seed must be in [0, 4294967295], got 4294967296"),
    # cartpole's batch is 8 envs * 32 steps
    (["--set", "minibatch_size=4096"], "minibatch_size must be <= the batch num_envs * num_steps = 8 * 32 = 256"),
    (["--config", "binary.toml"], "config file binary.toml is not UTF-8 text"),
])
def test_train_refuses_bad_values(args, fragment, tmp_path, monkeypatch):
    (tmp_path / "binary.toml").write_bytes(b"\xff\xd8\xff\xe0 a JPEG, not a config")
    assert fragment in _cli(["train", "--env", "cartpole", *args], tmp_path, monkeypatch)


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_eval_refuses_a_seed_numpy_cannot_take(seed, tmp_path, monkeypatch):
    run = tmp_path / "run"
    run.mkdir()
    line = _cli(["eval", "--checkpoint", str(run), "--seed", seed], tmp_path, monkeypatch)
    assert f"--seed must be in [0, 4294967295], got {seed}" in line
