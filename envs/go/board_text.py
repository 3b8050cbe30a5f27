"""Text drawing of a Go board and a terminal loop for a human against an agent."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .engine import BLACK, COLUMNS, WHITE, GoEngine, action_to_gtp, gtp_to_action

_STONE = {0: ".", BLACK: "X", WHITE: "O"}
_COLOR_NAME = {BLACK: "black", WHITE: "white"}


def _star_points(n: int) -> set[tuple[int, int]]:
    if n < 7:
        return set()
    e = 2 if n < 13 else 3
    pts = [e, n // 2, n - 1 - e] if n % 2 and n >= 9 else [e, n - 1 - e]
    return {(r, c) for r in pts for c in pts}


def render_board(engine: GoEngine, b: int = 0) -> str:
    """The board as GTP draws it (row N at the top, columns A-T without I), the last
    move in parentheses, then captures and the current area score."""
    n = engine.board_size
    stones = engine.stones[b].reshape(n, n)
    last = int(engine.last_move[b])
    stars = _star_points(n)
    header = "    " + " ".join(COLUMNS[:n])
    lines = [header]
    for r in range(n):
        row = []
        for c in range(n):
            s = int(stones[r, c])
            ch = _STONE[s] if (s or (r, c) not in stars) else "+"
            row.append(ch)
        text = f"{n - r:>2} "
        for c, ch in enumerate(row):
            p = r * n + c
            text += "(" if p == last else (")" if c > 0 and p - 1 == last else " ")
            text += ch
        text += ")" if last == r * n + n - 1 else " "
        lines.append(text + f" {n - r}")
    lines.append(header)
    cap = engine.captures[b]
    lines.append(f"captures: black {int(cap[0])}, white {int(cap[1])}   "
                 f"area score (komi {engine.komi:g}): {format_score(engine.scores()[b])}")
    if last >= 0:
        mover = 3 - int(engine.to_play[b])
        lines.append(f"last move: {_COLOR_NAME[mover]} {action_to_gtp(last, n)}")
    return "\n".join(lines)


def format_score(score: float) -> str:
    """GTP-style result: "B+3.5", "W+0.5", "0"."""
    if score == 0:
        return "0"
    return f"B+{score:g}" if score > 0 else f"W+{-score:g}"


def random_choose_move(engine: GoEngine, rng: np.random.Generator | None = None) -> int:
    """Uniformly random legal move (pass included) on board 0: the agent of ``play`` and the
    GTP server when no checkpoint is given."""
    rng = rng or np.random.default_rng()
    return int(rng.choice(np.flatnonzero(engine.mask[0])))


def play_terminal(choose_move: Callable[[GoEngine], int] | None = None, board_size: int = 9,
                  human_color: str = "black", input_fn: Callable[[str], str] = input,
                  print_fn: Callable[[str], None] = print, komi: float = 7.5,
                  ko_rule: str = "superko") -> GoEngine:
    """A human plays ``choose_move`` (``choose_move(engine) -> action`` on board 0 of a
    one-board :class:`GoEngine`; -1 resigns; default uniform random) in the terminal.
    The human types a vertex (``D4``), ``pass``, ``resign``, ``undo`` or ``quit``; bad
    input re-prompts with the reason.  Returns the final engine."""
    if human_color not in ("black", "white"):
        raise ValueError("human_color must be 'black' or 'white'")
    choose_move = choose_move or random_choose_move
    human = BLACK if human_color == "black" else WHITE
    eng = GoEngine(1, board_size, komi=komi, ko_rule=ko_rule)
    undo_stack: list[GoEngine] = []
    n = board_size
    print_fn(f"You play {human_color} ({_STONE[human]}). Moves like D4, 'pass', 'resign', "
             "'undo', 'quit'.")
    while not eng.done[0]:
        if int(eng.to_play[0]) == human:
            print_fn(render_board(eng))
            try:
                text = input_fn(f"{human_color} to play> ").strip()
            except EOFError:
                text = "quit"
            low = text.lower()
            if low in ("quit", "exit", "q"):
                print_fn("Game abandoned.")
                return eng
            if low == "resign":
                eng.resign([0])
                break
            if low == "undo":
                if undo_stack:
                    eng = undo_stack.pop()
                else:
                    print_fn("Nothing to undo.")
                continue
            try:
                a = gtp_to_action(text, n)
            except ValueError:
                print_fn(f"'{text}' is not a move: type a vertex from A1 to "
                         f"{COLUMNS[n - 1]}{n} (no I), 'pass' or 'resign'.")
                continue
            if not eng.mask[0, a]:
                reason = "occupied" if eng.stones[0, a] else "suicide or ko"
                print_fn(f"{action_to_gtp(a, n)} is illegal ({reason}); try again.")
                continue
            undo_stack.append(eng.clone())
            eng.play(0, a)
        else:
            a = int(choose_move(eng))
            if a < 0:
                print_fn("The agent resigns.")
                eng.resign([0])
                break
            if not (0 <= a <= n * n) or not eng.mask[0, a]:
                raise RuntimeError(f"agent chose an illegal move {a}")
            eng.play(0, a)
            print_fn(f"agent plays {action_to_gtp(a, n)}")
    print_fn(render_board(eng))
    w = int(eng.winner[0])
    if eng.resigned[0]:
        print_fn(f"{_COLOR_NAME[w]} wins by resignation.")
    else:
        print_fn(f"Game over: {format_score(float(eng.score[0]))}"
                 + ("" if w == 0 else f" ({'you win' if w == human else 'agent wins'})"))
    return eng
