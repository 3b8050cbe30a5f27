"""End-to-end training runs through the real CLI: summary, run dir, eval, exact resume,
the classic plugin's vector envs. Fault handling (kill -9, Ctrl-C, NaN) is in
test_training_faults.py."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch
from agentctl import checkpoint
from conftest import clean_env, cli_cmd

BATCH = 8 * 32  # cartpole defaults: num_envs * num_steps


def last_json(out: subprocess.CompletedProcess) -> dict:
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def metrics(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def assert_same(a, b, path="state"):
    """Recursive exact equality for checkpoint contents (tensors, arrays, dicts, lists)."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, path
        assert torch.equal(a, b), f"{path} differs"
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, dict):
        assert set(a) == set(b), f"{path} keys {set(a) ^ set(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{path} length"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


# -- one short run shared by the summary / run-dir / eval tests ----------------------------
@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("short")
    run_dir = root / "run"
    out = subprocess.run(cli_cmd("train", "--env", "cartpole", "--steps", 4 * BATCH, "--seed", 2,
                                 "--run-dir", run_dir, "--json"),
                         check=False, capture_output=True, text=True, timeout=180, env=clean_env(), cwd=root)
    return run_dir, out


def test_train_json_summary(short_run):
    run_dir, out = short_run
    summary = last_json(out)
    assert {"env", "steps", "wall_s", "steps_per_s", "first_mean_return", "last_mean_return",
            "run_dir"} <= set(summary)
    assert summary["env"] == "cartpole"
    assert Path(summary["run_dir"]) == run_dir
    rows = metrics(run_dir)
    assert [r["update"] for r in rows] == list(range(1, len(rows) + 1))
    assert summary["steps"] == rows[-1]["global_step"]
    # The budget counts trained (valid) env steps: training stops at the first update that
    # reaches it; reset steps make each rollout a little short of BATCH, hence a 5th update.
    assert rows[-2]["global_step"] < 4 * BATCH <= summary["steps"] < 4 * BATCH + BATCH
    assert len(rows) == 5
    assert summary["steps_per_s"] > 0 and summary["wall_s"] > 0
    assert 5 < summary["first_mean_return"] < 500 and 5 < summary["last_mean_return"] <= 500
    assert "error" not in out.stderr


def test_run_dir_contents(short_run):
    run_dir, _ = short_run
    assert (run_dir / "config.toml").is_file()
    cfg = tomllib.loads((run_dir / "config.toml").read_text())
    assert cfg["total_timesteps"] == 4 * BATCH and cfg["seed"] == 2 and cfg["tensorboard"] is True
    assert json.loads((run_dir / "run.json").read_text())["env"] == "classic/cartpole"
    ckpts = checkpoint.list_checkpoints(run_dir / "checkpoints")
    assert ckpts, "no checkpoint written at the end of the run"
    state = checkpoint.load(run_dir)
    assert state["trainer"]["update"] == len(metrics(run_dir)) and state["env"] == "classic/cartpole"
    assert state["config"] == cfg
    events = list(run_dir.glob("events.out.tfevents*"))
    assert events and events[0].stat().st_size > 0
    steps = [r["global_step"] for r in metrics(run_dir)]
    assert steps == sorted(set(steps))


def test_eval_json(short_run, run_cli):
    run_dir, _ = short_run
    result = last_json(run_cli("eval", "--checkpoint", run_dir, "--episodes", 5, "--json"))
    assert {"env", "episodes", "mean_return", "std_return"} <= set(result)
    assert result["env"] == "cartpole" and result["episodes"] == 5
    assert 8 <= result["min_return"] <= result["mean_return"] <= result["max_return"] <= 500
    assert result["std_return"] >= 0


# -- exact resume ---------------------------------------------------------------------------
N_UPDATES, K = 10, 10


@pytest.fixture(scope="module")
def resumed_pair(tmp_path_factory):
    """Run A: 2N steps with a checkpoint every K updates; run B: resumed from A's checkpoint
    at update N, continues to the same total."""
    root = tmp_path_factory.mktemp("resume")
    a, b = root / "A", root / "B"
    out_a = subprocess.run(cli_cmd("train", "--env", "cartpole", "--steps", 2 * N_UPDATES * BATCH,
                                   "--seed", 5, "--device", "cpu", "--set", f"checkpoint_every={K}",
                                   "--set", "keep_checkpoints=0", "--set", "tensorboard=false",
                                   "--run-dir", a, "--json"),
                           check=False, capture_output=True, text=True, timeout=300, env=clean_env(), cwd=root)
    last_json(out_a)
    mid = [p for p in checkpoint.list_checkpoints(a / "checkpoints")
           if checkpoint.load(p)["trainer"]["update"] == N_UPDATES]
    assert len(mid) == 1, checkpoint.list_checkpoints(a / "checkpoints")
    out_b = subprocess.run(cli_cmd("train", "--resume", mid[0], "--run-dir", b, "--json"),
                           check=False, capture_output=True, text=True, timeout=300, env=clean_env(), cwd=root)
    return a, b, mid[0], last_json(out_b)


