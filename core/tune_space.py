"""Search spaces of ``agentctl tune``: read them, check them, and draw a trial's config from one.

A space maps config keys (any ``PPOConfig`` field, or a dotted key into a table field such as
``policy_kwargs.hidden_sizes`` or ``env_kwargs.board_size``, as ``--set`` takes them) to:

- a list of choices (categorical): ``gamma = [0.98, 0.99, 0.995]``;
- a range table ``{low, high}`` with optional ``log = true`` or ``step``: a float range for
  float fields (``learning_rate = {low = 1e-4, high = 3e-3, log = true}``), an int range for int
  fields (``update_epochs = {low = 4, high = 20, step = 4}``); under a table field the bounds'
  own types decide.

Every bound and choice is checked against the config's own validation up front, so a value
the trainer would refuse fails before the first trial, not as a failed trial.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentctl.config import FIELDS, merge, resolve
from agentctl.errors import UserError

RANGE_KEYS = {"low", "high", "log", "step"}
PRIMITIVE = (bool, int, float, str)


@dataclass(frozen=True)
class Param:
    """One searched key: ``kind`` is float, int or categorical."""

    key: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()

    def encoded(self) -> list[Any]:
        """The choices as Optuna stores them: lists and tables as JSON text (it keeps only scalars)."""
        return [c if isinstance(c, PRIMITIVE) else json.dumps(c) for c in self.choices]

    def decode(self, value: Any) -> Any:
        """A stored value back to the config value (inverse of ``encoded``)."""
        if self.kind != "categorical":
            return value
        return dict(zip(self.encoded(), self.choices, strict=True)).get(value, value)

    def suggest(self, trial: Any) -> Any:
        """Draw this key's value for an Optuna trial."""
        if self.kind == "float":
            return trial.suggest_float(self.key, self.low, self.high, log=self.log, step=self.step)
        if self.kind == "int":
            return trial.suggest_int(self.key, int(self.low), int(self.high), step=int(self.step or 1), log=self.log)
        return self.decode(trial.suggest_categorical(self.key, self.encoded()))

    def grid(self) -> list[Any]:
        """Every value, for the grid sampler (a float range needs a step)."""
        if self.kind == "categorical":
            return self.encoded()
        if self.step is None and (self.kind == "float" or self.log):
            raise UserError(f"space {self.key}: the grid sampler needs a list of choices or a range with a step "
                            f"(no log), e.g. {{low = {self.low}, high = {self.high}, step = ...}}")
        step = self.step or 1
        count = math.floor((self.high - self.low) / step + 1e-9) + 1
        values = [self.low + i * step for i in range(count)]
        return [int(v) for v in values] if self.kind == "int" else values


def load_space(path: str | Path) -> dict[str, Any]:
    """A space TOML file as a flat ``{key: spec}`` (nested tables become dotted keys)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"space file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read space file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"space file {path} is not valid TOML: {exc}") from None
    return flatten(data)


def flatten(space: Mapping[str, Any]) -> dict[str, Any]:
    """``{"policy_kwargs": {"hidden_sizes": [...]}}`` -> ``{"policy_kwargs.hidden_sizes": [...]}``;
    a table with ``low``/``high`` is a range, not a nesting."""
    flat: dict[str, Any] = {}
    for key, value in space.items():
        if isinstance(value, Mapping) and value and not (RANGE_KEYS & set(value)):
            for sub, spec in value.items():
                flat[f"{key}.{sub}"] = spec
        else:
            flat[key] = value
    return flat


def parse_space(space: Mapping[str, Any], base: list[Mapping[str, Any]], source: str) -> list[Param]:
    """Check every entry of ``space`` (flat) against the config (``base``: the config layers every
    trial shares); ``source`` names the space in errors. One clear line per mistake."""
    if not space:
        raise UserError(f"{source} is empty: give at least one key, e.g. learning_rate = {{low = 1e-4, high = 3e-3, "
                        "log = true}")
    params = []
    for key, spec in space.items():
        try:
            _check_key(key)
        except UserError as exc:
            raise UserError(f"{source}: {exc}") from None
        if key == "total_timesteps":
            raise UserError(f"{source}: total_timesteps is each trial's budget; use --steps-per-trial")
        param = make_param(key, spec, f"{source}: {key}")
        _check_values(param, base, f"{source}: {key}")
        params.append(param)
    return params


def _check_key(key: str) -> None:
    """An unknown key (with a did-you-mean) or a dotted key into a non-table field: the config's own error."""
    if "." in key or key not in FIELDS:
        merge({}, {key: None})


