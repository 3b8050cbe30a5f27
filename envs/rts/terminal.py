"""Play or watch one RTS game in a terminal: the map letters, tick by tick, and typed orders.

``play_terminal(rts_map, (seat0, seat1))`` plays one game on the engine, one tick at a time.
A seat is a ``Chooser`` (a policy or a bot: observation and mask in, actions out, exactly what
``RtsGames`` gives a learner) or ``HUMAN``: a person typing orders. Choosers are asked at the
ticks ``RtsGames`` asks them (decision points: some idle unit can do more than no-op; with
``frame_skip``, not in the no-op ticks after orders); on other ticks everyone no-ops, which is
all anyone could do, so a policy or bot plays the very game it plays in training and eval.

Orders name a cell by column letter and row number (``a1`` is the top-left cell)::

    b2 move e            move, harvest, return: a direction (n e s w)
    c3 harvest n
    a1 produce worker s  produce: a unit type and the direction it appears in
    d4 attack f6         attack: the target's cell
    b2 wait              this unit no-ops

An empty line ends the turn (units without an order no-op; the turn also ends by itself once
every idle unit has one); after a turn with no orders at all the game runs on without asking
until the position changes. ``q`` quits. An order the rules do not allow gets one line saying
what the unit can do instead.
"""
from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .layout import (
    ACTION_NAMES,
    ATTACK,
    HARVEST,
    MASK_OFFSETS,
    MOVE,
    PRODUCE,
    REACH,
    RETURN,
    attack_index,
)
from .maps import RtsMap, grid_text
from .observation import observe
from .rules import action_masks, decision_points, step
from .state import new_games
from .units import EMPTY, RESOURCE, UNIT_NAMES

# (observation [1, 28, H, W] uint8, mask [1, H*W*78] bool) -> actions [1, H*W*7]
Chooser = Callable[[np.ndarray, np.ndarray], np.ndarray]
HUMAN = "human"
SEAT_NAMES = ("blue", "red")  # seat 0 is upper case on the grid, seat 1 lower case
DIRECTIONS = {"n": 0, "north": 0, "e": 1, "east": 1, "s": 2, "south": 2, "w": 3, "west": 3}
DIR_LETTERS = "nesw"
_ANSI = {"blue": "\x1b[1;34m", "red": "\x1b[1;31m", "green": "\x1b[32m", "grey": "\x1b[90m", "reset": "\x1b[0m"}
_HELP = ("orders: 'b2 move e', 'c3 harvest n', 'c3 return s', 'a1 produce worker s', 'd4 attack f6', 'b2 wait'; "
         "empty line ends the turn, q quits")


class Quit(Exception):
    """The person typed q (or closed the input)."""


@dataclass
class GameResult:
    ticks: int
    winner: int | None  # 0 or 1; None for a draw or a game left before its end
    quit: bool = False
    line: str = ""


def play_terminal(rts_map: RtsMap, seats: Sequence[Chooser | str], names: Sequence[str] = ("seat 0", "seat 1"),
                  max_ticks: int = 2000, speed: float = 0.0, output: Callable[[str], Any] = print,
                  input_fn: Callable[[str], str] = input, colour: bool = False, clear: bool = False,
                  frame_skip: int = 1) -> GameResult:
    """Play one game; ``seats[i]`` is a Chooser or ``HUMAN``. Returns how it ended.

    ``speed``: ticks per second (0: as fast as possible). A frame (header and grid) is drawn at
    the start, whenever the position changes, and before each human turn; ``clear`` redraws it in
    place (a terminal), ``colour`` colours the letters by player. ``frame_skip`` k > 1 follows each
    tick with orders by k - 1 no-op ticks, as ``RtsGames(frame_skip=k)`` does for a policy trained so.
    """
    state = new_games(rts_map, 1, max_ticks=max_ticks)
    h, w = rts_map.height, rts_map.width
    result = GameResult(ticks=0, winner=None)
    shown = None
    asked = None  # (frame, idle units) at the human's latest empty turn: not asked again until it changes

    def draw(force: bool = False) -> None:
        """Draw when the position changed (in place: also when only the tick did)."""
        nonlocal shown
        frame = _frame(state, names, colour)
        position = frame if clear else frame.split("\n", 1)[1]  # the first line is the tick
        if force or position != shown:
            output(("\x1b[H\x1b[2J" if clear else "") + frame)
            shown = position

    draw(force=True)
    wait = 0  # no-op ticks left after the latest orders (frame_skip)
    try:
        while not state.done[0]:
            actions = [np.zeros((1, h, w, 7), dtype=np.int64) for _ in range(2)]
            if wait > 0:
                wait -= 1
            elif decision_points(state)[0]:
                wait = frame_skip - 1
                for seat, who in enumerate(seats):
                    mask = action_masks(state, seat)  # (1, H, W, 78)
                    if who == HUMAN:
                        if not mask[0, :, :, 1:6].any():
                            continue  # nothing you can do but wait
                        draw()
                        situation = (shown, mask[0, :, :, 1:6].any(axis=-1).tobytes())
                        if situation == asked:
                            continue
                        actions[seat][0] = human_turn(state, seat, mask[0], input_fn, output)
                        asked = situation if not actions[seat].any() else None
                    else:
                        obs = np.ascontiguousarray(observe(state, seat).transpose(0, 3, 1, 2))
                        chosen = np.asarray(who(obs, mask.reshape(1, -1)), dtype=np.int64)
                        actions[seat] = chosen.reshape(1, h, w, 7)
            step(state, actions[0], actions[1])
            draw()
            if speed > 0:
                time.sleep(1.0 / speed)
    except Quit:
        result.quit = True
    result.ticks = int(state.tick[0])
    if result.quit:
        result.line = f"game left at tick {result.ticks} (quit)"
    elif state.winner[0] >= 0:
        result.winner = int(state.winner[0])
        seat = result.winner
        result.line = f"game over at tick {result.ticks}: {SEAT_NAMES[seat]} ({names[seat]}) wins"
    else:
        capped = result.ticks >= max_ticks
        result.line = f"game over at tick {result.ticks}: draw" + (f" (the {max_ticks}-tick cap)" if capped else "")
    output(result.line)
    return result


