"""Config resolution: precedence, types, dotted keys, TOML round trip, the copy saved with a run."""

from __future__ import annotations

import dataclasses
import tomllib

import pytest
from agentctl.config import FIELDS, PPOConfig, load_toml, merge, parse_set, resolve
from agentctl.errors import UserError

ENV_DEFAULTS = {"num_steps": 32, "gamma": 0.98, "update_epochs": 20, "learning_rate": 1e-3}
FILE = {"num_steps": 16, "gamma": 0.9, "ent_coef": 0.01}
SETS = ["gamma=0.95", "seed=7"]


def test_defaults():
    cfg = resolve()
    assert cfg == PPOConfig()
    assert cfg.batch_size == cfg.num_envs * cfg.num_steps


def test_precedence_layers():
    cfg = resolve(ENV_DEFAULTS, FILE, parse_set(SETS))
    assert cfg.gamma == 0.95            # --set beats file and env
    assert cfg.seed == 7                # --set over the default
    assert cfg.num_steps == 16          # file beats env default
    assert cfg.ent_coef == 0.01         # file over the dataclass default
    assert cfg.update_epochs == 20      # env default over the dataclass default
    assert cfg.learning_rate == 1e-3
    assert cfg.clip_coef == PPOConfig().clip_coef  # untouched default
    # order matters: the same layers reversed give the lower layer's values
    rev = resolve(parse_set(SETS), FILE, ENV_DEFAULTS)
    assert rev.gamma == 0.98 and rev.num_steps == 32


def test_load_toml_table_or_top_level(tmp_path):
    a = tmp_path / "a.toml"
    a.write_text("[ppo]\nnum_steps = 16\ngamma = 0.9\n")
    b = tmp_path / "b.toml"
    b.write_text("num_steps = 16\ngamma = 0.9\n[env_kwargs]\nboard_size = 9\n")
    assert load_toml(a) == {"num_steps": 16, "gamma": 0.9}
    assert load_toml(b) == {"num_steps": 16, "gamma": 0.9, "env_kwargs": {"board_size": 9}}
    bad = tmp_path / "bad.toml"
    bad.write_text("num_steps = = 3\n")
    with pytest.raises(UserError, match="not valid TOML"):
        load_toml(bad)
    with pytest.raises(UserError, match="config file not found"):
        load_toml(tmp_path / "nope.toml")


def test_parse_set_values():
    parsed = parse_set(["num_envs=4", "learning_rate=3e-4", "anneal_lr=false", "device=cpu",
                        'policy="mlp"', "policy_kwargs={hidden_sizes=[32, 32]}", " gamma = 0.9 "])
    assert parsed == {"num_envs": 4, "learning_rate": 3e-4, "anneal_lr": False, "device": "cpu",
                      "policy": "mlp", "policy_kwargs": {"hidden_sizes": [32, 32]}, "gamma": 0.9}
    assert type(parsed["num_envs"]) is int and type(parsed["anneal_lr"]) is bool
    with pytest.raises(UserError, match="key=value"):
        parse_set(["num_envs"])
    with pytest.raises(UserError, match="key=value"):
        parse_set(["=3"])


@pytest.mark.parametrize("key, value, message", [
    ("num_envs", 1.5, "num_envs: expected int"),
    ("num_envs", True, "num_envs: expected int"),   # bool is not an int here
    ("num_envs", "8", "num_envs: expected int"),
    ("gamma", "high", "gamma: expected float"),
    ("gamma", False, "gamma: expected float"),
    ("anneal_lr", 1, "anneal_lr: expected bool"),
    ("anneal_lr", "yes", "anneal_lr: expected bool"),
    ("policy", 3, "policy: expected str"),
    ("env_kwargs", 3, "env_kwargs: expected dict"),
])
def test_type_errors(key, value, message):
    with pytest.raises(UserError) as err:
        resolve({key: value})
    assert message in str(err.value)


def test_int_accepted_for_float():
    cfg = resolve(parse_set(["learning_rate=1", "gamma=1"]))
    assert cfg.learning_rate == 1.0 and isinstance(cfg.learning_rate, float)
    assert isinstance(cfg.gamma, float)


@pytest.mark.parametrize("layer, message", [
    ({"num_envs": 0}, "num_envs must be >= 1"),
    ({"minibatch_size": -1}, "minibatch_size must be >= 1"),
    ({"device": "tpu"}, "device must be auto, cpu or cuda"),
])
def test_value_checks(layer, message):
    with pytest.raises(UserError, match=message):
        resolve(layer)
    assert resolve({"device": "cuda:1"}).device == "cuda:1"


def test_unknown_key_suggests():
    with pytest.raises(UserError) as err:
        resolve(parse_set(["learnin_rate=0.1"]))
    assert "unknown config key 'learnin_rate'" in str(err.value)
    assert "did you mean 'learning_rate'" in str(err.value)
    with pytest.raises(UserError, match="unknown config key 'nosuch'"):
        resolve(parse_set(["nosuch.x=1"]))


