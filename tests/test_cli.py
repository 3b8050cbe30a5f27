"""The command line: import-light listing commands, JSON shapes, one-line user errors."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from agentctl.config import PPOConfig
from conftest import clean_env

HEAVY = ("torch", "gymnasium", "pettingzoo", "numba", "agentctl.envs", "agentctl.ppo", "agentctl.nn",
         "tensorboard")

PROBE = """
import json, sys
sys.argv = ["agentctl", *{args!r}]
from agentctl.cli import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {roots!r} or m.startswith({prefixes!r}))
print("@@" + json.dumps({{"code": code, "heavy": heavy}}))
"""


@pytest.mark.parametrize("args", [["--help"], ["envs"], ["envs", "--json"], ["plugins"],
                                  ["plugins", "--json"], ["config"], ["train", "--help"]])
def test_listing_commands_import_no_heavy_modules(args, tmp_path):
    roots = [m for m in HEAVY if "." not in m]
    prefixes = tuple(m for m in HEAVY if "." in m)
    code = PROBE.format(args=args, roots=roots, prefixes=prefixes)
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60,
                         env=clean_env(), cwd=tmp_path)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("@@")][-1]
    result = json.loads(line[2:])
    assert result["code"] in (0, None), out.stderr
    assert result["heavy"] == [], f"{args} imported {result['heavy']}"


def _console_script() -> str:
    script = Path(sys.executable).with_name("agentctl")
    return str(script) if script.exists() else shutil.which("agentctl")


@pytest.mark.parametrize("args", [["--help"], ["envs"], ["plugins"]])
def test_listing_commands_start_fast(args, tmp_path):
    script = _console_script()
    assert script, "console script agentctl not installed"
    best = float("inf")
    for _ in range(2):  # best of two: a sanity bound against importing torch, not a benchmark
        t0 = time.perf_counter()
        out = subprocess.run([script, *args], check=False, capture_output=True, text=True, timeout=60,
                             env=clean_env(), cwd=tmp_path)
        best = min(best, time.perf_counter() - t0)
        assert out.returncode == 0, out.stderr
    assert best < 1.5, f"agentctl {' '.join(args)} took {best:.2f}s"


def test_help_lists_commands(run_cli):
    out = run_cli("--help")
    assert out.returncode == 0
    for command in ("train", "eval", "envs", "plugins", "config"):
        assert command in out.stdout


def test_version(run_cli):
    import agentctl

    out = run_cli("--version")
    assert out.returncode == 0 and agentctl.__version__ in out.stdout


def test_envs_json_shape(run_cli):
    out = run_cli("envs", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert isinstance(rows, list) and rows
    for row in rows:
        assert {"name", "kind", "plugin", "description"} <= set(row)
        assert row["kind"] in ("single", "multi", "sequence")
        assert isinstance(row["description"], str)
    cart = {r["name"]: r for r in rows}["cartpole"]
    assert cart["kind"] == "single" and cart["plugin"] == "classic"
    assert "CartPole-v1" in cart["description"]


def test_envs_text(run_cli):
    out = run_cli("envs")
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("cartpole")]
    assert len(line) == 1 and "single" in line[0] and "classic" in line[0]


def test_plugins_text(run_cli):
    out = run_cli("plugins")
    assert out.returncode == 0
    assert "classic  (agentctl " in out.stdout and "ok" in out.stdout
    assert "env:cartpole" in out.stdout and "policy:mlp" in out.stdout


def _one_error_line(out: subprocess.CompletedProcess) -> str:
    assert out.returncode != 0
    # (other installed plugins that fail to load add their own "skipped plugin" lines)
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()
             and not ln.startswith("agentctl: skipped plugin")]
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in out.stderr
    return lines[0]


def test_unknown_env_one_line(run_cli):
    line = _one_error_line(run_cli("train", "--env", "cartpol"))
    assert line.startswith("error: unknown env 'cartpol'")
    assert "Did you mean: cartpole" in line


def test_unknown_env_debug_shows_traceback(run_cli):
    out = run_cli("--debug", "train", "--env", "cartpol")
    assert out.returncode != 0 and "Traceback" in out.stderr and "UserError" in out.stderr


def test_bad_set_key_suggests(run_cli):
    line = _one_error_line(run_cli("train", "--env", "cartpole", "--set", "learning_rat=0.1"))
    assert "unknown config key 'learning_rat'" in line and "learning_rate" in line


@pytest.mark.parametrize("args, fragment", [
    (["--set", "total_timesteps=lots"], "total_timesteps: expected int"),
    (["--set", "num_envs"], "--set expects key=value"),
    (["--set", "num_envs=0"], "num_envs must be >= 1"),
    (["--set", "gamma.x=1"], "gamma is not a table"),
    (["--config", "missing.toml"], "config file not found"),
])
def test_bad_config_one_line(args, fragment, tmp_path, monkeypatch):
    line = _one_error_line(_in_process(["train", "--env", "cartpole", *args], tmp_path, monkeypatch))
    assert fragment in line


def _in_process(args, tmp_path, monkeypatch):
    """The click group in this process (saves a torch import per case); same exit/stderr."""
    from agentctl.cli import cli
    from click.testing import CliRunner

    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, args)
    if res.exception and not isinstance(res.exception, SystemExit):
        raise res.exception
    return subprocess.CompletedProcess(args, res.exit_code, res.stdout, res.stderr)


def test_train_without_env(tmp_path, monkeypatch):
    line = _one_error_line(_in_process(["train"], tmp_path, monkeypatch))
    assert "--env is required" in line


def test_eval_missing_checkpoint(tmp_path, monkeypatch):
    empty = tmp_path / "emptyrun"
    empty.mkdir()
    line = _one_error_line(_in_process(["eval", "--checkpoint", str(empty)], tmp_path, monkeypatch))
    assert "no checkpoint in" in line
    assert not (tmp_path / "runs").exists()


def test_config_lists_every_key(run_cli):
    out = run_cli("config")
    assert out.returncode == 0
    defaults = PPOConfig()
    for f in dataclasses.fields(PPOConfig):
        assert f"{f.name} = {getattr(defaults, f.name)!r}" in out.stdout
        assert f.metadata["help"] in out.stdout


@pytest.mark.parametrize("env", ["cartpole", "go"])
def test_unknown_env_kwarg_is_one_line(run_cli, env):
    out = run_cli("train", "--env", env, "--steps", "64", "--set", "env_kwargs.bogus=1")
    assert out.returncode != 0
    lines = [ln for ln in out.stderr.strip().splitlines() if not ln.startswith("agentctl: skipped plugin")]
    assert len(lines) == 1 and lines[0].startswith("error:") and "bogus" in lines[0]
