"""Loads plugins from the ``agentctl`` entry-point group, one by one, under a guard.

Unlike pluggy's ``load_setuptools_entrypoints``, a plugin that fails to import, targets a
newer hook API, implements a misspelled hook or registers a malformed/duplicate item is
skipped with one stderr line; its partial registrations are undone and every other plugin
keeps working. ``AGENTCTL_STRICT_PLUGINS=1`` re-raises instead (for a plugin's own CI).

Switches: ``AGENTCTL_LOAD_PLUGINS=a,b`` loads only those (empty: none),
``AGENTCTL_DISABLE_PLUGINS=a,b`` skips those.
"""

from __future__ import annotations

import difflib
import inspect
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy
from agentctl import hookspecs
from agentctl.errors import SpecError
from agentctl.registry import Registry

# Registration hooks and the registry category each one fills.
REGISTRATION_HOOKS = {
    "register_envs": "env",
    "register_policies": "policy",
    "register_opponents": "opponent",
    "register_rewards": "reward",
}
HOOK_NAMES = sorted(
    name for name, obj in vars(hookspecs).items() if name.startswith("register_") and callable(obj)
)


@dataclass
class PluginInfo:
    """One plugin as `agentctl plugins` shows it."""

    name: str
    distribution: str
    version: str
    module: str
    status: str = "ok"  # ok | failed | disabled
    error: str = ""
    registered: list[tuple[str, str]] = field(default_factory=list)
    api_version: int | None = None


class _Markers(pluggy.PluginManager):
    """Accept hook functions named exactly as a spec even without ``@hookimpl``."""

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name in HOOK_NAMES and inspect.isfunction(getattr(plugin, name, None)):
            opts = {}
        return opts


def _names(var: str) -> set[str] | None:
    value = os.environ.get(var)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def _check_hooks(module: ModuleType) -> None:
    """Refuse hook-like names that match no spec, suggesting the near one."""
    for attr, obj in vars(module).items():
        if not inspect.isfunction(obj) or attr in HOOK_NAMES:
            continue
        marked = getattr(obj, f"{hookspecs.PROJECT}_impl", None) is not None
        if marked or attr.startswith("register_"):
            close = difflib.get_close_matches(attr, HOOK_NAMES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SpecError(f"unknown hook {attr!r}{hint}")


def _check_api(module: ModuleType) -> int | None:
    declared = getattr(module, "AGENTCTL_API", None)
    if declared is None:
        return None
    if not isinstance(declared, int) or declared > hookspecs.HOOK_API_VERSION:
        raise SpecError(
            f"targets hook API {declared!r}, this agentctl provides {hookspecs.HOOK_API_VERSION}: "
            "upgrade agentctl"
        )
    return declared


class PluginHost:
    """The plugin manager, the registry it filled and a record of every plugin."""

    def __init__(self) -> None:
        self.pm = _Markers(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.registry = Registry()
        self.plugins: list[PluginInfo] = []
        self.strict = os.environ.get("AGENTCTL_STRICT_PLUGINS", "") not in ("", "0")

    # -- loading ------------------------------------------------------------------
    def load_entry_points(self) -> None:
        only, disabled = _names("AGENTCTL_LOAD_PLUGINS"), _names("AGENTCTL_DISABLE_PLUGINS") or set()
        seen: set[str] = set()
        for ep in sorted(metadata.entry_points(group=hookspecs.PROJECT), key=lambda e: e.name):
            if ep.name in seen:  # the same distribution visible twice on sys.path
                continue
            seen.add(ep.name)
            dist = getattr(ep, "dist", None)
            info = PluginInfo(
                name=ep.name,
                distribution=dist.name if dist else "?",
                version=dist.version if dist else "?",
                module=ep.value,
            )
            self.plugins.append(info)
            if (only is not None and ep.name not in only) or ep.name in disabled:
                info.status = "disabled"
                continue
            self._guarded(info, lambda: ep.load())

    def add_module(self, module: ModuleType, name: str, distribution: str = "", version: str = "") -> PluginInfo:
        """Register an in-process plugin module (tests, notebooks) exactly like an entry point."""
        info = PluginInfo(name, distribution or name, version or "", module.__name__)
        self.plugins.append(info)
        self._guarded(info, lambda: module)
        return info

    def _guarded(self, info: PluginInfo, load: Any) -> None:
        module = None
        try:
            module = load()
            info.api_version = _check_api(module)
            _check_hooks(module)
            self.pm.register(module, name=info.name)
            self._register_items(module, info)
        except Exception as exc:  # a broken plugin must never break the host
            self.registry.remove(info.registered)
            info.registered = []
            if module is not None and self.pm.is_registered(module):
                self.pm.unregister(module)
            info.status = "failed"
            info.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            if self.strict:
                raise
            print(
                f"agentctl: skipped plugin {info.name!r} ({info.distribution} {info.version}): {info.error}",
                file=sys.stderr,
            )

    def _register_items(self, module: ModuleType, info: PluginInfo) -> None:
        others = [p for p in self.pm.get_plugins() if p is not module]
        for hook_name, category in REGISTRATION_HOOKS.items():
            caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
            caller(register=self.registry.registrar(category, info.name, info.registered))

    # -- using ----------------------------------------------------------------------
    def add_commands(self, cli: Any) -> None:
        """Let each loaded plugin add click commands; a failing plugin is skipped."""
        for info in self.plugins:
            if info.status != "ok":
                continue
            plugin = self.pm.get_plugin(info.name)
            impl = getattr(plugin, "register_commands", None)
            if impl is None:
                continue
            try:
                impl(cli=cli)
            except Exception as exc:
                info.status, info.error = "failed", f"register_commands: {type(exc).__name__}: {exc}"
                if self.strict:
                    raise
                print(f"agentctl: plugin {info.name!r} failed to add commands: {exc}", file=sys.stderr)


_HOST: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide host, loaded on first use."""
    global _HOST
    if _HOST is None:
        host = PluginHost()
        host.load_entry_points()  # strict mode may raise: never keep a half-loaded host
        _HOST = host
    return _HOST


def reset_host() -> None:
    """Forget the loaded host (tests change the plugin switches between calls)."""
    global _HOST
    _HOST = None