def test_exact_resume(resumed_pair):
    a, b, mid, summary_b = resumed_pair
    final_a, final_b = checkpoint.load(a), checkpoint.load(b)
    ta, tb = final_a["trainer"], final_b["trainer"]
    assert ta["update"] == tb["update"] > 2 * N_UPDATES  # + the update that tops up reset steps
    assert ta["global_step"] == tb["global_step"] == summary_b["steps"]
    assert ta["global_step"] > checkpoint.load(mid)["trainer"]["global_step"]
    for key in ("model", "optimizer", "torch_generator", "torch_rng", "np_rng", "collector", "episodes"):
        assert_same(ta[key], tb[key], key)
    assert final_a["config"] == final_b["config"]


def test_resume_covers_lr_annealing(resumed_pair):
    a, b, _, _ = resumed_pair
    cfg = checkpoint.load(a)["config"]
    assert cfg["anneal_lr"] is True
    rows_a, rows_b = metrics(a), metrics(b)
    lrs = [r["learning_rate"] for r in rows_a]
    assert lrs[0] == cfg["learning_rate"] and lrs[-1] < lrs[0] / 10 and lrs == sorted(lrs, reverse=True)
    # B's log holds updates N+1..2N, identical to A's except wall-clock timings
    assert [r["update"] for r in rows_b] == list(range(N_UPDATES + 1, len(rows_a) + 1))
    timing = {"rollout_s", "update_s", "steps_per_s", "wall_s"}
    strip = lambda r: {k: v for k, v in r.items() if k not in timing}
    assert [strip(r) for r in rows_a[N_UPDATES:]] == [strip(r) for r in rows_b]
    opt_lr = checkpoint.load(b)["trainer"]["optimizer"]["param_groups"][0]["lr"]
    assert opt_lr == rows_b[-1]["learning_rate"] < cfg["learning_rate"]


def test_resume_wrong_env_errors(resumed_pair, tmp_path, monkeypatch):
    from agentctl.cli import cli
    from click.testing import CliRunner

    _, _, mid, _ = resumed_pair
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["train", "--resume", str(mid), "--env", "acrobot",
                                   "--run-dir", str(tmp_path / "C")])
    assert res.exit_code != 0
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()
             and not ln.startswith("agentctl: skipped plugin")]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "acrobot" in lines[0] and "cartpole" in lines[0] and "does not match" in lines[0]
    assert not (tmp_path / "C").exists()


# -- the classic plugin's vector envs -------------------------------------------------------
@pytest.mark.parametrize("env_id, kwargs", [("CartPole-v1", {}), ("CartPole-v1", {"sutton_barto_reward": True}),
                                            ("Acrobot-v1", {})])
def test_classic_vector_env_factory(env_id, kwargs):
    from agentctl.plugins.classic import make_vector_env
    from gymnasium.vector import AutoresetMode, VectorEnv

    envs = make_vector_env(env_id, num_envs=3, seed=0, **kwargs)
    try:
        assert isinstance(envs, VectorEnv)
        assert envs.num_envs == 3
        assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
        obs, _ = envs.reset(seed=0)
        assert obs.shape == (3, *envs.single_observation_space.shape)
        # NEXT_STEP: after a done, the next step returns reward 0 and no done flags
        done_prev = np.zeros(3, bool)
        for _ in range(600):
            obs, rew, term, trunc, _ = envs.step(envs.action_space.sample())
            if done_prev.any():
                assert np.all(rew[done_prev] == 0) and not np.any((term | trunc)[done_prev])
                break
            done_prev = term | trunc
        else:
            pytest.fail("no episode ended")
    finally:
        envs.close()


def test_registered_cartpole_spec_makes_vector_env():
    from agentctl.host import PluginHost
    from agentctl.plugins import classic
    from gymnasium.vector import VectorEnv

    host = PluginHost()
    host.add_module(classic, "classic")
    envs = host.registry.resolve("env", "cartpole").make(num_envs=5, seed=1)
    try:
        assert isinstance(envs, VectorEnv) and envs.num_envs == 5
        assert envs.single_action_space.n == 2
    finally:
        envs.close()


def test_unknown_gym_id():
    from agentctl.errors import UserError
    from agentctl.plugins.classic import make_vector_env

    with pytest.raises(UserError, match="unknown Gymnasium env id"):
        make_vector_env("NoSuchEnv-v0", 2, 0)


# -- quality (slow) -------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("seed, threshold", [(1, 475), (2, 400), (3, 400)])
def test_cartpole_learns(seed, threshold, run_cli, tmp_path):
    run_dir = tmp_path / f"seed{seed}"
    last_json(run_cli("train", "--env", "cartpole", "--steps", 100_000, "--seed", seed,
                      "--set", "tensorboard=false", "--run-dir", run_dir, "--json", timeout=900))
    result = last_json(run_cli("eval", "--checkpoint", run_dir, "--episodes", 20, "--json"))
    assert result["episodes"] == 20
    assert result["mean_return"] >= threshold, result
