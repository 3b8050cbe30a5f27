"""Pictures of a position: ``render_frame`` draws one game as an RGB image, with numpy only.

Each cell is ``cell_px`` square. Walls are grey, resource piles green, units take their player's
colour (blue for player 0, red for player 1, the same on every map) in a shape that says what
they are: buildings are squares (a barracks hollow), mobile units discs whose size grows from
worker to heavy, ranged units diamonds. A bar along the bottom of a unit's cell shows its hit
points (of its type's full hit points), the bar along the bottom of a pile what it has left.
Replays (``agentctl eval --record``) and the terminal player's snapshots use it.
"""
from __future__ import annotations

import numpy as np

from .state import RtsState
from .units import BARRACKS, BASE, EMPTY, HEAVY, HIT_POINTS, LIGHT, RANGED, RESOURCE, WORKER

BACKGROUND = (32, 32, 32)
GRID = (56, 56, 56)
WALL = (120, 120, 120)
RESOURCE_COLOUR = (46, 160, 67)
PLAYER_COLOURS = ((60, 120, 235), (225, 60, 50))  # player 0, player 1
HP_FULL = (80, 220, 80)
HP_LOST = (110, 30, 30)
# disc radius per mobile unit type, as a fraction of the cell
_RADIUS = {WORKER: 0.25, LIGHT: 0.33, HEAVY: 0.42}


def render_frame(state: RtsState, game_index: int, cell_px: int = 24) -> np.ndarray:
    """Game ``game_index`` of ``state`` as a uint8 image ``(H * cell_px, W * cell_px, 3)``."""
    if cell_px < 8:
        raise ValueError(f"cell_px must be at least 8 (room for a shape and a bar), got {cell_px}")
    kind, owner = state.kind[game_index], state.owner[game_index]
    hp, amount = state.hp[game_index], state.amount[game_index]
    h, w = kind.shape
    image = np.empty((h * cell_px, w * cell_px, 3), dtype=np.uint8)
    image[:] = BACKGROUND
    shapes = _shapes(cell_px)
    pile = max(int(state.map.amount.max()), 1)
    for y in range(h):
        for x in range(w):
            cell = image[y * cell_px:(y + 1) * cell_px, x * cell_px:(x + 1) * cell_px]
            cell[0, :] = GRID
            cell[:, 0] = GRID
            k = int(kind[y, x])
            if state.wall[y, x]:
                cell[1:, 1:] = WALL
            elif k == RESOURCE:
                cell[shapes["square"]] = RESOURCE_COLOUR
                _bar(cell, amount[y, x] / pile)
            elif k != EMPTY:
                cell[shapes[k]] = PLAYER_COLOURS[int(owner[y, x])]
                _bar(cell, hp[y, x] / HIT_POINTS[k])
    return image


def _shapes(px: int) -> dict:
    """Boolean masks (px, px) of each shape, keyed by unit type (and "square" for piles)."""
    yy, xx = np.mgrid[0:px, 0:px] + 0.5
    cy = cx = (px - 4) / 2 + 1  # the centre of the cell above its bar
    inset = max(2, px // 8)
    square = np.zeros((px, px), dtype=bool)
    square[inset:px - inset - 3, inset:px - inset] = True
    hollow = square.copy()
    hollow[inset + 3:px - inset - 6, inset + 3:px - inset - 3] = False
    shapes = {"square": square, BASE: square, BARRACKS: hollow,
              RANGED: np.abs(yy - cy) + np.abs(xx - cx) <= 0.38 * px}
    for k, r in _RADIUS.items():
        shapes[k] = (yy - cy) ** 2 + (xx - cx) ** 2 <= (r * px) ** 2
    return shapes


def _bar(cell: np.ndarray, fraction: float) -> None:
    """A 2-pixel bar along the bottom of the cell, filled to ``fraction`` (clipped to 0..1)."""
    px = cell.shape[0]
    length = px - 4
    filled = round(min(max(float(fraction), 0.0), 1.0) * length)
    cell[px - 3:px - 1, 2:2 + length] = HP_LOST
    cell[px - 3:px - 1, 2:2 + filled] = HP_FULL
