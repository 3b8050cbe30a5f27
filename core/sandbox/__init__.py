"""Run untrusted Python (model-written code) with its own process tree, limits and no way out.

Usable without torch: ``from agentctl.sandbox import Sandbox``. What it defends against, and
what it does not, is in docs/sandbox.md.
"""

from agentctl.sandbox.config import SandboxConfig
from agentctl.sandbox.pool import SandboxPool
from agentctl.sandbox.result import STATUSES, TEST_OUTCOMES, Result, TestOutcome
from agentctl.sandbox.runner import Sandbox, SandboxWarning, split_tests

__all__ = ["STATUSES", "TEST_OUTCOMES", "Result", "Sandbox", "SandboxConfig", "SandboxPool", "SandboxWarning", "TestOutcome",
           "split_tests"]
