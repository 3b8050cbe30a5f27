"""`agentctl tune`: a tiny study end to end, a killed study resumed, bad input as one line, the
training loop's per-update hook, and search spaces (dotted keys, lists as choices, grids).

The study's own records are read straight from its SQLite file (not through Optuna), and a
trial's score is checked against a fresh `agentctl eval` of its checkpoint.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import clean_env, cli_cmd

SPACE = 'learning_rate = {low = 1e-4, high = 3e-3, log = true}\ngamma = [0.95, 0.98, 0.99]\n'
# CartPole's own defaults (batch 8 x 32) on a budget of a few updates per trial.
FAST = ["--steps-per-trial", "512", "--eval-episodes", "3", "--set", "tensorboard=false"]


def _invoke(args: list[str]):
    from agentctl.cli import cli
    from click.testing import CliRunner

    return CliRunner().invoke(cli, [str(a) for a in args])


def _trials(db: Path) -> dict[int, dict]:
    """number -> state, value, params (as stored) and user attrs, read with sqlite3 alone."""
    with sqlite3.connect(db, timeout=10) as con:
        rows = con.execute("SELECT trial_id, number, state FROM trials").fetchall()
        out = {}
        for trial_id, number, state in rows:
            value = con.execute("SELECT value FROM trial_values WHERE trial_id = ?", (trial_id,)).fetchone()
            params = dict(con.execute("SELECT param_name, param_value FROM trial_params WHERE trial_id = ?",
                                      (trial_id,)).fetchall())
            attrs = {k: json.loads(v) for k, v in con.execute(
                "SELECT key, value_json FROM trial_user_attributes WHERE trial_id = ?", (trial_id,)).fetchall()}
            out[number] = {"state": state, "value": value[0] if value else None, "params": params, "attrs": attrs}
    return out


@pytest.fixture
def space(tmp_path) -> Path:
    path = tmp_path / "space.toml"
    path.write_text(SPACE)
    return path


def test_tiny_study_finishes_and_its_best_config_trains(tmp_path, space):
    pytest.importorskip("optuna")
    from agentctl.config import load_toml
    from agentctl.evaluate import evaluate

    run_dir = tmp_path / "D"
    res = _invoke(["tune", "--env", "cartpole", "--trials", "4", "--space", space, "--run-dir", run_dir, *FAST,
                   "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    trials = _trials(run_dir / "study.db")
    assert sorted(trials) == [0, 1, 2, 3] and {t["state"] for t in trials.values()} == {"COMPLETE"}
    best = max(trials, key=lambda n: trials[n]["value"])
    assert summary["best_trial"] == best and summary["best_score"] == trials[best]["value"]
    # The score is the final evaluation of the trial's checkpoint: evaluate it again, independently.
    again = evaluate(str(run_dir / "trials" / f"{best:04d}"), episodes=3)
    assert again["mean_return"] == pytest.approx(trials[best]["value"])
    # Each trial trained its own drawn learning rate (its run dir's config says so).
    for number, t in trials.items():
        cfg = load_toml(run_dir / "trials" / f"{number:04d}" / "config.toml")
        assert cfg["learning_rate"] == pytest.approx(t["params"]["learning_rate"])
        assert 1e-4 <= cfg["learning_rate"] <= 3e-3 and cfg["gamma"] in (0.95, 0.98, 0.99)
    # best.toml: the best trial's whole config, which `agentctl train --config` takes.
    best_cfg = load_toml(run_dir / "best.toml")
    trained = load_toml(run_dir / "trials" / f"{best:04d}" / "config.toml")
    assert best_cfg == trained
    res = _invoke(["train", "--env", "cartpole", "--config", run_dir / "best.toml", "--steps", "256",
                   "--run-dir", tmp_path / "again", "--json"])
    assert res.exit_code == 0, res.output
    assert load_toml(tmp_path / "again" / "config.toml")["learning_rate"] == best_cfg["learning_rate"]
    # --report: the table again, and the plots.
    res = _invoke(["tune", "--report", run_dir])
    assert res.exit_code == 0, res.output
    assert "study cartpole: 4 complete" in res.output
    if "no plots" not in res.output:
        assert (run_dir / "cartpole_history.png").stat().st_size > 1000


def test_killed_study_resumes_without_repeating_finished_trials(tmp_path, space):
    pytest.importorskip("optuna")
    run_dir = tmp_path / "D"
    db = run_dir / "study.db"
    # Trial 1 trains long enough to be caught running; trial 0 is quick.
    args = ["tune", "--env", "cartpole", "--trials", "3", "--space", space, "--run-dir", run_dir, *FAST,
            "--sampler", "random"]
    proc = subprocess.Popen(cli_cmd(*args), cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    before = {}
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"tune exited early ({proc.returncode}): {proc.communicate()[1][-2000:]}")
        if db.exists():
            try:
                before = _trials(db)
            except sqlite3.OperationalError:  # tables not created yet
                before = {}
            if before.get(0, {}).get("state") == "COMPLETE" and before.get(1, {}).get("state") == "RUNNING":
                break
        time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail("trial 0 never finished")
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    checkpoint = max((run_dir / "trials" / "0000" / "checkpoints").glob("step_*.pt"))
    stamp = checkpoint.stat().st_mtime_ns

    res = _invoke(["tune", "--resume", "--run-dir", run_dir, "--trials", "2", "--json"])
    assert res.exit_code == 0, res.output
    after = _trials(db)
    assert after[0] == before[0]  # kept as it was: state, score, params
    assert after[1]["state"] == "FAIL" and "left RUNNING" in after[1]["attrs"]["error"]
    assert after[2]["state"] == "COMPLETE" and sorted(after) == [0, 1, 2]  # one new trial: 0 counted
    assert checkpoint.stat().st_mtime_ns == stamp  # trial 0 was not trained again
    assert json.loads(res.stdout.strip().splitlines()[-1])["complete"] == 2
    with sqlite3.connect(db) as con:  # the resumed study kept its own settings (no flags given but --trials)
        (stored,) = con.execute("SELECT value_json FROM study_user_attributes WHERE key = 'agentctl'").fetchone()
    settings = json.loads(stored)
    assert settings["sampler"] == "random" and settings["steps_per_trial"] == 512 and settings["env"] == "classic/cartpole"


SPACES = {
    "unknown": ("learnin_rate = [1e-3]\n", "unknown config key 'learnin_rate' (did you mean 'learning_rate'?)"),
    "low_above_high": ("learning_rate = {low = 0.1, high = 0.01}\n", "low (0.1) is above high (0.01)"),
    "log_nonpositive": ("ent_coef = {low = 0.0, high = 0.1, log = true}\n", "a log range needs low > 0"),
    "empty": ("gamma = []\n", "the list of choices is empty"),
    "string_bound": ('learning_rate = {low = "1e-4", high = 1e-3}\n', "low must be a finite number"),
    "float_for_int": ("update_epochs = {low = 1.5, high = 4}\n", "update_epochs is an int"),
    "range_on_bool": ("anneal_lr = {low = 0, high = 1}\n", "anneal_lr is a bool: give a list of choices"),
    "scalar": ("gamma = 0.99\n", "a fixed value belongs in --set"),
    "typo_in_range": ("gamma = {low = 0.9, hi = 0.99}\n", "unknown range keys ['hi']"),
    "out_of_config_range": ("gamma = [0.9, 1.5]\n", "gamma = 1.5: config gamma must be"),
    "dotted_on_scalar": ("gamma.x = [1]\n", "config gamma is not a table"),
}


@pytest.mark.parametrize("case", sorted(SPACES))
def test_bad_space_is_one_line(case, tmp_path):
    pytest.importorskip("optuna")
    text, message = SPACES[case]
    (tmp_path / "s.toml").write_text(text)
    res = _invoke(["tune", "--env", "cartpole", "--space", tmp_path / "s.toml", "--run-dir", tmp_path / "D"])
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: search space: ") and res.output.count("\n") == 1, res.output
    assert message in res.output
    assert not (tmp_path / "D").exists()  # nothing written: fixing the space and running again just works


@pytest.mark.parametrize("args, message", [
    (["--storage", "sqlite:////nonexistent-dir/x/study.db"], "cannot open the study storage"),
    (["--storage", "nosuchdb://host/x"], "cannot open the study storage nosuchdb://host/x"),
    (["--trials", "0"], "--trials must be >= 1, got 0"),
    (["--eval-episodes", "0"], "--eval-episodes must be >= 1, got 0"),
    (["--set", "learning_rate=0.001"], "learning_rate is both fixed (--set) and searched"),
    (["--resume"], "nothing to resume"),
])
def test_bad_flags_are_one_line(args, message, tmp_path, space):
    pytest.importorskip("optuna")
    res = _invoke(["tune", "--env", "cartpole", "--space", space, "--run-dir", tmp_path / "D", *args])
    assert res.exit_code == 2 and res.output.startswith("error: ") and res.output.count("\n") == 1, res.output
    assert message in res.output
    assert not (tmp_path / "D").exists()


def test_without_optuna_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # `import optuna` raises ImportError
    res = _invoke(["tune", "--env", "cartpole", "--trials", "2"])
    assert res.exit_code == 2
    assert res.output == "error: agentctl tune needs optuna: pip install 'agentctl[tune]'\n"


def test_on_update_stops_the_run_with_a_checkpoint(tmp_path):
    from agentctl.run import TrainRequest, train

    seen = []

    def stop_at_third(metrics):
        seen.append(metrics)
        return metrics["update"] == 3

    summary = train(TrainRequest(env="cartpole", overrides={"total_timesteps": 10_000, "tensorboard": False},
                                 run_dir=str(tmp_path / "r"), quiet=True, on_update=stop_at_third))
    assert [m["update"] for m in seen] == [1, 2, 3]
    assert summary["steps"] == seen[-1]["global_step"] < 10_000 and not summary["interrupted"]
    assert summary["checkpoint"].endswith(f"step_{seen[-1]['global_step']:012d}.pt")
    # recent_mean_return: the mean of the last 20 finished episodes, from the run's own episode log.
    lines = [json.loads(x) for x in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    assert len(lines) == 3
    assert seen[-1]["recent_mean_return"] is not None and seen[-1]["recent_mean_return"] > 0


def test_reporter_reports_at_budget_fractions_and_stops_when_pruned():
    from agentctl.tune import REPORTS, Reporter

    class Trial:
        def __init__(self):
            self.reports = []

        def report(self, value, step):
            self.reports.append((step, value))

        def should_prune(self):
            return len(self.reports) == 3

    trial = Trial()
    reporter = Reporter(trial, "single", budget=1000)
    stops = []
    for step in range(0, 1000, 30):  # the training loop: an update every 30 steps, until told to stop
        stops.append(reporter({"global_step": step, "recent_mean_return": step / 10}))
        if stops[-1]:
            break
    # One report per 1/REPORTS of the budget crossed (every 50 steps), at the first update past it.
    assert trial.reports == [(1, 6.0), (2, 12.0), (3, 15.0)]  # steps 60, 120, 150
    assert stops == [False] * 5 + [True] and reporter.pruned_at == 150
    assert REPORTS == 20
    games = Reporter(Trial(), "multi", budget=1000)
    assert games({"global_step": 500, "recent_mean_return": 3.0}) is False and games.trial.reports == []


def test_space_dotted_keys_lists_and_grids():
    optuna = pytest.importorskip("optuna")
    import tomllib

    from agentctl.tune_space import flatten, parse_space, sample

    raw = tomllib.loads("policy_kwargs.hidden_sizes = [[32], [64, 64]]\nupdate_epochs = {low = 4, high = 20, step = 4}\n"
                        "learning_rate = {low = 1e-4, high = 1e-3, log = true}\n")
    space = flatten(raw)
    assert sorted(space) == ["learning_rate", "policy_kwargs.hidden_sizes", "update_epochs"]
    params = {p.key: p for p in parse_space(space, [], "space")}
    assert params["update_epochs"].kind == "int" and params["update_epochs"].grid() == [4, 8, 12, 16, 20]
    assert params["learning_rate"].kind == "float" and params["learning_rate"].log
    trial = optuna.trial.FixedTrial({"policy_kwargs.hidden_sizes": "[64, 64]", "update_epochs": 8,
                                     "learning_rate": 5e-4})
    drawn = sample(list(params.values()), trial)
    assert drawn == {"policy_kwargs.hidden_sizes": [64, 64], "update_epochs": 8, "learning_rate": 5e-4}
    with pytest.raises(Exception, match="grid sampler needs"):
        params["learning_rate"].grid()


def test_report_without_matplotlib_says_so_in_one_line(monkeypatch, tmp_path):
    optuna = pytest.importorskip("optuna")
    from agentctl.tune import _plots

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert _plots(optuna, None, tmp_path) == ["no plots: matplotlib is not installed (pip install matplotlib)"]
    assert list(tmp_path.iterdir()) == []


def test_grid_runs_each_point_once(tmp_path):
    pytest.importorskip("optuna")
    (tmp_path / "grid.toml").write_text("gamma = [0.95, 0.99]\nupdate_epochs = {low = 4, high = 8, step = 4}\n")
    res = _invoke(["tune", "--env", "cartpole", "--space", tmp_path / "grid.toml", "--sampler", "grid",
                   "--trials", "10", "--steps-per-trial", "256", "--eval-episodes", "1", "--run-dir", tmp_path / "D",
                   "--set", "tensorboard=false"])
    assert res.exit_code == 0, res.output
    assert "the grid has 4 points: running 4 trials, not 10" in res.output
    trials = _trials(tmp_path / "D" / "study.db")
    # trial_params stores a categorical as its index: gamma 0 -> 0.95, 1 -> 0.99
    points = sorted((t["params"]["gamma"], t["params"]["update_epochs"]) for t in trials.values())
    assert points == [(0.0, 4.0), (0.0, 8.0), (1.0, 4.0), (1.0, 8.0)]
    assert {t["state"] for t in trials.values()} == {"COMPLETE"}


@pytest.mark.slow
def test_jobs_share_one_study(tmp_path, space):
    """--jobs 2: this process and a worker process run trials of one study, exactly --trials of them."""
    pytest.importorskip("optuna")
    res = subprocess.run(cli_cmd("tune", "--env", "cartpole", "--trials", "8", "--space", space, "--run-dir", "D",
                                 *FAST, "--pruner", "none", "--jobs", "2", "--json"),
                         check=False, cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    trials = _trials(tmp_path / "D" / "study.db")
    assert sorted(trials) == list(range(8)) and {t["state"] for t in trials.values()} == {"COMPLETE"}
    assert len({t["attrs"]["pid"] for t in trials.values()}) == 2
    assert res.stderr.count("study cartpole: ") == 8  # a table as each trial finished, whichever process ran it
