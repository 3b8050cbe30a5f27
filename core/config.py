"""The PPO configuration and how it is resolved.

Precedence, lowest first: the dataclass defaults < the env's ``default_config`` <
``--config run.toml`` < ``--set key=value`` and CLI flags. The resolved config is saved in
the run directory and in every checkpoint.

Every numeric field declares its allowed :class:`Range`; :func:`resolve` refuses a value
outside it (NaN and infinities included) with one line naming the key and the range, before
a run starts, so train, resume and eval all get the same checks.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentctl.errors import UserError
from agentctl.text.corpus import CORPORA


@dataclass(frozen=True)
class Range:
    """The values a numeric field allows; NaN and infinities are never allowed."""

    low: float
    high: float = math.inf
    low_open: bool = False  # exclude ``low`` itself
    high_open: bool = False

    def __contains__(self, x: float) -> bool:
        return (math.isfinite(x)
                and (x > self.low if self.low_open else x >= self.low)
                and (x < self.high if self.high_open else x <= self.high))

    def __str__(self) -> str:
        if self.high == math.inf:
            return f"{'>' if self.low_open else '>='} {_num(self.low)}"
        return (f"in {'(' if self.low_open else '['}{_num(self.low)}, "
                f"{_num(self.high)}{')' if self.high_open else ']'}")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


AT_LEAST_ONE = Range(1)
NON_NEGATIVE = Range(0)
POSITIVE = Range(0, low_open=True)
# np.random.seed (run once per training run) and legacy numpy RNGs take 0 .. 2**32 - 1.
SEED = Range(0, 2**32 - 1)


def _f(default: Any, help: str, allowed: Range | None = None) -> Any:
    metadata = {"help": help, "range": allowed}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class PPOConfig:
    """Every knob of a training run (CleanRL-style names)."""

    total_timesteps: int = _f(100_000, "Env steps to train for; also the LR/clip annealing horizon.",
                              AT_LEAST_ONE)
    num_envs: int = _f(8, "Environments stepped in parallel (the batch of the rollout).", AT_LEAST_ONE)
    num_steps: int = _f(128, "Steps per env per rollout; a rollout holds num_envs * num_steps transitions.",
                        AT_LEAST_ONE)
    learning_rate: float = _f(2.5e-4, "Adam learning rate at the start.", POSITIVE)
    anneal_lr: bool = _f(True, "Decay the learning rate linearly to 0 over total_timesteps.")
    gamma: float = _f(0.99, "Discount factor.", Range(0, 1, low_open=True))
    gae_lambda: float = _f(0.95, "GAE lambda: 0 = one-step TD, 1 = Monte Carlo.", Range(0, 1))
    minibatch_size: int = _f(256, "Transitions per gradient step.", AT_LEAST_ONE)
    update_epochs: int = _f(4, "Passes over each rollout.", AT_LEAST_ONE)
    norm_adv: bool = _f(True, "Normalize advantages per minibatch.")
    clip_coef: float = _f(0.2, "PPO ratio clipping epsilon.", POSITIVE)
    anneal_clip: bool = _f(False, "Decay clip_coef linearly to 0 with the learning rate.")
    clip_vloss: bool = _f(True, "Clip the value loss around the old value estimate.")
    vf_clip_coef: float = _f(0.2, "Value clipping range (used when clip_vloss).", POSITIVE)
    ent_coef: float = _f(0.0, "Entropy bonus coefficient.", NON_NEGATIVE)
    vf_coef: float = _f(0.5, "Value loss coefficient.", NON_NEGATIVE)
    max_grad_norm: float = _f(0.5, "Global gradient-norm clip (0 disables).", NON_NEGATIVE)
    target_kl: float = _f(0.0, "Stop an update's epochs once approx KL exceeds this (0 disables).",
                          NON_NEGATIVE)
    target_kl_check: str = _f("epoch", "When target_kl > 0: 'epoch' stops after an epoch whose mean approx KL "
                                       "exceeds it (CleanRL); 'minibatch' skips the step of the first minibatch "
                                       "whose KL exceeds 1.5 x target_kl and ends the update (SB3).")
    fused_update: bool = _f(True, "The mlp policy (categorical or clipped-Gaussian head, no auxiliary or init-KL "
                                  "terms): compute the minibatch loss and gradients by hand instead of by autograd "
                                  "(the same numbers, ~3x fewer ops: small nets run much faster).")
    adam_eps: float = _f(1e-5, "Adam epsilon.", POSITIVE)
    normalize_obs: bool = _f(False, "Single-agent envs: feed the policy observations normalised by running "
                                    "mean/std (SB3's VecNormalize); the statistics are saved with the run and "
                                    "applied frozen by eval.")
    normalize_reward: bool = _f(False, "Single-agent envs: train on rewards divided by the running std of the "
                                       "discounted return (gamma); reported episode returns stay raw.")
    clip_obs: float = _f(10.0, "With normalize_obs: clip normalised observations to +-clip_obs.", POSITIVE)
    clip_reward: float = _f(10.0, "With normalize_reward: clip scaled rewards to +-clip_reward.", POSITIVE)
    policy: str = _f("", "Policy builder name; empty uses the env's default.")
    policy_kwargs: dict = _f({}, "Keyword arguments for the policy builder (e.g. hidden_sizes).")
    env_kwargs: dict = _f({}, "Keyword arguments for the env factory (e.g. board_size).")
    seed: int = _f(1, "Seed for torch, numpy and the envs; a CPU run with a fixed seed repeats exactly.",
                   SEED)
    device: str = _f("auto", "auto | cpu | cuda (auto picks cuda when available).")
    torch_threads: int = _f(1, "torch intra-op threads (0 keeps torch's default). One is fastest for "
                               "small nets and safe on busy machines; raise it for big nets on idle cores "
                               "(policies under 100k parameters train on the CPU with 1 whatever this says).",
                            NON_NEGATIVE)
    checkpoint_every: int = _f(50, "Write a checkpoint every this many updates (0: only at the end).",
                              NON_NEGATIVE)
    keep_checkpoints: int = _f(3, "Keep this many latest checkpoints (0 keeps all).", NON_NEGATIVE)
    tensorboard: bool = _f(True, "Write TensorBoard events to the run directory.")
    time_limit_s: float = _f(0.0, "Stop (checkpointed, resumable) after this many seconds of training "
                                  "(0 = no limit).", NON_NEGATIVE)
    opponents: dict = _f({"latest": 0.5, "snapshot": 0.3, "random": 0.2},
                         "Multi-agent envs: sampling weights of the learner's opponents per game "
                         "(latest = current weights, snapshot = a past one, or an opponent name).")
    snapshot_every: int = _f(10, "Multi-agent envs: add the learner to the opponent pool every N updates "
                                 "(0 = never).", NON_NEGATIVE)
    max_snapshots: int = _f(20, "Multi-agent envs: snapshots sampled from (the newest ones; 0 = all).",
                            NON_NEGATIVE)
    eval_every: int = _f(0, "Multi-agent envs: every N updates play eval_games vs eval_opponent (0 = off).",
                         NON_NEGATIVE)
    eval_games: int = _f(50, "Games per periodic evaluation (half with each colour).", AT_LEAST_ONE)
    eval_opponent: str = _f("random", "Opponent for periodic evaluation.")
    eval_deterministic: bool = _f(True, "Evaluation (periodic, and `agentctl eval` unless told) plays the most "
                                        "likely action; False samples, as trained. Per-cell policies (GridNet) "
                                        "want False: each cell's most likely choice is often no-op.")
    eval_playouts: int = _f(0, "Multi-agent envs whose games offer search states (Go): evaluation (periodic, "
                               "and `agentctl eval` without --playouts) plays the most visited move of a PUCT "
                               "search of N playouts guided by the net (0 = the policy's own move).",
                            NON_NEGATIVE)
    both_seats: bool = _f(True, "Multi-agent envs: in games against `latest` the learner plays both seats, so "
                                "every move is a training transition (twice the data per game; each seat's "
                                "result from its own view). Games with dense step rewards keep one seat.")
    aux_coef: dict = _f({}, "Weights of the policy's auxiliary losses by head name (resnet: ownership, score), "
                            "trained on targets the games reveal when they end (final_targets); a head "
                            "without a weight is not trained.")
    init_kl_coef: float = _f(0.0, "With `init`: weight of a KL(initial policy || policy) penalty that holds a "
                                  "warm start's play while PPO takes over (0 = off).", NON_NEGATIVE)
    init_kl_steps: int = _f(0, "With init_kl_coef: the penalty fades linearly to 0 over this many steps "
                               "(0 = it never fades).", NON_NEGATIVE)
    advantage: str = _f("gae", "Advantage estimator: gae (value head, PPO proper); sequence envs also "
                               "grpo (group-normalised rewards) or rloo (leave-one-out baseline), no critic.")
    group_size: int = _f(4, "Sequence envs, grpo/rloo: completions per prompt (num_envs must be a multiple).",
                         Range(2))
    init: str = _f("", "Weights to start from: a checkpoint or run dir (training or `agentctl pretrain`); "
                       "'pretrained' = the env's cached warm start (trained once when missing).")
    pretrain_corpus: str = _f("docstrings", "Built-in corpus of the warm start that init = 'pretrained' and "
                                            "`agentctl pretrain --env E` (no --corpus) train on: docstrings "
                                            "(the stdlib's English prose) or python (its functions' source).")
    # -- sequence (text generation) envs ----------------------------------------------------
    reward: str = _f("", "Sequence envs: reward spec, e.g. sentiment or sentiment+0.1*length:24 "
                         "(empty: the env's own).")
    temperature: float = _f(1.0, "Sequence envs: sampling temperature, applied alike in rollout, training "
                                 "and reference passes.", POSITIVE)
    kl_coef: float = _f(0.05, "Sequence envs: initial coefficient of the per-token KL penalty to the "
                              "reference model.", NON_NEGATIVE)
    kl_target: float = _f(0.0, "Sequence envs: mean per-token KL the coefficient adapts toward "
                               "(0: a fixed kl_coef).", NON_NEGATIVE)
    kl_horizon: int = _f(1000, "Sequence envs: completions over which the adaptive KL coefficient moves "
                               "by at most 20%.", AT_LEAST_ONE)
    whiten_rewards: bool = _f(False, "Sequence envs: normalise the task scores of each rollout to mean 0, std 1.")
    missing_eos_penalty: float = _f(0.0, "Sequence envs: subtracted from the score of a completion that hit "
                                         "num_steps without ending.", NON_NEGATIVE)
    sample_every: int = _f(10, "Sequence envs: log a few sample completions every N updates (0 = never).",
                           NON_NEGATIVE)

    @property
    def batch_size(self) -> int:
        return self.num_envs * self.num_steps

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_toml(self) -> str:
        return _to_toml(self.to_dict())


FIELDS = {f.name: f for f in dataclasses.fields(PPOConfig)}
ADVANTAGES = ("gae", "grpo", "rloo")


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
    """Apply overrides; dotted keys (``env_kwargs.board_size``) and nested dicts merge, except
    a whole ``opponents`` table, which replaces the weights below it (``opponents={random=1.0}``
    means only random; ``opponents.random=1.0`` changes one weight)."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for key, value in overrides.items():
        top, _, sub = key.partition(".")
        if top not in FIELDS:
            raise _unknown(top)
        if sub:
            if FIELDS[top].type != "dict":
                raise UserError(f"config {top} is not a table; use --set {top}=VALUE")
            out[top] = {**out.get(top, {}), sub: value}
        elif top == "opponents":  # a mixture is a whole: a new table replaces the old weights
            out[top] = dict(_coerce(top, value))
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
        key = key.strip()
        if not sep or not key:
            raise UserError(f"--set expects key=value, got {item!r}")
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        if value == {} and key in FIELDS and FIELDS[key].type == "dict":  # reads as "clear it", does nothing
            raise UserError(f"--set {key}={{}} changes nothing: tables merge key by key over the defaults; "
                            f"set a key instead, e.g. --set {key}.NAME=0")
        parsed[key] = value
    return parsed