def _frame(state: Any, names: Sequence[str], colour: bool) -> str:
    """The header (tick, each player's resources and units) and the grid with coordinates."""
    kind, owner = state.kind[0], state.owner[0]
    lines = [f"tick {int(state.tick[0])}"]
    for seat in (0, 1):
        units = [UNIT_NAMES[k] for k in kind[(owner == seat) & (kind > RESOURCE)]]
        counts = ", ".join(f"{units.count(n)} {n}" for n in UNIT_NAMES if n in units) or "no units"
        case = "upper case" if seat == 0 else "lower case"
        lines.append(f"  {SEAT_NAMES[seat]} ({case}, {names[seat]}): {int(state.resources[0, seat])} resources; "
                     f"{counts}")
    w = kind.shape[1]
    lines.append("   " + "".join(_column(x) for x in range(w)))
    for y, row in enumerate(grid_text(kind, owner, state.wall).splitlines()):
        cells = "".join(_paint(ch, colour) for ch in row)
        lines.append(f"{y + 1:>2} {cells}")
    return "\n".join(lines)


def _column(x: int) -> str:
    return chr(ord("a") + x)


def _paint(ch: str, colour: bool) -> str:
    if not colour or ch == ".":
        return ch
    tone = "grey" if ch == "#" else "green" if ch == "R" else "blue" if ch.isupper() else "red"
    return f"{_ANSI[tone]}{ch}{_ANSI['reset']}"


def cell_name(y: int, x: int) -> str:
    return f"{_column(x)}{y + 1}"


def parse_cell(text: str, h: int, w: int) -> tuple[int, int] | None:
    """(y, x) of a cell like ``b2`` (column letter, row number from 1), None if off the map or malformed."""
    m = re.fullmatch(r"([a-z])(\d{1,3})", text)
    if not m:
        return None
    x, y = ord(m.group(1)) - ord("a"), int(m.group(2)) - 1
    return (y, x) if 0 <= y < h and 0 <= x < w else None


