"""An Elo ladder of a self-play run's snapshots: round-robin games, ratings by maximum likelihood.

When every snapshot still loses to a fixed engine, the ladder is what shows progress.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import numpy as np
from agentctl import checkpoint as ckpt
from agentctl.assemble import load_policy, make_envs, trained_on
from agentctl.errors import UserError
from agentctl.evaluate import play_games
from agentctl.registry import Registry
from agentctl.seeding import Stream, int_seed


def fit_elo(score: np.ndarray, games: np.ndarray, prior: float = 0.0, iters: int = 10_000) -> np.ndarray:
    """Elo ratings (mean 0) maximizing the Bradley-Terry likelihood (Hunter's MM updates).

    ``score[i, j]``: points i took from j (win 1, draw 0.5); ``games[i, j]``: games they played.
    ``prior`` adds that many virtual drawn games to every pair that met, so a player who won or
    lost every game still gets a finite rating (the ladder uses 1).
    """
    met = games > 0
    score = score + 0.5 * prior * met
    games = games + prior * met
    wins = score.sum(axis=1)
    gamma = np.ones(score.shape[0])
    for _ in range(iters):
        denom = (games / (gamma[:, None] + gamma[None, :])).sum(axis=1)
        new = np.where(denom > 0, wins / np.maximum(denom, 1e-300), gamma)
        new = np.maximum(new, 1e-300)
        new /= np.exp(np.log(new).mean())
        done = np.allclose(new, gamma, rtol=1e-12, atol=0)
        gamma = new
        if done:
            break
    r = 400 * np.log10(gamma)
    return r - r.mean()


def _players(run: Path, max_players: int) -> list[Path]:
    snaps = ckpt.list_checkpoints(run / "snapshots")
    latest = ckpt.list_checkpoints(run / "checkpoints")[-1:]
    found = snaps + latest
    if len(found) < 2:
        raise UserError(f"{run} has fewer than two snapshots/checkpoints to rank")
    if len(found) > max_players:
        idx = np.unique(np.linspace(0, len(found) - 1, max_players).round().astype(int))
        found = [found[i] for i in idx]
    return found


def ladder(run: str, registry: Registry, games_per_pair: int = 10, max_players: int = 8,
           seed: int = 0) -> list[dict[str, Any]]:
    """Round-robin between up to ``max_players`` snapshots (evenly spaced, newest included)."""
    run_dir = Path(run)
    spec, cfg = trained_on(ckpt.load(run_dir), registry)
    if spec.kind != "multi":
        raise UserError(f"a ladder ranks players of two-player games; {spec.name!r} is {spec.kind!r}")
    players = _players(run_dir, max_players)
    n = len(players)
    score, played = np.zeros((n, n)), np.zeros((n, n))
    for i, j in itertools.combinations(range(n), 2):
        pair_seed = int_seed(seed, i, j)
        games = make_envs(spec, cfg, num_envs=min(games_per_pair + games_per_pair % 2, 16),
                          seed=int_seed(pair_seed, Stream.ENVS))
        policy, _, _ = load_policy(players[i], registry, spec=spec, cfg=cfg)
        result = play_games(registry, spec, cfg, policy, games, f"snapshot:{players[j]}",
                            games_per_pair, deterministic=False, seed=pair_seed)
        points = result["games"] * (result["win_rate"] + 0.5 * result["draw_rate"])
        score[i, j], score[j, i] = points, result["games"] - points
        played[i, j] = played[j, i] = result["games"]
    elo = fit_elo(score, played, prior=1.0)
    rows = []
    for k, path in enumerate(players):
        m = re.search(r"step_(\d+)", path.name)
        rows.append({"player": str(path), "step": int(m.group(1)) if m else None, "elo": round(float(elo[k]), 1),
                     "games": int(played[k].sum()), "score": float(score[k].sum() / max(played[k].sum(), 1))})
    return sorted(rows, key=lambda r: -r["elo"])
