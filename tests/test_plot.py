"""`agentctl plot`: learning curves from metrics.jsonl, and its clear errors."""

from __future__ import annotations

import json
import math

import pytest
from agentctl.cli import cli
from agentctl.plot import curve, read_rows
from click.testing import CliRunner


def _run(tmp_path, name, rows):
    run = tmp_path / name
    run.mkdir()
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"cut short')
    return run


def test_curve_skips_missing_values_and_broken_lines(tmp_path):
    run = _run(tmp_path, "a", [{"global_step": 10, "mean_return": 1.0}, {"global_step": 20, "mean_return": None},
                               {"global_step": 30, "mean_return": 3.0}])
    c = curve(read_rows(run), "mean_return")
    assert (c.x, c.y, c.low, c.sparse) == ([10, 30], [1.0, 3.0], None, False)


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    a = _run(tmp_path, "a", [{"global_step": s, "mean_return": s / 10} for s in range(0, 100, 10)])
    b = _run(tmp_path, "b", [{"global_step": s, "mean_return": s / 20} for s in range(0, 100, 10)])
    out = tmp_path / "curves.png"
    result = CliRunner().invoke(cli, ["plot", str(a), str(b), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000


def test_plot_errors_are_one_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["plot", str(empty), "-o", str(tmp_path / "x.png")])
    assert result.exit_code != 0
    assert "has no metrics.jsonl" in result.output or "matplotlib" in result.output


def test_each_metric_gets_its_own_panel(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.image

    run = _run(tmp_path, "a", [{"global_step": s, "mean_return": s / 10, "mean_kl": 0.1} for s in range(0, 50, 10)])
    one, two = tmp_path / "one.png", tmp_path / "two.png"
    assert CliRunner().invoke(cli, ["plot", str(run), "-o", str(one)]).exit_code == 0
    result = CliRunner().invoke(cli, ["plot", str(run), "-o", str(two), "--metric", "mean_return",
                                      "--metric", "mean_kl"])
    assert result.exit_code == 0, result.output
    assert matplotlib.image.imread(two).shape[0] == 2 * matplotlib.image.imread(one).shape[0]
    missing = CliRunner().invoke(cli, ["plot", str(run), "-o", str(two), "--metric", "mean_return", "--metric", "x"])
    assert missing.exit_code == 2 and "no numeric 'x' values" in missing.output


# -- a real self-play run with periodic evals, resumed half-way into the same run dir -------
EVAL_GAMES = 4


@pytest.fixture(scope="module")
def resumed_eval_run(tmp_path_factory):
    """Go self-play on 5x5 with a tiny net (first-party, so a bare install has it), 5 updates, an
    eval every 2; stopped after update 2's checkpoint and resumed from it in the same dir (rows 3-5
    come from the second process)."""
    from agentctl import checkpoint
    from agentctl.run import TrainRequest, train

    run = tmp_path_factory.mktemp("plot") / "go5"
    overrides = {"env_kwargs": {"board_size": 5}, "policy_kwargs": {"blocks": 1, "channels": 8},
                 "total_timesteps": 512, "num_envs": 4, "num_steps": 32, "minibatch_size": 32, "seed": 3,
                 "eval_every": 2, "eval_games": EVAL_GAMES, "eval_opponent": "random", "checkpoint_every": 2,
                 "keep_checkpoints": 0, "tensorboard": False, "device": "cpu", "torch_threads": 1}
    train(TrainRequest(env="go", run_dir=str(run), quiet=True, overrides=overrides))
    mid = next(p for p in checkpoint.list_checkpoints(run / "checkpoints")
               if checkpoint.load(p)["trainer"]["update"] == 2)
    train(TrainRequest(resume=str(mid), quiet=True))
    return run, checkpoint.load(mid)["wall_s"]


def test_real_eval_rows_are_drawn_as_logged(resumed_eval_run):
    run, _ = resumed_eval_run
    rows = read_rows(run)
    assert [r["update"] for r in rows] == [1, 2, 3, 4, 5]
    evals = [r for r in rows if "eval_win_rate" in r]
    assert [r["update"] for r in evals] == [2, 4]
    steps, wall = curve(rows, "eval_win_rate", "steps"), curve(rows, "eval_win_rate", "wall")
    assert steps.x == [r["global_step"] for r in evals] and wall.x == [r["wall_s"] / 60 for r in evals]
    assert steps.y == wall.y == [r["eval_win_rate"] for r in evals]
    assert steps.sparse and not curve(rows, "mean_return", "steps").sparse
    # the band is the 95% Wilson interval of each eval's games: the p whose normal test does not
    # reject the observed rate, (rate - p)^2 = z^2 p (1 - p) / n, solved as a quadratic in p
    expected = []
    for r in evals:
        rate, n, z2 = r["eval_win_rate"], EVAL_GAMES, 1.959964**2
        a, b, c = 1 + z2 / n, -(2 * rate + z2 / n), rate**2
        root = math.sqrt(b * b - 4 * a * c)
        expected += [(-b - root) / (2 * a), (-b + root) / (2 * a)]
    assert [v for pair in zip(steps.low, steps.high) for v in pair] == pytest.approx(expected, abs=1e-4)
    assert all(lo <= y <= hi for lo, y, hi in zip(steps.low, steps.y, steps.high))


def test_resumed_run_wall_time_continues(resumed_eval_run):
    run, checkpoint_wall = resumed_eval_run
    rows = read_rows(run)
    wall = curve(rows, "loss", "wall").x
    assert wall == [r["wall_s"] / 60 for r in rows] and len(wall) == 5
    # the resumed process starts its clock at the checkpoint's elapsed time, not at zero
    assert rows[2]["wall_s"] > checkpoint_wall >= rows[1]["wall_s"]
    assert wall == sorted(wall) and len(set(wall)) == len(wall)


def test_panel_draws_markers_and_the_band(resumed_eval_run):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from agentctl.plot import _panel

    run, _ = resumed_eval_run
    rows = read_rows(run)
    c = curve(rows, "eval_win_rate", "wall")
    fig, ax = plt.subplots()
    try:
        _panel(ax, [str(run)], [rows], "eval_win_rate", "wall")
        (line,) = ax.lines
        assert line.get_xydata().tolist() == [list(p) for p in zip(c.x, c.y)] and line.get_marker() == "o"
        (band,) = ax.collections
        corners = {tuple(v) for v in band.get_paths()[0].vertices.round(9).tolist()}
        for x, lo, hi in zip(c.x, c.low, c.high):
            assert (round(x, 9), round(lo, 9)) in corners and (round(x, 9), round(hi, 9)) in corners
        assert "95%" in ax.get_ylabel()
    finally:
        plt.close(fig)


def test_plot_both_axes_side_by_side(resumed_eval_run, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.image

    run, _ = resumed_eval_run
    one, both = tmp_path / "one.png", tmp_path / "both.png"
    base = ["plot", str(run), "--metric", "eval_win_rate"]
    assert CliRunner().invoke(cli, [*base, "-o", str(one)]).exit_code == 0
    result = CliRunner().invoke(cli, [*base, "-o", str(both), "--x", "both"])
    assert result.exit_code == 0, result.output
    h1, w1 = matplotlib.image.imread(one).shape[:2]
    h2, w2 = matplotlib.image.imread(both).shape[:2]
    assert (h2, w2) == (h1, 2 * w1)


def test_plot_x_errors(tmp_path):
    pytest.importorskip("matplotlib")
    old = _run(tmp_path, "old", [{"global_step": s, "mean_return": 1.0, "mean_kl": 0.1} for s in (10, 20)])
    out = str(tmp_path / "x.png")
    bad = CliRunner().invoke(cli, ["plot", str(old), "-o", out, "--x", "hours"])
    assert bad.exit_code == 2 and "Invalid value for '--x'" in bad.output
    missing = CliRunner().invoke(cli, ["plot", str(old), "-o", out, "--metric", "eval_win_rate"])
    assert missing.exit_code == 2 and len(missing.output.strip().splitlines()) == 1
    assert "'eval_win_rate'" in missing.output and "metrics there: global_step, mean_kl, mean_return" in missing.output
    no_wall = CliRunner().invoke(cli, ["plot", str(old), "-o", out, "--x", "wall"])
    assert no_wall.exit_code == 2 and len(no_wall.output.strip().splitlines()) == 1
    assert "'wall_s'" in no_wall.output and "wall-clock minutes" in no_wall.output
    assert not (tmp_path / "x.png").exists()
