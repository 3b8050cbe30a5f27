"""One Go position as a search state for play-time tree search (``agentctl.search``).

The duck-typed protocol: ``clone()``, ``play(action)``, ``legal_mask()``, ``observation()``,
``is_over()``, ``to_play()``, ``result_for(player)``. This module knows nothing of the search
or of PPO; it wraps a one-board :class:`GoEngine` (rules, superko, scoring unchanged).
"""

from __future__ import annotations

import numpy as np

from .engine import BLACK, WHITE, GoEngine


class GoSearchState:
    """Board 0 of a one-board engine. Players are the engine's colours (1 black, 2 white);
    the result is +1 for the winner, -1 for the loser, 0 for a draw."""

    __slots__ = ("engine",)

    def __init__(self, engine: GoEngine, board: int = 0) -> None:
        self.engine = engine if engine.num_boards == 1 and board == 0 else engine.select([board])

    @classmethod
    def of(cls, engine: GoEngine, board: int = 0) -> GoSearchState:
        """A copy of one board of any engine (the engine itself is never touched)."""
        return cls(engine.select([board]))

    def clone(self) -> GoSearchState:
        return GoSearchState(self.engine.clone())

    def play(self, action: int) -> None:
        self.engine.play(0, int(action))

    def legal_mask(self) -> np.ndarray:
        return self.engine.mask[0]

    def observation(self) -> np.ndarray:
        return self.engine.observations()[0]

    def is_over(self) -> bool:
        return bool(self.engine.done[0])

    def to_play(self) -> int:
        return int(self.engine.to_play[0])

    def result_for(self, player: int) -> float:
        winner = int(self.engine.winner[0])
        if winner not in (BLACK, WHITE):
            return 0.0
        return 1.0 if winner == player else -1.0
