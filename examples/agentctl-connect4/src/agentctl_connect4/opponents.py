"""Scripted Connect Four opponents (numpy only; no agentctl imports).

An opponent acts on a batch: ``act(observation [n, 2, 6, 7], action_mask [n, 7]) -> [n]``
with observations from the mover's view (plane 0 own pieces, plane 1 the opponent's).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agentctl_connect4.game import COLS, ROWS, four_in_a_row


def _drop(planes: np.ndarray, occupied: np.ndarray, col: int) -> tuple[np.ndarray, np.ndarray]:
    """Each board's plane with one piece dropped into ``col`` (where the column has room)."""
    height = occupied[:, :, col].sum(axis=1)  # pieces in the column
    ok = height < ROWS
    out = planes.copy()
    rows = np.flatnonzero(ok)
    out[rows, ROWS - 1 - height[rows], col] = True
    return out, ok


class GreedyOpponent:
    """Wins at once if it can, else blocks the opponent's immediate win, else plays randomly."""

    def __init__(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observation: np.ndarray, action_mask: np.ndarray, **_: Any) -> np.ndarray:
        obs = np.asarray(observation) > 0.5
        mask = np.asarray(action_mask, dtype=bool)
        own, opp = obs[:, 0], obs[:, 1]
        occupied = own | opp
        n = obs.shape[0]
        win = np.zeros((n, COLS), dtype=bool)
        block = np.zeros((n, COLS), dtype=bool)
        for c in range(COLS):
            mine, ok = _drop(own, occupied, c)
            theirs, _ = _drop(opp, occupied, c)
            win[:, c] = ok & four_in_a_row(mine)
            block[:, c] = ok & four_in_a_row(theirs)
        score = self.rng.random((n, COLS)) + 2.0 * block + 4.0 * win
        return np.argmax(np.where(mask, score, -1.0), axis=1)