def load_toml(path: str | Path) -> dict[str, Any]:
    """A ``--config`` file: a ``[ppo]`` table or top-level keys."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise UserError(f"config file not found: {path}") from None
    except OSError as exc:
        raise UserError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"config file {path} is not UTF-8 text (byte {exc.start}); "
                        "is it a TOML file?") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"config file {path} is not valid TOML: {exc}") from None
    table = data.get("ppo", data)
    ignored = sorted(set(data) - {"ppo"}) if "ppo" in data else []
    if ignored:  # they would be silently dropped
        raise UserError(f"config file {path}: {', '.join(map(repr, ignored))} outside [ppo] would be ignored; "
                        "put every config key under [ppo] (tables as [ppo.env_kwargs])")
    if not isinstance(table, dict):
        raise UserError(f"config file {path}: [ppo] must be a table of config keys, got {table!r}")
    return table


def resolve(*layers: Mapping[str, Any]) -> PPOConfig:
    """Build the config from layers applied in order (lowest precedence first), validated.

    ``minibatch_size`` larger than the batch (``num_envs * num_steps``) is an error when it
    is set in a later layer than the batch (``--set minibatch_size=4096`` on an env whose
    batch is 256); when the batch is set in the same or a later layer (``--set num_envs=4``
    under an env default of 512), the inherited minibatch shrinks to the batch, which is
    what training would do with it anyway.
    """
    values = PPOConfig().to_dict()
    set_in = dict.fromkeys(FIELDS, -1)  # key -> index of the last layer that set it
    for index, layer in enumerate(layers):
        values = merge(values, layer)
        set_in.update((key.partition(".")[0], index) for key in layer)
    cfg = PPOConfig(**values)
    inherited = set_in["minibatch_size"] <= max(set_in["num_envs"], set_in["num_steps"])
    if inherited and 0 < cfg.batch_size < cfg.minibatch_size:
        cfg = dataclasses.replace(cfg, minibatch_size=cfg.batch_size)
    validate(cfg)
    return cfg


def check_value(key: str, value: Any, label: str = "") -> None:
    """Refuse ``value`` outside the field's allowed range, in one line naming it."""
    allowed = FIELDS[key].metadata["range"]
    if allowed is not None and value not in allowed:
        finite = "a finite number " if isinstance(value, float) and not math.isfinite(value) else ""
        raise UserError(f"{label or 'config ' + key} must be {finite}{allowed}, got {value!r}")


