"""GridNet observations: per-cell one-hot feature planes, from one player's point of view.

gym-microrts's 27 planes, plus one for walls (microRTS maps have walls too; gym-microrts shows them
in later versions as terrain planes). Each group is one-hot, so every cell has exactly one 1 per group:

    planes   group             values
    0-4      hit points        0, 1, 2, 3, >= 4
    5-9      resources         0, 1, 2, 3, >= 4 (carried by a worker, or left in a pile)
    10-12    owner             none (also resource piles), own, enemy
    13-20    unit type         none, resource, base, barracks, worker, light, heavy, ranged
    21-26    current action    none, move, harvest, return, produce, attack (the one in progress)
    27       wall              1 on a wall cell

"Own" is the viewing player, so one policy can play either seat. The layout is (N, H, W, C),
channels last as in gym-microrts; a CNN wants ``.transpose(0, 3, 1, 2)``.
"""
from __future__ import annotations

import numpy as np

from .state import RtsState
from .units import N_UNIT_TYPES

PLANE_NAMES = (
    [f"hp_{v}" for v in ("0", "1", "2", "3", "4+")]
    + [f"resources_{v}" for v in ("0", "1", "2", "3", "4+")]
    + ["owner_none", "owner_own", "owner_enemy"]
    + ["type_none", "type_resource", "type_base", "type_barracks", "type_worker", "type_light", "type_heavy",
       "type_ranged"]
    + ["action_none", "action_move", "action_harvest", "action_return", "action_produce", "action_attack"]
    + ["wall"]
)
N_PLANES = len(PLANE_NAMES)  # 28
HP, RESOURCES, OWNER, TYPE, ACTION, WALL = 0, 5, 10, 13, 21, 27  # first plane of each group


def observe(state: RtsState, player: int, dtype: type = np.uint8) -> np.ndarray:
    """(N, H, W, 28) one-hot planes of every game, as ``player`` sees it (plane order above)."""
    if player not in (0, 1):
        raise ValueError(f"player must be 0 or 1, got {player!r}")
    out = np.zeros(state.kind.shape + (N_PLANES,), dtype=dtype)
    # owner value: 0 none, 1 the viewer, 2 the other player (resource piles have owner -1: none)
    owner = np.where(state.owner == player, 1, np.where(state.owner == 1 - player, 2, 0))
    groups = (
        (HP, 5, np.minimum(state.hp, 4)),
        (RESOURCES, 5, np.minimum(state.amount, 4)),
        (OWNER, 3, owner),
        (TYPE, N_UNIT_TYPES + 1, state.kind.astype(np.int64) + 1),  # EMPTY (-1) becomes 0: "none"
        (ACTION, 6, state.act),  # IDLE is 0, the action type ids 1..5 follow layout.py
    )
    for first, size, value in groups:
        out[..., first:first + size] = value[..., None] == np.arange(size)
    out[..., WALL] = state.wall
    return out
