"""Elo ladder: the rating fit against closed forms, and a ladder over a tiny Go run."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
from agentctl.ladder import fit_elo


def test_two_players_match_the_closed_form():
    # A scores 75% against B: the ML Elo gap is 400 log10(0.75 / 0.25).
    elo = fit_elo(np.array([[0, 30.0], [10.0, 0]]), np.array([[0, 40.0], [40.0, 0]]))
    assert abs((elo[0] - elo[1]) - 400 * math.log10(3)) < 1e-3
    assert abs(elo.sum()) < 1e-9


def test_consistent_three_players_recover_their_ratings():
    true = np.array([200.0, 0.0, -200.0])
    expected = 1 / (1 + 10 ** ((true[None, :] - true[:, None]) / 400))
    games = np.full((3, 3), 1000.0) - np.eye(3) * 1000
    elo = fit_elo(expected * games, games)
    np.testing.assert_allclose(elo, true - true.mean(), atol=1e-3)


def test_a_player_who_lost_everything_stays_finite_and_last():
    # 0 beat nobody; 1 and 2 split evenly; everybody beat 0.
    score = np.array([[0, 0, 0], [10, 0, 5], [10, 5, 0]], float)
    games = np.array([[0, 10, 10], [10, 0, 10], [10, 10, 0]], float)
    elo = fit_elo(score, games, prior=1.0)
    assert np.isfinite(elo).all() and elo[0] < elo[1] - 200 and abs(elo[1] - elo[2]) < 1e-6


def test_ladder_command_on_a_small_go_run(tmp_path):
    run = tmp_path / "go"
    subprocess.run([sys.executable, "-m", "agentctl.cli", "train", "--env", "go", "--steps", "1024",
                    "--set", "num_envs=4", "--set", "num_steps=32", "--set", "snapshot_every=3",
                    "--set", "env_kwargs.board_size=5", "--set", "tensorboard=false", "--run-dir", str(run)],
                   check=True, capture_output=True, timeout=300)
    out = subprocess.run([sys.executable, "-m", "agentctl.cli", "ladder", str(run), "--games-per-pair", "4",
                          "--players", "3", "--json"], check=True, capture_output=True, text=True, timeout=300)
    import json

    rows = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(rows) == 3 and all(r["games"] == 8 for r in rows)
    assert abs(sum(r["elo"] for r in rows)) < 1.0
    assert abs(sum(r["score"] * r["games"] for r in rows) - 12) < 1e-9  # 3 pairs x 4 games


def test_prior_counts_as_drawn_games():
    # With one virtual draw per pair, 30/40 becomes 30.5/41: gap 400 log10(30.5 / 10.5).
    elo = fit_elo(np.array([[0, 30.0], [10.0, 0]]), np.array([[0, 40.0], [40.0, 0]]), prior=1.0)
    assert abs((elo[0] - elo[1]) - 400 * math.log10(30.5 / 10.5)) < 1e-3