def options(cell_mask: np.ndarray, y: int, x: int) -> list[str]:
    """What a unit may do, in the order syntax (``move n/e``, ``produce worker s``, ``attack c3``)."""
    def values(component: int, size: int) -> list[int]:
        start = MASK_OFFSETS[component]
        return [v for v in range(size) if cell_mask[start + v]]

    out = []
    for kind in (MOVE, HARVEST, RETURN):
        if cell_mask[kind]:
            out.append(f"{ACTION_NAMES[kind]} " + "/".join(DIR_LETTERS[d] for d in values(kind, 4)))
    if cell_mask[PRODUCE]:
        types = "/".join(UNIT_NAMES[t] for t in values(5, len(UNIT_NAMES)))
        out.append(f"produce {types} " + "/".join(DIR_LETTERS[d] for d in values(PRODUCE, 4)))
    if cell_mask[ATTACK]:
        side = 2 * REACH + 1
        targets = [cell_name(y + v // side - REACH, x + v % side - REACH) for v in values(6, side * side)]
        out.append("attack " + "/".join(targets))
    return out


def parse_order(line: str, mask: np.ndarray) -> tuple[int, int, np.ndarray]:
    """(y, x, 7-int action) for one typed order, legal for ``mask`` (H, W, 78); ValueError says why not."""
    h, w = mask.shape[:2]
    words = line.lower().split()
    where = parse_cell(words[0], h, w) if words else None
    if where is None or len(words) < 2:
        raise ValueError(f"cannot read {line.strip()!r}; {_HELP}")
    y, x = where
    cell, name = mask[y, x], words[0]
    ready = cell[1:6].any()
    if not ready:
        raise ValueError(f"{name}: no idle unit of yours that can act there (yours: {', '.join(_ready_cells(mask))})")
    verb, rest = words[1], words[2:]
    action = np.zeros(7, dtype=np.int64)
    can = f"{name} can: {'; '.join(options(cell, y, x))}"
    if verb in ("wait", "noop", "idle"):
        return y, x, action
    verbs = {ACTION_NAMES[k]: k for k in (MOVE, HARVEST, RETURN, PRODUCE, ATTACK)}
    if verb not in verbs:
        raise ValueError(f"unknown order {verb!r} (move, harvest, return, produce, attack, wait); {can}")
    kind = verbs[verb]
    action[0] = kind
    if kind in (MOVE, HARVEST, RETURN, PRODUCE):
        unit = None
        if kind == PRODUCE:
            if len(rest) != 2 or rest[0] not in UNIT_NAMES[1:]:
                raise ValueError(f"produce takes a unit type and a direction, e.g. '{name} produce worker s'; {can}")
            unit, rest = UNIT_NAMES.index(rest[0]), rest[1:]
        if len(rest) != 1 or rest[0] not in DIRECTIONS:
            raise ValueError(f"{verb} takes one direction (n, e, s or w), e.g. '{name} {verb} e'; {can}")
        d = DIRECTIONS[rest[0]]
        action[kind] = d
        legal = cell[kind] and cell[MASK_OFFSETS[kind] + d]
        if unit is not None:
            action[5] = unit
            legal = legal and cell[MASK_OFFSETS[5] + unit]
        if not legal:
            raise ValueError(f"illegal: {name} cannot {' '.join(words[1:])} now; {can}")
        return y, x, action
    # attack
    target = parse_cell(rest[0], h, w) if len(rest) == 1 else None
    if target is None:
        raise ValueError(f"attack takes the target's cell, e.g. '{name} attack {cell_name(y, x)}'; {can}")
    dy, dx = target[0] - y, target[1] - x
    if not (abs(dy) <= REACH and abs(dx) <= REACH and cell[ATTACK] and cell[MASK_OFFSETS[6] + attack_index(dy, dx)]):
        raise ValueError(f"illegal: {name} cannot attack {rest[0]} now; {can}")
    action[6] = attack_index(dy, dx)
    return y, x, action


def _ready_cells(mask: np.ndarray) -> list[str]:
    ys, xs = np.nonzero(mask[:, :, 1:6].any(axis=-1))
    return [cell_name(int(y), int(x)) for y, x in zip(ys, xs)] or ["none"]


def human_turn(state: Any, seat: int, mask: np.ndarray, input_fn: Callable[[str], str],
               output: Callable[[str], Any]) -> np.ndarray:
    """Read orders for ``seat``'s idle units until an empty line (or all have one): (H, W, 7) actions."""
    h, w = mask.shape[:2]
    actions = np.zeros((h, w, 7), dtype=np.int64)
    ready = {(int(y), int(x)) for y, x in zip(*np.nonzero(mask[:, :, 1:6].any(axis=-1)))}
    ordered: set[tuple[int, int]] = set()
    output(f"your turn ({SEAT_NAMES[seat]}); idle units:")
    for y, x in sorted(ready):
        unit = UNIT_NAMES[int(state.kind[0, y, x])] if state.kind[0, y, x] != EMPTY else "?"
        output(f"  {cell_name(y, x)} {unit}: {'; '.join(options(mask[y, x], y, x))}")
    while ordered != ready:
        try:
            line = input_fn(f"{SEAT_NAMES[seat]}> ")
        except EOFError:
            raise Quit from None
        if line.strip().lower() in ("q", "quit", "exit"):
            raise Quit
        if not line.strip():
            break
        if line.strip().lower() in ("?", "help", "h"):
            output(_HELP)
            continue
        try:
            y, x, action = parse_order(line, mask)
        except ValueError as exc:
            output(str(exc))
            continue
        actions[y, x] = action
        ordered.add((y, x))
    return actions


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
