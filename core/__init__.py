"""agentctl: one PPO engine, environments from plugins.

The top-level package stays import-light (no torch, no env code) so that
`agentctl --help`, `agentctl envs` and `agentctl plugins` start fast.
"""

import os
import sys

# Before torch (and its OpenMP runtime) loads: idle OpenMP threads sleep instead of spinning.
# With the default (spin, then sleep) a run with torch_threads=2 on a busy 2-core machine spent
# its time in threads spinning against other work: 23x slower than with PASSIVE in one
# measurement (57 vs 1,344 env-steps/s on cartpole), while one thread was unaffected. Set
# OMP_WAIT_POLICY yourself to override; `agentctl.assemble.use_torch_threads` warns when torch
# was loaded first without it.
# True when torch was loaded before us with OpenMP's default policy (too late to change it).
OPENMP_SPINS = "torch" in sys.modules and "OMP_WAIT_POLICY" not in os.environ
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from agentctl.hookspecs import HOOK_API_VERSION, hookimpl

__version__ = "0.1.0"
__all__ = ["HOOK_API_VERSION", "__version__", "hookimpl"]