def test_dotted_keys_merge_into_tables():
    cfg = resolve({"env_kwargs": {"board_size": 19, "komi": 7.5}},
                  parse_set(["env_kwargs.board_size=9", "env_kwargs.rules=chinese",
                             "policy_kwargs.hidden_sizes=[16]"]))
    assert cfg.env_kwargs == {"board_size": 9, "komi": 7.5, "rules": "chinese"}
    assert cfg.policy_kwargs == {"hidden_sizes": [16]}
    # a whole table merges too, and later layers win key by key
    cfg2 = resolve({"env_kwargs": {"a": 1, "b": 2}}, {"env_kwargs": {"b": 3}})
    assert cfg2.env_kwargs == {"a": 1, "b": 3}
    with pytest.raises(UserError, match="gamma is not a table"):
        resolve(parse_set(["gamma.x=1"]))


def test_merge_does_not_mutate_inputs():
    base = PPOConfig().to_dict()
    base["env_kwargs"] = {"a": 1}
    merge(base, {"env_kwargs.b": 2})
    assert base["env_kwargs"] == {"a": 1}
    # resolve() never shares dicts between configs
    assert resolve().env_kwargs is not resolve().env_kwargs


def test_every_field_documented():
    for name, f in FIELDS.items():
        assert f.metadata.get("help"), f"config field {name} has no help text"


ODD = {
    "learning_rate": 1e-30, "adam_eps": 1e-8, "gamma": 0.999, "total_timesteps": 12_345_678,
    "policy": 'with "quotes", \\ backslash,\nnewline, \ttab, ünïcode', "anneal_lr": False, "norm_adv": False,
    "env_kwargs": {"board_size": 9, "komi": 7.5, "name": "x y", "opponents": ["random", "gnugo"],
                   "nested": {"deep": True}},
    "policy_kwargs": {"hidden_sizes": [32, 64], "activation": "relu"},
}


def test_toml_round_trip():
    cfg = resolve(ODD)
    text = cfg.to_toml()
    loaded = tomllib.loads(text)
    assert loaded == cfg.to_dict()
    assert resolve(loaded) == cfg


def test_toml_round_trip_keys_needing_quotes():
    """Table keys that are not TOML bare keys (dots, spaces: e.g. `--set env_kwargs.a.b=1`)."""
    cfg = resolve(parse_set(["env_kwargs.render.mode=rgb"]), {"env_kwargs": {"two words": 1, "ü": 2}})
    assert cfg.env_kwargs == {"render.mode": "rgb", "two words": 1, "ü": 2}
    assert tomllib.loads(cfg.to_toml()) == cfg.to_dict()


def test_run_saves_resolved_config(tmp_path, monkeypatch):
    """`train --config f.toml --set ...` writes config.toml equal to the checkpoint's config,
    with every layer applied in order (cartpole's default_config is the env layer)."""
    from agentctl import checkpoint
    from agentctl.cli import cli
    from agentctl.host import get_host
    from click.testing import CliRunner

    monkeypatch.chdir(tmp_path)
    conf = tmp_path / "run.toml"
    conf.write_text("[ppo]\nnum_steps = 16\ngamma = 0.9\ntotal_timesteps = 99999\nent_coef = 0.01\n")
    run_dir = tmp_path / "run"
    res = CliRunner().invoke(cli, ["train", "--env", "cartpole", "--config", str(conf), "--steps", "128",
                                   "--set", "gamma=0.95", "--set", "tensorboard=false",
                                   "--set", "env_kwargs.sutton_barto_reward=false",
                                   "--run-dir", str(run_dir), "--json"])
    assert res.exit_code == 0, (res.output, res.exception)
    saved = tomllib.loads((run_dir / "config.toml").read_text())
    state = checkpoint.load(run_dir)
    assert saved == state["config"]
    cart = get_host().registry.resolve("env", "cartpole").default_config
    assert saved["gamma"] == 0.95                   # --set
    assert saved["total_timesteps"] == 128          # --steps flag over the file
    assert saved["num_steps"] == 16                 # file over env default (32)
    assert saved["ent_coef"] == 0.01                # file
    assert saved["update_epochs"] == cart["update_epochs"] != PPOConfig().update_epochs  # env layer
    assert saved["vf_clip_coef"] == PPOConfig().vf_clip_coef  # dataclass default
    assert saved["env_kwargs"] == {"sutton_barto_reward": False}
    assert set(saved) == {f.name for f in dataclasses.fields(PPOConfig)}


def test_an_opponents_table_replaces_the_mixture_and_a_dotted_key_changes_one_weight():
    from agentctl.config import parse_set

    cfg = resolve({"opponents": {"latest": 0.7, "gnugo:0": 0.3}}, parse_set(["opponents={random=1.0}"]))
    assert cfg.opponents == {"random": 1.0}
    cfg = resolve(parse_set(["opponents.random=0.5"]))
    assert cfg.opponents == {"latest": 0.5, "snapshot": 0.3, "random": 0.5}
