"""The PPO configuration and how it is resolved.

Precedence, lowest first: the dataclass defaults < the env's ``default_config`` <
``--config run.toml`` < ``--set key=value`` and CLI flags. The resolved config is saved in
the run directory and in every checkpoint.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentctl.errors import UserError


def _f(default: Any, help: str) -> Any:
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class PPOConfig:
    """Every knob of a training run (CleanRL-style names)."""

    total_timesteps: int = _f(100_000, "Env steps to train for; also the LR/clip annealing horizon.")
    num_envs: int = _f(8, "Environments stepped in parallel (the batch of the rollout).")
    num_steps: int = _f(128, "Steps per env per rollout; a rollout holds num_envs * num_steps transitions.")
    learning_rate: float = _f(2.5e-4, "Adam learning rate at the start.")
    anneal_lr: bool = _f(True, "Decay the learning rate linearly to 0 over total_timesteps.")
    gamma: float = _f(0.99, "Discount factor.")
    gae_lambda: float = _f(0.95, "GAE lambda: 0 = one-step TD, 1 = Monte Carlo.")
    minibatch_size: int = _f(256, "Transitions per gradient step.")
    update_epochs: int = _f(4, "Passes over each rollout.")
    norm_adv: bool = _f(True, "Normalize advantages per minibatch.")
    clip_coef: float = _f(0.2, "PPO ratio clipping epsilon.")
    anneal_clip: bool = _f(False, "Decay clip_coef linearly to 0 with the learning rate.")
    clip_vloss: bool = _f(True, "Clip the value loss around the old value estimate.")
    vf_clip_coef: float = _f(0.2, "Value clipping range (used when clip_vloss).")
    ent_coef: float = _f(0.0, "Entropy bonus coefficient.")
    vf_coef: float = _f(0.5, "Value loss coefficient.")
    max_grad_norm: float = _f(0.5, "Global gradient-norm clip (0 disables).")
    target_kl: float = _f(0.0, "Stop an update's epochs once approx KL exceeds this (0 disables).")
    adam_eps: float = _f(1e-5, "Adam epsilon.")
    policy: str = _f("", "Policy builder name; empty uses the env's default.")
    policy_kwargs: dict = _f({}, "Keyword arguments for the policy builder (e.g. hidden_sizes).")
    env_kwargs: dict = _f({}, "Keyword arguments for the env factory (e.g. board_size).")
    seed: int = _f(1, "Seed for torch, numpy and the envs; a CPU run with a fixed seed repeats exactly.")
    device: str = _f("auto", "auto | cpu | cuda (auto picks cuda when available).")
    torch_threads: int = _f(1, "torch intra-op threads (0 keeps torch's default). One is fastest for "
                               "small nets and safe on busy machines; raise it for big nets on idle cores.")
    checkpoint_every: int = _f(50, "Write a checkpoint every this many updates (and at the end).")
    keep_checkpoints: int = _f(3, "Keep this many latest checkpoints (0 keeps all).")
    tensorboard: bool = _f(True, "Write TensorBoard events to the run directory.")
    time_limit_s: float = _f(0.0, "Stop (checkpointed, resumable) after this many seconds of training (0 = no limit).")
    opponents: dict = _f({"latest": 0.5, "snapshot": 0.3, "random": 0.2},
                         "Multi-agent envs: sampling weights of the learner's opponents per game "
                         "(latest = current weights, snapshot = a past one, or an opponent name).")
    snapshot_every: int = _f(10, "Multi-agent envs: add the learner to the opponent pool every N updates.")
    max_snapshots: int = _f(20, "Multi-agent envs: snapshots sampled from (the newest ones).")
    eval_every: int = _f(0, "Multi-agent envs: every N updates play eval_games vs eval_opponent (0 = off).")
    eval_games: int = _f(50, "Games per periodic evaluation (half with each colour).")
    eval_opponent: str = _f("random", "Opponent for periodic evaluation.")

    @property
    def batch_size(self) -> int:
        return self.num_envs * self.num_steps

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_toml(self) -> str:
        return _to_toml(self.to_dict())


FIELDS = {f.name: f for f in dataclasses.fields(PPOConfig)}


def _coerce(key: str, value: Any) -> Any:
    """Check a value against the field's type (ints are accepted for floats)."""
    kind = FIELDS[key].type
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "dict": isinstance(value, dict),
    }[kind]
    if not ok:
        raise UserError(f"config {key}: expected {kind}, got {value!r}")
    return float(value) if kind == "float" else value


def _unknown(key: str) -> UserError:
    close = difflib.get_close_matches(key, FIELDS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return UserError(f"unknown config key {key!r}{hint}; `agentctl config` lists them")


def merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Apply overrides; dotted keys (``env_kwargs.board_size``) and nested dicts merge."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for key, value in overrides.items():
        top, _, sub = key.partition(".")
        if top not in FIELDS:
            raise _unknown(top)
        if sub:
            if FIELDS[top].type != "dict":
                raise UserError(f"config {top} is not a table; use --set {top}=VALUE")
            out[top] = {**out.get(top, {}), sub: value}
        elif FIELDS[top].type == "dict":
            out[top] = {**out.get(top, {}), **_coerce(top, value)}
        else:
            out[top] = _coerce(top, value)
    return out


def parse_set(items: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``key=value`` strings; values are TOML literals, bare words are strings."""
    parsed: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set expects key=value, got {item!r}")
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        parsed[key.strip()] = value
    return parsed


def load_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"config file {path} is not valid TOML: {exc}") from None
    return data.get("ppo", data)  # accept a [ppo] table or top-level keys


def resolve(*layers: Mapping[str, Any]) -> PPOConfig:
    """Build the config from layers applied in order (lowest precedence first)."""
    values = PPOConfig().to_dict()
    for layer in layers:
        values = merge(values, layer)
    cfg = PPOConfig(**values)
    for name in ("total_timesteps", "num_envs", "num_steps", "minibatch_size", "update_epochs"):
        if getattr(cfg, name) < 1:
            raise UserError(f"config {name} must be >= 1, got {getattr(cfg, name)}")
    if cfg.device not in ("auto", "cpu", "cuda") and not cfg.device.startswith("cuda:"):
        raise UserError(f"config device must be auto, cpu or cuda, got {cfg.device!r}")
    return cfg


def _to_toml(data: Mapping[str, Any]) -> str:
    def lit(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):  # a JSON string is a valid TOML basic string (escapes included)
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(lit(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{key(k)} = {lit(x)}" for k, x in v.items()) + "}"
        raise TypeError(f"cannot write {v!r} as TOML")

    def key(k: Any) -> str:  # bare when TOML allows it, quoted otherwise ("a.b", "two words")
        return k if re.fullmatch(r"[A-Za-z0-9_-]+", str(k)) else json.dumps(str(k), ensure_ascii=False)

    return "".join(f"{key(k)} = {lit(v)}\n" for k, v in data.items())
