"""Go as batched two-player turn-based games for self-play training.

:class:`GoGames` satisfies agentctl's ``TurnBasedGames`` contract (``num_games``,
``observation_space``, ``action_space``, ``reset``, ``reset_games``, ``to_play``, ``observe``,
``step(actions, active)``, ``done``, ``outcome``) and three optional capabilities: ``search_state(i)``
(play-time tree search), ``history(i)`` (the move list, which external engines such as GnuGo
over GTP replay) and ``final_targets(index)`` (what a finished game reveals about all its
positions, for a policy's auxiliary heads: the final owner of every point and the score margin). It is duck-typed: this module imports nothing of agentctl's core. Seat 0 is
black.

Two engines play the same rules move for move: ``engine="numba"`` (:class:`GoEngine`, CPU
kernels, the default) and ``engine="torch"`` (:class:`TorchGoEngine`, batched tensor ops on
``device``, meant for a GPU with many games).  Either way the contract speaks numpy: the
torch engine's tensors are copied to the host at the boundary.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from .engine import BLACK, GoEngine
from .search_state import GoSearchState

ENGINES = ("numba", "torch")


def _host(x) -> np.ndarray:
    """A numpy copy of an engine array (a torch tensor on any device, or a numpy array)."""
    if isinstance(x, np.ndarray):
        return x.copy()
    return x.detach().cpu().numpy().copy()  # .cpu() of a CPU tensor shares its memory


class GoGames:
    def __init__(self, num_games: int, board_size: int = 9, komi: float = 7.5, ko_rule: str = "superko",
                 max_moves: int | None = None, history: int = 4, engine: str = "numba",
                 device: str = "cpu") -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
        kw = dict(komi=komi, ko_rule=ko_rule, max_moves=max_moves, history=history)
        if engine == "torch":
            from .torch_engine import TorchGoEngine  # torch only when asked for

            self.engine = TorchGoEngine(num_games, board_size, device=device, **kw)
        else:
            self.engine = GoEngine(num_games, board_size, **kw)
        self.engine_name = engine
        self.num_games = num_games
        self.board_size = board_size
        n, c = board_size, self.engine.num_planes
        self.observation_space = spaces.Box(0.0, 1.0, (c, n, n), np.float32)
        self.action_space = spaces.Discrete(n * n + 1)
        self.moves: list[list[int]] = [[] for _ in range(num_games)]
        self._obs = np.zeros((num_games, c, n, n), np.float32)

    def reset(self, seed: int | None = None) -> None:
        self.engine.reset()
        self.moves = [[] for _ in range(self.num_games)]

    def reset_games(self, index: np.ndarray) -> None:
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        self.engine.reset(index)
        for i in index:
            self.moves[int(i)] = []

    def to_play(self) -> np.ndarray:
        return (_host(self.engine.to_play) != BLACK).astype(np.int64)

    def observe(self) -> tuple[np.ndarray, np.ndarray]:
        if self.engine_name == "torch":
            return _host(self.engine.observations()), _host(self.engine.mask)
        return self.engine.observations(self._obs).copy(), self.engine.mask.copy()

    def step(self, actions: np.ndarray, active: np.ndarray) -> None:
        mask, done = self.engine.mask, self.engine.done
        if self.engine_name == "torch":  # read only here, so no copy: one transfer each
            mask, done = mask.cpu().numpy(), done.cpu().numpy()
        live = np.asarray(active, dtype=bool) & ~done
        a = np.where(live, np.asarray(actions, dtype=np.int64), -1)
        idx = np.flatnonzero(live)
        if idx.size and not mask[idx, a[idx]].all():
            bad = idx[~mask[idx, a[idx]]][0]
            raise ValueError(f"illegal action {a[bad]} in game {bad}")
        # -1 leaves a board untouched in both engines (not a legal action, so not played)
        if self.engine_name == "torch":
            self.engine.step(a, check=False)
        else:
            self.engine._step_unchecked(a)
        for i in idx:
            self.moves[int(i)].append(int(a[i]))

    def done(self) -> np.ndarray:
        return _host(self.engine.done)

    def outcome(self) -> np.ndarray:
        return _host(self.engine.outcome()).astype(np.float32)

    def final_targets(self, index: np.ndarray) -> dict[str, np.ndarray]:
        """For finished games ``index``, black's view: ``ownership`` [k, N*N] (+1 black, -1
        white, 0 neither, by area scoring of the final position) and ``score`` [k] (the margin,
        black - white - komi). A resigned game's final position is not a finished one, but
        its stones still say who holds what."""
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        if self.engine_name == "torch":
            own = _host(self.engine.ownership(index))
        else:
            own = np.stack([self.engine.ownership(int(i)) for i in index]) if index.size else \
                np.zeros((0, self.board_size ** 2), np.int8)
        return {"ownership": own.astype(np.float32), "score": _host(self.engine.score)[index].astype(np.float32)}

    def search_state(self, index: int) -> GoSearchState:
        """A copy of game ``index`` for play-time tree search (``agentctl.search``), always on a
        one-board numba engine (search steps one board at a time)."""
        if self.engine_name == "torch":
            return GoSearchState(self.engine.to_numpy([int(index)]))
        return GoSearchState.of(self.engine, int(index))

    def history(self, index: int) -> list[int]:
        """The actions played in game ``index`` since it started, oldest first (a new list)."""
        return list(self.moves[int(index)])

    # -- pickling (exact resume): a torch engine travels on the CPU, so a run saved on a GPU
    # machine loads anywhere; it goes back to its device when that device is there.
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        if self.engine_name == "torch":
            state["engine"] = self.engine.to("cpu")
            state["_device"] = str(self.engine.device)
        return state

    def __setstate__(self, state: dict) -> None:
        state.setdefault("engine_name", "numba")  # pickled before there was a choice
        device = state.pop("_device", None)
        self.__dict__.update(state)
        if device is not None and device != "cpu":
            import torch

            index = torch.device(device).index or 0
            if torch.cuda.is_available() and index < torch.cuda.device_count():
                self.engine = self.engine.to(device)
