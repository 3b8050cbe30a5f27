"""`agentctl plot`: learning curves from metrics.jsonl, and its clear errors."""

from __future__ import annotations

import json

import pytest
from agentctl.cli import cli
from agentctl.plot import read_metric
from click.testing import CliRunner


def _run(tmp_path, name, rows):
    run = tmp_path / name
    run.mkdir()
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"cut short')
    return run


def test_read_metric_skips_missing_values_and_broken_lines(tmp_path):
    run = _run(tmp_path, "a", [{"global_step": 10, "mean_return": 1.0}, {"global_step": 20, "mean_return": None},
                               {"global_step": 30, "mean_return": 3.0}])
    assert read_metric(run, "mean_return") == ([10, 30], [1.0, 3.0])


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