def validate(cfg: PPOConfig) -> None:
    """Every field's range, the batch/minibatch relation, the device and opponent weights."""
    for name in FIELDS:
        check_value(name, getattr(cfg, name))
    if cfg.minibatch_size > cfg.batch_size:
        raise UserError(f"config minibatch_size must be <= the batch num_envs * num_steps = "
                        f"{cfg.num_envs} * {cfg.num_steps} = {cfg.batch_size}, got {cfg.minibatch_size}")
    if cfg.device not in ("auto", "cpu", "cuda") and not re.fullmatch(r"cuda:\d+", cfg.device):
        raise UserError(f"config device must be auto, cpu or cuda (or cuda:N), got {cfg.device!r}")
    if cfg.target_kl_check not in ("epoch", "minibatch"):
        raise UserError(f"config target_kl_check must be epoch or minibatch, got {cfg.target_kl_check!r}")
    if cfg.advantage not in ADVANTAGES:
        raise UserError(f"config advantage must be one of {', '.join(ADVANTAGES)}, got {cfg.advantage!r}")
    if cfg.pretrain_corpus not in CORPORA:
        raise UserError(f"config pretrain_corpus must be one of {', '.join(CORPORA)}, got {cfg.pretrain_corpus!r}")
    weights = list(cfg.opponents.values())
    numbers = all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in weights)
    if not numbers or not all(w in NON_NEGATIVE for w in weights) or not any(w > 0 for w in weights):
        raise UserError(f"config opponents: weights must be numbers >= 0, not all 0, got {cfg.opponents!r}")
    if not all(isinstance(w, (int, float)) and not isinstance(w, bool) and w in NON_NEGATIVE
               for w in cfg.aux_coef.values()):
        raise UserError(f"config aux_coef: weights must be numbers >= 0, got {cfg.aux_coef!r}")


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
