"""The per-cell action vector and its mask: the layout, shared by the rules and by policies.

Every cell of the grid gets an action (GridNet, as in gym-microrts); only cells holding an idle
unit of the acting player can do anything but no-op. The action of one cell is 7 integers, the
layout of gym-microrts's GridNet action space:

    index  meaning               values
    0      action type           0 noop, 1 move, 2 harvest, 3 return, 4 produce, 5 attack
    1      move direction        0 north, 1 east, 2 south, 3 west
    2      harvest direction     (same four directions)
    3      return direction      (same)
    4      produce direction     (same)
    5      produce unit type     0 resource, 1 base, 2 barracks, 3 worker, 4 light, 5 heavy, 6 ranged
    6      attack target         (dy + 3) * 7 + (dx + 3): the target's offset in a 7x7 window centred
                                 on the unit, row-major (24 is the unit itself)

Only the parameters that the type uses matter (produce uses two); the rules ignore the others.
The mask of a cell concatenates one boolean per value of each component, 6 + 4 + 4 + 4 + 4 + 7 +
49 = 78, in that order (gym-microrts's layout too). No-op is legal in every cell, so every row has
a legal type, and a legal type always has a legal value of each parameter it uses; a component the
legal types do not use may be all False (a policy must not normalise over it blindly). What is
legal is in ``rules.py``.
"""
from __future__ import annotations

import numpy as np

from .units import N_UNIT_TYPES

NOOP, MOVE, HARVEST, RETURN, PRODUCE, ATTACK = range(6)
ACTION_NAMES = ("noop", "move", "harvest", "return", "produce", "attack")
ACTION_NVEC = np.array([6, 4, 4, 4, 4, N_UNIT_TYPES, 49], dtype=np.int64)
MASK_OFFSETS = np.concatenate([[0], np.cumsum(ACTION_NVEC)[:-1]]).astype(np.int64)  # 0 6 10 14 18 22 29
MASK_SIZE = int(ACTION_NVEC.sum())  # 78
DIR_DY = np.array([-1, 0, 1, 0], dtype=np.int64)  # north east south west
DIR_DX = np.array([0, 1, 0, -1], dtype=np.int64)
REACH = 3  # the attack window spans -3..3 cells each way


def attack_index(dy: int, dx: int) -> int:
    """The attack-target value for an enemy ``dy`` rows down and ``dx`` columns right."""
    return (dy + REACH) * (2 * REACH + 1) + (dx + REACH)
