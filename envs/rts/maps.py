"""Maps: a plain-text format, the shipped maps, and a loader with line/column errors.

A map file is a few header lines, then the grid, one text line per row, one character per cell::

    # anything after '#' at the start of a line is a comment
    size 8 8          # width height (required, first non-comment line)
    resources 25      # optional: amount in each resource pile (default 25)
    start 5           # optional: resources each player starts with (default 5)
    RW......
    .B......
    ...

Cells: ``.`` empty, ``#`` wall, ``R`` resource pile; units are letters, upper case for player 0
and lower case for player 1: ``B``/``b`` base, ``K``/``k`` barracks, ``W``/``w`` worker,
``L``/``l`` light, ``H``/``h`` heavy, ``A``/``a`` ranged (archer). Every player needs at least one
unit, otherwise the game would be over before it starts.

``load_map("8x8_basesworkers")`` loads a shipped map by name (the files in ``maps/``);
anything else is read as a path. A malformed map raises ``ValueError`` naming the line and column.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .units import BARRACKS, BASE, EMPTY, HEAVY, HIT_POINTS, LIGHT, RANGED, RESOURCE, WORKER

MAPS_DIR = Path(__file__).parent / "maps"
DEFAULT_PILE = 25
DEFAULT_START = 5
_UNIT_CHARS = {"b": BASE, "k": BARRACKS, "w": WORKER, "l": LIGHT, "h": HEAVY, "a": RANGED}


@dataclass(frozen=True)
class RtsMap:
    """One map's starting position; arrays are (height, width)."""

    name: str
    wall: np.ndarray  # bool
    kind: np.ndarray  # int8 unit type id, EMPTY where no unit
    owner: np.ndarray  # int8 player 0/1, -1 for none and for resources
    amount: np.ndarray  # int32 resources in a pile (0 elsewhere)
    start_resources: int

    @property
    def height(self) -> int:
        return self.wall.shape[0]

    @property
    def width(self) -> int:
        return self.wall.shape[1]

    def hit_points(self) -> np.ndarray:
        """Full hit points for every unit on the map (0 in empty cells)."""
        return np.where(self.kind >= 0, HIT_POINTS[np.maximum(self.kind, 0)], 0).astype(np.int32)


def shipped_maps() -> list[str]:
    return sorted(p.stem for p in MAPS_DIR.glob("*.txt"))


def load_map(path_or_name: str | Path) -> RtsMap:
    """A shipped map by name, or a map file by path."""
    path = MAPS_DIR / f"{path_or_name}.txt"
    if not path.is_file():
        path = Path(path_or_name)
    if not path.is_file():
        raise ValueError(f"map {str(path_or_name)!r} is neither a shipped map ({', '.join(shipped_maps())}) "
                         "nor a readable file")
    return parse_map(path.read_text(), name=path.stem, source=str(path))


def parse_map(text: str, name: str = "map", source: str = "<map>") -> RtsMap:
    """Parse the text format above; every complaint names ``source``, line and column."""
    def fail(line_no: int, col: int | None, why: str) -> ValueError:
        where = f"{source}:{line_no}" + (f":{col}" if col is not None else "")
        return ValueError(f"{where}: {why}")

    lines = [(i + 1, line.rstrip("\n").rstrip()) for i, line in enumerate(text.splitlines())]
    lines = [(i, line) for i, line in lines if line and not _is_comment(line)]
    if not lines or not lines[0][1].startswith("size"):
        raise fail(lines[0][0] if lines else 1, None, "the first line must be 'size WIDTH HEIGHT'")
    pile, start, width, height = DEFAULT_PILE, DEFAULT_START, 0, 0
    rows: list[tuple[int, str]] = []
    for line_no, line in lines:
        word = line.split()[0]
        if not rows and word in ("size", "resources", "start"):
            values = line.split("#")[0].split()[1:]
            expected = 2 if word == "size" else 1
            smallest = 0 if word == "start" else 1
            if len(values) != expected or not all(v.isdigit() and int(v) >= smallest for v in values):
                raise fail(line_no, None, f"'{word}' takes {expected} integer(s) >= {smallest}, got {line!r}")
            if word == "size":
                width, height = int(values[0]), int(values[1])
            elif word == "resources":
                pile = int(values[0])
            else:
                start = int(values[0])
        else:
            rows.append((line_no, line))
    if len(rows) != height:
        raise fail(rows[-1][0] if rows else lines[-1][0], None, f"the map has {len(rows)} rows, 'size' says {height}")

    wall = np.zeros((height, width), dtype=np.bool_)
    kind = np.full((height, width), EMPTY, dtype=np.int8)
    owner = np.full((height, width), -1, dtype=np.int8)
    amount = np.zeros((height, width), dtype=np.int32)
    for y, (line_no, row) in enumerate(rows):
        if len(row) != width:
            raise fail(line_no, min(len(row), width) + 1, f"row has {len(row)} cells, 'size' says {width}")
        for x, ch in enumerate(row):
            if ch == ".":
                continue
            if ch == "#":
                wall[y, x] = True
            elif ch == "R":
                kind[y, x], amount[y, x] = RESOURCE, pile
            elif ch.lower() in _UNIT_CHARS:
                kind[y, x], owner[y, x] = _UNIT_CHARS[ch.lower()], 0 if ch.isupper() else 1
            else:
                raise fail(line_no, x + 1, f"unknown cell {ch!r} (use . # R and B K W L H A, lower case for player 1)")
    for player in (0, 1):
        if not (owner == player).any():
            raise fail(rows[-1][0], None, f"player {player} has no units (upper case letters are player 0, "
                                          "lower case player 1)")
    return RtsMap(name, wall, kind, owner, amount, start)


def grid_text(kind: np.ndarray, owner: np.ndarray, wall: np.ndarray) -> str:
    """The grid rows of the map format for one position (e.g. ``state.kind[g]``): for reading."""
    letters = {v: k for k, v in _UNIT_CHARS.items()}
    rows = []
    for y in range(wall.shape[0]):
        row = ""
        for x in range(wall.shape[1]):
            k = kind[y, x]
            if wall[y, x]:
                row += "#"
            elif k == EMPTY:
                row += "."
            elif k == RESOURCE:
                row += "R"
            else:
                row += letters[k].upper() if owner[y, x] == 0 else letters[k]
        rows.append(row)
    return "\n".join(rows)


def _is_comment(line: str) -> bool:
    # '#' alone is also a wall cell: a comment is '#' followed by a space or nothing else on the line
    return line == "#" or line.startswith("# ")
