"""Progress on stderr: a live bar on a terminal, plain periodic lines in a log file or CI."""

from __future__ import annotations

import io

import pytest
from agentctl.runlog import TrainProgress, format_duration
from conftest import clean_env


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def plain_lines(stream: io.StringIO) -> list[str]:
    return [line for line in stream.getvalue().splitlines() if line.startswith("agentctl: step")]


def test_non_tty_prints_plain_lines_with_the_numbers(monkeypatch):
    monkeypatch.setenv("AGENTCTL_PROGRESS_INTERVAL", "0")
    out = io.StringIO()
    with TrainProgress(300_000, 0, quiet=False, stream=out) as bar:
        bar.update(12_288, 1234.0, 0.1234)
        bar.update(24_576, 1300.0, None)
    lines = out.getvalue().splitlines()
    assert lines[0] == "agentctl: step 12,288/300,000 (4.1%) 1,234 steps/s mean_return 0.12 eta 3m53s"
    assert lines[1] == "agentctl: step 24,576/300,000 (8.2%) 1,300 steps/s mean_return - eta 3m32s"
    assert len(lines) == 3 and lines[2].startswith("agentctl: step 24,576/300,000 (8.2%)")
    assert " elapsed " in lines[2]  # the final line
    assert "\x1b[" not in out.getvalue()  # no terminal control codes in a log file


def test_lines_are_rate_limited_to_the_interval(monkeypatch):
    monkeypatch.setenv("AGENTCTL_PROGRESS_INTERVAL", "3600")
    out = io.StringIO()
    with TrainProgress(1000, 0, stream=out) as bar:
        for step in range(100, 1001, 100):
            bar.update(step, 50.0, 1.0)
    lines = plain_lines(out)
    assert len(lines) == 2  # the first update, then the final line
    assert lines[0].startswith("agentctl: step 100/1,000 (10.0%) 50 steps/s mean_return 1.00 eta 18s")
    assert lines[1].startswith("agentctl: step 1,000/1,000 (100.0%) 50 steps/s mean_return 1.00 elapsed ")


def test_quiet_prints_nothing(monkeypatch):
    monkeypatch.setenv("AGENTCTL_PROGRESS_INTERVAL", "0")
    for stream in (io.StringIO(), FakeTTY()):
        with TrainProgress(100, 0, quiet=True, stream=stream) as bar:
            bar.update(50, 10.0, 1.0)
        assert stream.getvalue() == ""


def test_no_final_line_when_the_run_fails(monkeypatch):
    monkeypatch.setenv("AGENTCTL_PROGRESS_INTERVAL", "3600")
    out = io.StringIO()
    with pytest.raises(RuntimeError), TrainProgress(100, 0, stream=out) as bar:
        bar.update(10, 10.0, None)
        raise RuntimeError("diverged")
    assert len(plain_lines(out)) == 1  # the error, printed by the CLI, stays the last word


def test_terminal_gets_the_live_bar_not_plain_lines(monkeypatch):
    monkeypatch.setenv("AGENTCTL_PROGRESS_INTERVAL", "0")
    tty = FakeTTY()
    with TrainProgress(100, 0, stream=tty) as bar:
        bar.update(50, 10.0, 1.0)
    assert plain_lines(tty) == [] and "50/100 steps" in tty.getvalue()


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59.4, "59s"), (235, "3m55s"), (3600, "1h00m"),
                                           (7322, "2h02m")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_train_cli_logs_progress_lines_when_stderr_is_a_pipe(run_cli, tmp_path):
    out = run_cli("train", "--env", "cartpole", "--steps", 600, "--set", "tensorboard=false",
                  "--run-dir", tmp_path / "run", env=clean_env(AGENTCTL_PROGRESS_INTERVAL="0"))
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [line for line in out.stderr.splitlines() if line.startswith("agentctl: step")]
    assert len(lines) >= 3, out.stderr  # every update (interval 0) and the final line
    assert "/600 (" in lines[0] and " steps/s mean_return " in lines[0] and " eta " in lines[0]
    assert " elapsed " in lines[-1]
