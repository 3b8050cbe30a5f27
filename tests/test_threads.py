"""OpenMP threads sleep when idle: agentctl sets OMP_WAIT_POLICY=PASSIVE before torch loads, and
warns when torch was loaded first with the spinning default (more threads must never make a run
several times slower on a busy machine)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPT = """
import warnings
{first}
import agentctl, os, torch
from agentctl.assemble import use_torch_threads
from agentctl.config import PPOConfig
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    use_torch_threads(PPOConfig(torch_threads=2))
print(os.environ.get("OMP_WAIT_POLICY"), any("OMP_WAIT_POLICY" in str(w.message) for w in caught))
"""


def run(first: str, **env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(first=first)], env={**clean, **env},
                         capture_output=True, text=True, check=True).stdout
    return out.split()


@pytest.mark.parametrize("first,env,expected", [
    ("", {}, ["PASSIVE", "False"]),  # the CLI's case: agentctl loads before torch
    ("import torch", {}, ["PASSIVE", "True"]),  # set too late for torch: a warning says what to do
    ("import torch", {"OMP_WAIT_POLICY": "PASSIVE"}, ["PASSIVE", "False"]),
    ("", {"OMP_WAIT_POLICY": "ACTIVE"}, ["ACTIVE", "False"]),  # the user's own choice stands
], ids=["agentctl-first", "torch-first", "torch-first-passive", "user-active"])
def test_openmp_wait_policy(first, env, expected):
    assert run(first, **env) == expected
