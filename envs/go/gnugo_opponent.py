"""GnuGo as a batched opponent: one GTP process per game slot, kept in sync with the moves.

``act`` follows agentctl's opponent contract (observation, mask, and the ``game``/``index`` of
the batch, because GnuGo needs the move history, not planes). The batch must offer
``history(i)`` (game ``i``'s real-board action list, as ``GoGames`` does and symmetry wrappers
pass through); when it also offers ``to_frame`` (a symmetry wrapper), GnuGo's real-board moves
are mapped into the frame the batch shows.
GnuGo's ``resign`` is played as a pass (the game then ends by scoring).

The first engine starts in the constructor, so a missing or broken gnugo (or a bad level)
fails there, before any game, rather than mid-training. ``close`` stops every engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .engine import action_to_gtp, gtp_to_action
from .gtp_client import GTPClient, start_gnugo


class GnuGoOpponent:
    def __init__(self, level: int = 1, board_size: int = 9, komi: float = 7.5, timeout: float = 30.0) -> None:
        self.level, self.board_size, self.komi, self.timeout = level, board_size, komi, timeout
        self.clients: dict[int, GTPClient] = {}
        self.synced: dict[int, list[int]] = {}
        self._client(0)

    def _client(self, i: int) -> GTPClient:
        if i not in self.clients:
            self.clients[i] = start_gnugo(self.level, self.board_size, self.komi, timeout=self.timeout)
            self.synced[i] = []
        return self.clients[i]

    def act(self, observation: np.ndarray, action_mask: np.ndarray, *, game: Any = None,
            index: np.ndarray | None = None) -> np.ndarray:
        if game is None or index is None:
            raise ValueError("GnuGoOpponent needs the games batch and indices (it replays the move history)")
        if not callable(getattr(game, "history", None)):
            raise TypeError(f"GnuGoOpponent needs games with history(i), got {type(game).__name__}")
        n = self.board_size
        out = np.empty(len(index), dtype=np.int64)
        for k, i in enumerate(np.asarray(index)):
            i = int(i)
            moves = game.history(i)
            client = self._client(i)
            known = self.synced[i]
            if moves[: len(known)] != known:  # a new game in this slot
                client.clear_board()
                known = []
            for j in range(len(known), len(moves)):
                client.play("B" if j % 2 == 0 else "W", action_to_gtp(moves[j], n))
            vertex = client.genmove("B" if len(moves) % 2 == 0 else "W").strip().lower()
            if vertex == "resign":
                action = n * n
                client.clear_board()  # gnugo's board no longer matches; resync from scratch
                self.synced[i] = []
            else:
                action = n * n if vertex == "pass" else gtp_to_action(vertex, n)
                self.synced[i] = list(moves) + [action]
            out[k] = action
        to_frame = getattr(game, "to_frame", None)
        return to_frame(index, out) if to_frame is not None else out

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.clients.clear()
        self.synced.clear()

    def __del__(self) -> None:
        for client in getattr(self, "clients", {}).values():
            client.kill()
