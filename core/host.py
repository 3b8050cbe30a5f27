"""Loads plugins from the ``agentctl`` entry-point group, one by one, under a guard.

Unlike pluggy's ``load_setuptools_entrypoints``, a plugin that fails to import, targets a
newer hook API, implements a misspelled hook or registers a malformed/duplicate item is
skipped with one stderr line; its partial registrations are undone and every other plugin
keeps working. ``AGENTCTL_STRICT_PLUGINS=1`` re-raises instead (for a plugin's own CI).

A plugin that calls ``sys.exit`` (any ``BaseException`` but Ctrl-C) is caught like any other
failure. Plugin names are unique: an entry point whose name is already taken (``builtin``,
``classic``, ``go`` or another plugin's) is listed as failed and never imported; agentctl's
own entry points win over a third party's of the same name.

Switches: ``AGENTCTL_LOAD_PLUGINS=a,b`` loads only those (empty: none),
``AGENTCTL_DISABLE_PLUGINS=a,b`` skips those. The built-in plugins (:data:`BUILTIN_PLUGINS`,
the core policy networks) are registered by the host itself and ignore the switches.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy
from agentctl import __version__, hookspecs
from agentctl.errors import SpecError
from agentctl.registry import Registry

# Registration hooks and the registry category each one fills.
REGISTRATION_HOOKS = {
    "register_envs": "env",
    "register_policies": "policy",
    "register_opponents": "opponent",
    "register_rewards": "reward",
    "register_players": "player",
    "register_teachers": "teacher",
}
# Plugins the host registers itself, whatever the switches say: name -> module.
BUILTIN_PLUGINS = {"builtin": "agentctl.builtin"}
DISTRIBUTION = "agentctl"
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


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"SystemExit: the plugin called sys.exit({exc.code!r})"
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


def _distribution(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name.lower().replace("_", "-") if dist else ""


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
        for name, module in BUILTIN_PLUGINS.items():
            info = PluginInfo(name, DISTRIBUTION, __version__, module)
            self.plugins.append(info)
            self._guarded(info, lambda module=module: importlib.import_module(module))

    # -- loading ------------------------------------------------------------------
    def load_entry_points(self) -> None:
        only, disabled = _names("AGENTCTL_LOAD_PLUGINS"), _names("AGENTCTL_DISABLE_PLUGINS") or set()
        # By name; for one name, agentctl's own entry point first, then sys.path order.
        eps = sorted(metadata.entry_points(group=hookspecs.PROJECT),
                     key=lambda e: (e.name, _distribution(e) != DISTRIBUTION))
        for ep in eps:
            dist = getattr(ep, "dist", None)
            info = PluginInfo(
                name=ep.name,
                distribution=dist.name if dist else "?",
                version=dist.version if dist else "?",
                module=ep.value,
            )
            if any((p.name, p.distribution, p.module) == (info.name, info.distribution, info.module)
                   for p in self.plugins):
                continue  # the same distribution visible twice on sys.path
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
            self._check_name_free(info)  # before importing: a name clash never runs its code
            module = load()
            info.api_version = _check_api(module)
            _check_hooks(module)
            self.pm.register(module, name=info.name)
            self._register_items(module, info)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # a broken plugin (even one calling sys.exit) never breaks the host
            self.registry.remove(info.registered)
            info.registered = []
            if module is not None and self.pm.is_registered(module):
                self.pm.unregister(module)
            self._fail(info, exc, f"skipped plugin {info.name!r} ({info.distribution} {info.version})")

    def _check_name_free(self, info: PluginInfo) -> None:
        first = next(p for p in self.plugins if p.name == info.name)
        if first is not info:
            raise SpecError(
                f"plugin name {info.name!r} is already used by {first.distribution} {first.version} "
                f"({first.module}); rename this plugin's entry point"
            )

    def _fail(self, info: PluginInfo, exc: BaseException, what: str, prefix: str = "") -> None:
        """Record a failure (one line) and print it; strict mode raises instead."""
        info.status = "failed"
        info.error = prefix + _one_line(exc)
        if self.strict:
            if isinstance(exc, Exception):
                raise exc
            raise SpecError(f"plugin {info.name!r}: {info.error}") from exc  # e.g. sys.exit: fail loudly
        print(f"agentctl: {what}: {info.error}", file=sys.stderr)

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
            except KeyboardInterrupt:
                raise
            except BaseException as exc:
                self._fail(info, exc, f"plugin {info.name!r} failed to add commands", "register_commands: ")


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
