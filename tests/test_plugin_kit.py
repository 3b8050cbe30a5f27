"""The third-party plugin kit: `new-plugin` scaffolds a package that installs, lists and passes
`check-plugin`; broken plugins get a clear failure report while the others keep working."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys

import numpy as np
import pytest
from conftest import clean_env, cli_cmd


@pytest.fixture
def installed(tmp_path):
    """``installed(kind)`` scaffolds `kit<pid><kind>` into tmp_path and pip-installs it (editable).

    The install goes into a throw-away venv layered on the current environment (a ``.pth``
    adds this environment's site-packages, so agentctl and everything installed here is
    there too): it sees exactly what the current environment has, plus the new plugin, while
    other test runs sharing this venv never see a plugin this test breaks on purpose."""
    venv = tmp_path / "overlay"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site_dir = next((venv / "lib").glob("python*/site-packages"))
    parents = [p for p in site.getsitepackages() if os.path.isdir(p)]
    (site_dir / "_agentctl_parent_env.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in parents) + "\n")
    python = str(venv / "bin" / "python")

    def cli(*args, check=None):
        res = subprocess.run([python, "-m", "agentctl.cli", *args], capture_output=True, text=True,
                             cwd=tmp_path, env=clean_env(), timeout=300)
        if check is not None:
            assert res.returncode == check, f"agentctl {' '.join(args)} -> {res.returncode}\n{res.stdout}\n{res.stderr}"
        return res

    def install(kind):
        name = f"kit{os.getpid()}{kind}"
        cli("new-plugin", name, "--kind", kind, check=0)
        subprocess.run([python, "-m", "pip", "-q", "install", "--no-deps", "--no-build-isolation", "-e",
                        str(tmp_path / name)], check=True, capture_output=True, timeout=300)
        return name, tmp_path / name

    install.cli = cli
    install.python = python
    return install


@pytest.mark.parametrize("kind", ["single", "multi", "simultaneous", "sequence"])
def test_scaffold_installs_lists_and_passes_checks(installed, tmp_path, kind):
    name, root = installed(kind)
    cli = installed.cli
    assert {"pyproject.toml", "README.md"} <= {p.name for p in root.iterdir()}
    envs = cli("envs", check=0).stdout
    registered = "multi" if kind == "simultaneous" else kind  # simultaneous games are multi envs
    assert any(line.split()[:3] == [name, registered, name] for line in envs.splitlines()), envs
    res = cli("check-plugin", name, check=0)
    assert "result: PASS" in res.stdout and "FAIL " not in res.stdout, res.stdout
    assert f"PASS  env {name}: training smoke test" in res.stdout
    if kind == "simultaneous":  # the raw contract, the turn view, the ParallelEnv: nothing skipped
        assert "SKIP" not in res.stdout.replace("0 skipped", ""), res.stdout
        batched = next(line for line in res.stdout.splitlines() if f"env {name}: batched env" in line)
        assert "simultaneous:" in batched and "as turns:" in batched, batched
        assert "parallel_api_test passed (GoofspielParallelEnv)" in res.stdout, res.stdout
    if kind == "sequence":  # every check applies: the task, its reward, the language model, training
        assert "SKIP" not in res.stdout.replace("0 skipped", ""), res.stdout
        for check in ("task", "reward", "policy"):
            assert f"PASS  env {name}: {check} " in res.stdout, res.stdout
        assert f"PASS  reward {name}-answer " in res.stdout, res.stdout
        # The README's commands: train with the scaffold's own defaults (fewer tokens), then sample.
        out = cli("train", "--env", name, "--steps", "300", "--run-dir", "run", "--json", check=0).stdout
        summary = json.loads(out.strip().splitlines()[-1])
        assert summary["steps"] >= 300 and summary["mean_kl"] is not None
        sampled = cli("sample", "--checkpoint", "run", "--prompt", "3+4=", "-n", "2", "--json", check=0).stdout
        rows = [json.loads(line) for line in sampled.splitlines()]
        assert [r["prompt"] for r in rows] == ["3+4=", "3+4="]
        assert all(0.0 <= r["score"] <= 1.0 for r in rows), rows
    # The scaffold's own tests pass right after the install.
    tests = subprocess.run([installed.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests")],
                           capture_output=True, text=True, cwd=root, env=clean_env(), timeout=300)
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_broken_plugin_gives_a_clear_report_and_others_keep_working(installed, tmp_path):
    name, root = installed("multi")
    cli = installed.cli
    plugin = root / "src" / f"agentctl_{name}" / "plugin.py"
    good = plugin.read_text()

    # 1. A bad spec the host refuses at load time: the whole plugin is skipped.
    plugin.write_text(good.replace('kind="multi"', 'kind="multiplayer"'))
    res = cli("check-plugin", name, check=1)
    assert "FAIL  load" in res.stdout and "kind must be one of single, multi, sequence" in res.stdout
    assert "result: FAIL" in res.stdout
    envs = cli("envs", check=0)
    assert "cartpole" in envs.stdout and name not in envs.stdout
    assert f"skipped plugin {name!r}" in envs.stderr

    # 2. A spec that loads but names a policy nobody registered: the spec check fails.
    plugin.write_text(good.replace('policy="mlp"', 'policy="no-such-net"'))
    res = cli("check-plugin", name, check=1)
    assert f"FAIL  env {name}: spec" in res.stdout and "unknown policy 'no-such-net'" in res.stdout
    assert "result: FAIL" in res.stdout

    # 3. An import error in the plugin module.
    plugin.write_text(good.replace("import agentctl\n", "import agentctl\nimport agentctl_no_such_dependency\n"))
    res = cli("check-plugin", name, check=1)
    assert "plugin failed to load: ModuleNotFoundError: No module named 'agentctl_no_such_dependency'" in res.stdout
    envs = cli("envs", check=0)
    assert "cartpole" in envs.stdout
    assert cli("check-plugin", "classic", "--steps", "0").returncode == 0

    # Repaired, it passes again.
    plugin.write_text(good)
    cli("check-plugin", name, "--steps", "0", check=0)


def test_broken_sequence_plugin_fails_naming_the_problem(installed):
    """A reward that raises and a factory that returns a list: one FAIL line each naming it;
    `train` refuses the raising reward in one line."""
    name, root = installed("sequence")
    cli = installed.cli
    plugin = root / "src" / f"agentctl_{name}" / "plugin.py"
    good = plugin.read_text()

    scoring = "        return [answer_score(p, r) for p, r in zip(prompts, responses)]\n"
    assert scoring in good
    plugin.write_text(good.replace(scoring, '        raise RuntimeError("scorer offline")\n'))
    res = cli("check-plugin", name, check=1)
    failed = f"reward '{name}-answer' failed: RuntimeError: scorer offline"
    assert f"FAIL  env {name}: reward" in res.stdout and failed in res.stdout, res.stdout
    assert f"FAIL  reward {name}-answer" in res.stdout and "result: FAIL" in res.stdout, res.stdout
    train = cli("train", "--env", name, "--steps", "50", "--run-dir", "run", check=2)
    assert train.stderr.strip().splitlines()[-1].startswith("error: ") and failed in train.stderr, train.stderr

    task = "    return SequenceTask("
    assert task in good
    plugin.write_text(good.replace(task, "    return list(make_prompts(max_operand))\n" + task))
    res = cli("check-plugin", name, check=1)
    assert f"FAIL  env {name}: task" in res.stdout, res.stdout
    assert "must return agentctl.sequences.SequenceTask from its factory, got list" in res.stdout, res.stdout

    plugin.write_text(good)
    cli("check-plugin", name, "--steps", "0", check=0)


def test_new_plugin_refuses_bad_names_and_existing_folders(tmp_path):
    def cli(*args, check):
        res = subprocess.run(cli_cmd(*args), capture_output=True, text=True, cwd=tmp_path, env=clean_env())
        assert res.returncode == check, res.stdout + res.stderr
        return res

    assert "use lowercase letters" in cli("new-plugin", "Bad Name", check=2).stderr
    (tmp_path / "taken").mkdir()
    assert "already exists" in cli("new-plugin", "taken", check=2).stderr
    assert "no plugin named 'nope'" in cli("check-plugin", "nope", check=2).stderr


def test_check_games_reports_contract_violations():
    import gymnasium as gym
    from agentctl.testing import check_games

    class NoLegalMoves:
        num_games = 2
        observation_space = gym.spaces.Box(0, 1, (3,))
        action_space = gym.spaces.Discrete(2)

        def reset(self, seed=None): pass
        def reset_games(self, index): pass
        def to_play(self): return np.zeros(2, dtype=int)
        def observe(self): return np.zeros((2, 3)), np.zeros((2, 2), dtype=bool)
        def step(self, actions, active): pass
        def done(self): return np.zeros(2, dtype=bool)
        def outcome(self): return np.zeros(2)

    with pytest.raises(AssertionError, match="no legal action"):
        check_games(NoLegalMoves())