def make_param(key: str, spec: Any, where: str) -> Param:
    if isinstance(spec, list):
        if not spec:
            raise UserError(f"{where}: the list of choices is empty")
        if len({json.dumps(c, sort_keys=True) for c in spec}) != len(spec):
            raise UserError(f"{where}: the list of choices repeats a value")
        return Param(key, "categorical", choices=tuple(spec))
    if not isinstance(spec, Mapping):
        raise UserError(f"{where}: expected a list of choices or a range {{low = ..., high = ...}}, got {spec!r} "
                        "(a fixed value belongs in --set)")
    unknown = set(spec) - RANGE_KEYS
    if unknown:
        raise UserError(f"{where}: unknown range keys {sorted(unknown)}; a range takes low, high, log, step")
    if "low" not in spec or "high" not in spec:
        raise UserError(f"{where}: a range needs both low and high")
    low, high, log, step = spec["low"], spec["high"], spec.get("log", False), spec.get("step")
    top = key.partition(".")[0]
    field_type = FIELDS[top].type if "." not in key else None
    if field_type not in (None, "int", "float"):
        raise UserError(f"{where}: config {top} is a {field_type}: give a list of choices, not a range")
    for name, value in (("low", low), ("high", high)) + ((("step", step),) if step is not None else ()):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise UserError(f"{where}: {name} must be a finite number, got {value!r}")
    if not isinstance(log, bool):
        raise UserError(f"{where}: log must be true or false, got {log!r}")
    ints = all(isinstance(v, int) for v in (low, high, step if step is not None else 1))
    kind = field_type or ("int" if ints else "float")
    if kind == "int" and not ints:
        raise UserError(f"{where}: config {top} is an int: low, high and step must be integers, got {dict(spec)}")
    if low > high:
        raise UserError(f"{where}: low ({low}) is above high ({high})")
    if log and low <= 0:
        raise UserError(f"{where}: a log range needs low > 0, got {low}")
    if step is not None and step <= 0:
        raise UserError(f"{where}: step must be > 0, got {step}")
    if log and step is not None:
        raise UserError(f"{where}: log and step do not combine; drop one")
    return Param(key, kind, float(low) if kind == "float" else low, float(high) if kind == "float" else high,
                 log, float(step) if kind == "float" and step is not None else step)


def _check_values(param: Param, base: list[Mapping[str, Any]], where: str) -> None:
    """Resolve the config at each end of the range (each choice) so the config's own checks speak now."""
    values = param.choices if param.kind == "categorical" else (param.low, param.high)
    for value in values:
        try:
            resolve(*base, {param.key: value})
        except UserError as exc:
            raise UserError(f"{where} = {value!r}: {exc}") from None


def sample(params: list[Param], trial: Any) -> dict[str, Any]:
    """A trial's overrides: one drawn value per key."""
    return {p.key: p.suggest(trial) for p in params}


def decoded(params: list[Param], stored: Mapping[str, Any]) -> dict[str, Any]:
    """A finished trial's stored params as config overrides."""
    by_key: dict[str, Callable[[Any], Any]] = {p.key: p.decode for p in params}
    return {key: by_key.get(key, lambda v: v)(value) for key, value in stored.items()}
