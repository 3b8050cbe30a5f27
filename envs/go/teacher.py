"""Demonstrations from a real player: GnuGo plays itself, we keep the moves and the result.

A warm start for Go learns from a teacher's games before self-play takes over. GnuGo games
on 9x9 cost about 0.6 s at level 1 and 4 s at level 10 on one core, so a few cores give
thousands of games an hour. Each worker thread drives its own GnuGo process over GTP (the
threads only wait on pipes; the GnuGo processes do the work, one per core).

A game opens with a few random plies near the centre (``opening`` at most, drawn per game), so
the games differ even where GnuGo would repeat itself; GnuGo then plays both colours until two
passes. Only GnuGo's own moves are policy targets (``teacher`` marks them); every position
gets the game's result and final ownership. Games are appended to a JSON-lines file as they
finish, so an interrupted run keeps what it played and a rerun continues the count.

:func:`replay` turns records into training arrays by replaying every move through our own
engine (which also proves each move legal under our rules): observations as the player to
move sees them, legal masks, the move, and from the mover's view the result (+1/-1/0), the
final ownership of every point and the final score margin, both by area scoring of the final
position (GnuGo runs with ``--capture-all-dead``, so dead stones are off the board by then).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .engine import BLACK, GoEngine, action_to_gtp, gtp_to_action
from .gtp_client import GTPClient, parse_score, start_gnugo


def _opening_moves(engine: GoEngine, rng: np.random.Generator, count: int) -> list[int]:
    """``count`` random legal plies at least two lines in from the edge (or anywhere legal on
    boards too small for that), played on ``engine`` board 0."""
    n = engine.board_size
    rows, cols = np.divmod(np.arange(n * n), n)
    inner = (rows >= 2) & (rows < n - 2) & (cols >= 2) & (cols < n - 2)
    moves = []
    for _ in range(count):
        legal = engine.mask[0, : n * n] & (inner if inner.any() else True)
        if not legal.any():
            break
        a = int(rng.choice(np.flatnonzero(legal)))
        engine.step(np.array([a]))
        moves.append(a)
    return moves


def play_game(client: GTPClient, board_size: int, komi: float, rng: np.random.Generator,
              opening: int = 4) -> dict[str, Any]:
    """One GnuGo self-play game on ``client`` -> a record (see the module docstring)."""
    engine = GoEngine(1, board_size, komi=komi)
    client.clear_board()
    moves = _opening_moves(engine, rng, int(rng.integers(0, opening + 1)))
    for j, a in enumerate(moves):
        client.play("B" if j % 2 == 0 else "W", action_to_gtp(a, board_size))
    teacher = [False] * len(moves)
    resigned = None
    while not engine.done[0]:
        colour = "B" if engine.to_play[0] == BLACK else "W"
        vertex = client.genmove(colour).strip().lower()
        if vertex == "resign":
            resigned = colour
            break
        a = board_size * board_size if vertex == "pass" else gtp_to_action(vertex, board_size)
        engine.step(np.array([a]))  # raises if GnuGo's move is illegal under our rules
        moves.append(a)
        teacher.append(True)
    gnugo_score = None if resigned else parse_score(client.final_score())
    return {"moves": moves, "teacher": teacher, "resigned": resigned, "gnugo_score": gnugo_score,
            "score": None if resigned else float(engine.score[0]), "board_size": board_size, "komi": komi}


def generate(out: str | Path, games: int, *, level: int = 1, board_size: int = 9, komi: float = 7.5,
             workers: int = 2, seed: int = 0, opening: int = 4,
             progress: Callable[[int, int], None] | None = None) -> int:
    """Append GnuGo self-play games to ``out`` (JSON lines) until it holds ``games``; returns
    how many it holds. Games already in the file count (a rerun continues)."""
    out = Path(out)
    done = count_games(out)
    if done >= games:
        return done
    lock = threading.Lock()
    state = {"done": done}

    def worker(w: int) -> None:
        client = start_gnugo(level, board_size, komi, timeout=120.0)
        try:
            while True:
                with lock:
                    if state["done"] >= games:
                        return
                    g = state["done"]  # the game number fixes its opening draws
                    state["done"] += 1
                rng = np.random.default_rng([seed, g])
                record = play_game(client, board_size, komi, rng, opening)
                record["level"] = level
                with lock:
                    with out.open("a") as f:
                        f.write(json.dumps(record) + "\n")
                    if progress is not None:
                        progress(count_games(out), games)
        finally:
            client.close()

    with ThreadPoolExecutor(workers) as pool:
        for f in [pool.submit(worker, w) for w in range(workers)]:
            f.result()
    return count_games(out)


def count_games(path: Path) -> int:
    """Complete records in ``path`` (a torn last line from a killed run does not count)."""
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text().splitlines() if line.endswith("}"))


def read_games(path: str | Path) -> list[dict[str, Any]]:
    records = []
    for line in Path(path).read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:  # a torn last line
            continue
    return records


def replay(records: Iterable[dict[str, Any]], history: int = 4) -> dict[str, np.ndarray]:
    """Training arrays from game records (every position of every game, in order):

    ``obs`` uint8 [P, 2*history+1, N, N] as the mover sees it; ``mask`` bool [P, N*N+1];
    ``action`` int64 [P]; ``teacher`` bool [P] (the move is the teacher's: a policy target);
    ``value`` float32 [P] the result for the mover (+1 win, -1 loss, 0 draw); ``ownership``
    int8 [P, N*N] final owner of each point, +1 the mover; ``score`` float32 [P] final area
    margin for the mover (komi included); ``has_final`` bool [P] (False for resigned games:
    their result is known, their final position is not). Raises ValueError on a move our
    engine finds illegal, naming the game and move.
    """
    cols: dict[str, list] = {k: [] for k in ("obs", "mask", "action", "teacher", "value", "ownership",
                                             "score", "has_final")}
    for g, rec in enumerate(records):
        n, komi = int(rec["board_size"]), float(rec["komi"])
        engine = GoEngine(1, n, komi=komi, history=history)
        obs, masks, movers = [], [], []
        for j, a in enumerate(rec["moves"]):
            if engine.done[0] or not engine.mask[0, a]:
                raise ValueError(f"game {g}: move {j + 1} ({action_to_gtp(a, n)}) is illegal in our engine")
            obs.append(engine.observations()[0].astype(np.uint8))
            masks.append(engine.mask[0].copy())
            movers.append(1 if engine.to_play[0] == BLACK else -1)
            engine.step(np.array([a]))
        if rec.get("resigned"):
            black_result = 1.0 if rec["resigned"] == "W" else -1.0
            own = np.zeros(n * n, np.int8)
            margin, final = 0.0, False
        else:
            if not engine.done[0]:
                raise ValueError(f"game {g}: the moves end before the game does")
            margin = float(engine.score[0])
            black_result = float(np.sign(margin))
            own, final = engine.ownership(0), True
        sign = np.asarray(movers, np.float32)
        cols["obs"].append(np.stack(obs))
        cols["mask"].append(np.stack(masks))
        cols["action"].append(np.asarray(rec["moves"], np.int64))
        cols["teacher"].append(np.asarray(rec["teacher"], bool))
        cols["value"].append(sign * black_result)
        cols["ownership"].append((sign[:, None] * own[None, :]).astype(np.int8))
        cols["score"].append(sign * margin)
        cols["has_final"].append(np.full(len(sign), final))
    if not cols["obs"]:
        raise ValueError("no games to replay")
    return {k: np.concatenate(v) for k, v in cols.items()}
