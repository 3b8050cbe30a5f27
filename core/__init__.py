"""agentctl: one PPO engine, environments from plugins.

The top-level package stays import-light (no torch, no env code) so that
`agentctl --help`, `agentctl envs` and `agentctl plugins` start fast.
"""

from agentctl.hookspecs import HOOK_API_VERSION, hookimpl

__version__ = "0.1.0"
__all__ = ["HOOK_API_VERSION", "__version__", "hookimpl"]
