"""Shared fixtures: run the CLI in a subprocess, build throw-away plugin distributions."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """In-process training uses one torch thread, as `agentctl train` does by default: on a
    busy 2-core machine a second OpenMP thread makes small nets 10-30x slower."""
    import torch

    torch.set_num_threads(1)


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without agentctl switches, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCTL_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def cli_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "agentctl.cli", *map(str, args)]


def wait_for(predicate, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    """Poll ``predicate`` until true; fail (killing ``proc``) if the run exits or times out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"train exited early ({proc.returncode}): {err[-2000:]}")
        time.sleep(0.01)
    proc.kill()
    pytest.fail("timed out waiting for the training run")


@pytest.fixture
def run_cli(tmp_path):
    """``run_cli(*args, env=None, timeout=120)`` -> CompletedProcess (text, cwd = tmp_path)."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(cli_cmd(*args), check=False, capture_output=True, text=True, timeout=timeout,
                              env=env if env is not None else clean_env(), cwd=cwd or tmp_path)

    return run


@pytest.fixture
def make_plugin(tmp_path):
    """``make_plugin(source, name="broken", dist="broken-plugin", version="0.1")`` writes an
    installed-looking distribution (``*.dist-info`` with an ``agentctl`` entry point) plus its
    module into a fresh folder and returns an environment with that folder on PYTHONPATH."""
    counter = iter(range(1000))

    def make(source: str, name: str = "broken", dist: str = "broken-plugin", version: str = "0.1",
             module: str = "broken_plugin", base: dict[str, str] | None = None) -> dict[str, str]:
        root = tmp_path / f"site{next(counter)}"
        info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[agentctl]\n{name} = {module}\n")
        (root / f"{module}.py").write_text(textwrap.dedent(source))
        env = dict(base) if base is not None else clean_env()
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
        return env

    return make


@pytest.fixture
def host(monkeypatch):
    """A fresh in-process PluginHost, unaffected by the AGENTCTL_* plugin switches of the shell."""
    from agentctl.host import PluginHost

    for var in ("AGENTCTL_STRICT_PLUGINS", "AGENTCTL_LOAD_PLUGINS", "AGENTCTL_DISABLE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    return PluginHost()
