"""What plugins register (envs, policies, opponents, rewards, players, teachers) and how names resolve.

Items are stored under their qualified name ``plugin/name``; a short name resolves when
exactly one plugin registered it. Entry points are ``"pkg.mod:attr"`` strings imported
lazily, so listing envs imports no env code.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentctl.errors import SpecError, UserError

ENV_KINDS = ("single", "multi", "sequence")
CATEGORIES = ("env", "policy", "opponent", "reward", "player", "teacher")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*(:\*)?$")
_ENTRY_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def load_entry_point(target: str | Callable) -> Callable:
    """Import ``"pkg.mod:attr"`` (or return a callable unchanged)."""
    if callable(target):
        return target
    module_name, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise UserError(f"cannot load entry point {target!r}: {exc}") from exc
    return obj


def _check_target(what: str, target: Any) -> None:
    if callable(target):
        return
    if not isinstance(target, str) or not _ENTRY_RE.match(target):
        raise SpecError(f"{what}: entry point must be a callable or 'pkg.module:function', got {target!r}")


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not _NAME_RE.match(name) or "/" in name:
        raise SpecError(f"invalid name {name!r}: use letters, digits and _ . : -")


@dataclass(frozen=True)
class Spec:
    """A registered policy builder, opponent, reward function, player (``agentctl play``) or
    teacher (``agentctl pretrain --teacher``)."""

    category: str
    name: str
    target: str | Callable
    plugin: str
    description: str = ""
    env: str | None = None  # opponents and teachers: the env they play

    @property
    def qualified_name(self) -> str:
        return f"{self.plugin}/{self.name}"

    def load(self) -> Callable:
        return load_entry_point(self.target)


@dataclass(frozen=True)
class EnvSpec:
    """A registered environment; ``make`` builds it (lazily importing its code)."""

    name: str
    entry_point: str | Callable
    kind: str
    plugin: str
    description: str = ""
    default_config: Mapping[str, Any] = field(default_factory=dict)
    policy: str = "mlp"
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)
    # Optional: one unbatched env in the standard API (a gymnasium.Env for "single", a
    # PettingZoo AEC env for "multi"), for API checkers (`agentctl check-plugin`) and tests.
    reference_env: str | Callable | None = None
    # Optional: the default search space of `agentctl tune` (config key -> a list of choices or
    # {low, high[, log, step]}, as in a space TOML file).
    tune_space: Mapping[str, Any] = field(default_factory=dict)

    category = "env"

    @property
    def qualified_name(self) -> str:
        return f"{self.plugin}/{self.name}"

    def make(self, **kwargs: Any) -> Any:
        """Call the entry point with ``env_kwargs`` updated by ``kwargs``."""
        return load_entry_point(self.entry_point)(**{**self.env_kwargs, **kwargs})

    def make_reference(self, **kwargs: Any) -> Any:
        """One unbatched env from ``reference_env`` (None when the plugin gives none)."""
        if self.reference_env is None:
            return None
        return load_entry_point(self.reference_env)(**{**self.env_kwargs, **kwargs})


class Registry:
    """All items, by category and qualified name, in registration order."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {c: {} for c in CATEGORIES}

    # -- adding (the callbacks handed to plugins) -------------------------------------
    def registrar(self, category: str, plugin: str, added: list[tuple[str, str]]) -> Callable:
        """The ``register`` callback for one plugin and category; records what it adds."""

        def register(name: str, target: Any = None, **kwargs: Any) -> None:
            _check_name(name)
            if category == "env":
                kind = kwargs.pop("kind", None)
                if kind not in ENV_KINDS:
                    raise SpecError(f"env {name!r}: kind must be one of {', '.join(ENV_KINDS)}, got {kind!r}")
                _check_target(f"env {name!r}", target)
                default_config = dict(kwargs.pop("default_config", None) or {})
                env_kwargs = dict(kwargs.pop("env_kwargs", None) or {})
                policy = kwargs.pop("policy", None) or "mlp"
                description = kwargs.pop("description", "")
                reference_env = kwargs.pop("reference_env", None)
                if reference_env is not None:
                    _check_target(f"env {name!r} reference_env", reference_env)
                tune_space = kwargs.pop("tune_space", None) or {}
                if not isinstance(tune_space, Mapping):
                    raise SpecError(f"env {name!r}: tune_space must be a dict, got {tune_space!r}")
                if kwargs:
                    raise SpecError(f"env {name!r}: unknown register() arguments {sorted(kwargs)}")
                item: Any = EnvSpec(name, target, kind, plugin, str(description),
                                    default_config, policy, env_kwargs, reference_env, dict(tune_space))
            else:
                _check_target(f"{category} {name!r}", target)
                description = kwargs.pop("description", "")
                env = kwargs.pop("env", None)
                if category in ("opponent", "teacher") and not isinstance(env, str):
                    raise SpecError(f"{category} {name!r}: pass env='<env name>'")
                if kwargs:
                    raise SpecError(f"{category} {name!r}: unknown register() arguments {sorted(kwargs)}")
                item = Spec(category, name, target, plugin, str(description), env)
            table = self.items[category]
            if item.qualified_name in table:
                raise SpecError(f"{category} {item.qualified_name!r} is registered twice")
            table[item.qualified_name] = item
            added.append((category, item.qualified_name))

        return register

    def remove(self, added: list[tuple[str, str]]) -> None:
        """Undo a failed plugin's partial registrations."""
        for category, qualified in added:
            self.items[category].pop(qualified, None)

    # -- looking up ----------------------------------------------------------------
    def all(self, category: str) -> list[Any]:
        return list(self.items[category].values())

    def resolve(self, category: str, name: str) -> Any:
        """Find an item by qualified or unique short name; a clear error otherwise."""
        table = self.items[category]
        if name in table:
            return table[name]
        matches = [item for item in table.values() if item.name == name]
        if not matches and category == "env":
            matches = self._pattern_matches(name)
        if len(matches) == 1:
            return matches[0]
        if matches:
            options = ", ".join(sorted(m.qualified_name for m in matches))
            raise UserError(f"{category} name {name!r} is ambiguous: use one of {options}")
        close = _suggestions(name, table)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        listing = " Run `agentctl envs` to list them." if category == "env" else ""
        raise UserError(f"unknown {category} {name!r}.{hint}{listing}")

    def player(self, env: EnvSpec) -> Spec:
        """The player of ``env`` (the click command ``agentctl play --env NAME`` runs): registered
        under the env's name, the env's own plugin's first when several plugins register one."""
        found = [p for p in self.items["player"].values() if p.name in (env.name, env.qualified_name)]
        own = [p for p in found if p.plugin == env.plugin]
        if own or len(found) == 1:
            return (own or found)[0]
        if found:
            options = ", ".join(sorted(p.qualified_name for p in found))
            raise UserError(f"env {env.name!r} has players from several plugins: {options}")
        playable = sorted({p.name for p in self.items["player"].values()})
        raise UserError(f"env {env.name!r} has no player; envs with one: {', '.join(playable) or 'none'}")

    def _pattern_matches(self, name: str) -> list[EnvSpec]:
        """Envs registered as ``prefix:*`` accept ``prefix:ID`` (passed as ``env_id``)."""
        plugin, _, short = name.rpartition("/")
        found = []
        for spec in self.items["env"].values():
            prefix = spec.name[:-1]
            if spec.name.endswith(":*") and short.startswith(prefix) and len(short) > len(prefix):
                if not plugin or plugin == spec.plugin:
                    env_kwargs = {**spec.env_kwargs, "env_id": short[len(prefix):]}
                    found.append(dataclasses.replace(spec, name=short, env_kwargs=env_kwargs))
        return found


def _suggestions(name: str, table: Mapping[str, Any], n: int = 3) -> list[str]:
    """Up to ``n`` close names, each item once: its short name when that resolves to it alone,
    else its qualified name. A qualified query (``go/gnug``) is compared with qualified names."""
    qualified = "/" in name
    shorts = Counter(item.name for item in table.values())
    labels: dict[str, list[str]] = {}  # what the query is compared with -> what is suggested
    for q, item in table.items():
        key = q if qualified else item.name
        label = item.name if shorts[item.name] == 1 and not qualified else q
        labels.setdefault(key, []).append(label)
    close = difflib.get_close_matches(name, list(labels), n=n, cutoff=0.5)
    return list(dict.fromkeys(label for key in close for label in labels[key]))[:n]
