"""The unit table: what each unit type costs, how tough it is and how long its actions take.

The numbers are microRTS's unit table ``UnitTypeTable.VERSION_ORIGINAL_FINETUNED`` (what
``new UnitTypeTable(2)`` builds, the table microRTS competition entries play), durations unscaled:
one engine tick is one microRTS game cycle. microRTS's no-argument default, ``VERSION_ORIGINAL``,
differs only in a base taking 250 ticks to build, a barracks 200, and a cheaper, weaker, slower
heavy (cost 2, hit points 4, move 12). Its default move-conflict rule, "cancel both", is ours too
(``rules.py``). microRTS damage is deterministic in both tables, as here. Type ids follow
gym-microrts's "produce unit type" parameter, so the same number names a type everywhere.

Everything is a plain numpy array indexed by type id, so the numba kernels can read it directly.
"""
from __future__ import annotations

import numpy as np

EMPTY = -1  # no unit in the cell
RESOURCE, BASE, BARRACKS, WORKER, LIGHT, HEAVY, RANGED = range(7)
UNIT_NAMES = ("resource", "base", "barracks", "worker", "light", "heavy", "ranged")
N_UNIT_TYPES = len(UNIT_NAMES)

HARVEST_TIME = 20  # workers only
RETURN_TIME = 10
HARVEST_AMOUNT = 1  # resources a worker carries per trip

# The kernels receive STATS (and CAN_PRODUCE) as arguments rather than reading them as globals:
# numba would freeze a global into its on-disk cache of the kernel, and an edit here would not
# reach it. The names below are rows of STATS, so the kernels read e.g. stats[MOVE, kind].
STAT_COST, STAT_HP, STAT_DAMAGE, STAT_RANGE, STAT_PRODUCE, STAT_MOVE, STAT_ATTACK = range(7)
STAT_HARVEST, STAT_RETURN, STAT_HARVEST_AMOUNT = range(7, 10)
STATS = np.array([
    # resource base barracks worker light heavy ranged
    [0, 10, 5, 1, 2, 3, 2],  # cost
    [1, 10, 4, 1, 4, 8, 1],  # hit points
    [0, 0, 0, 1, 2, 4, 1],  # damage
    [0, 0, 0, 1, 1, 1, 3],  # attack range: Euclidean, in cells
    [0, 200, 100, 50, 80, 120, 100],  # ticks to produce this type
    [0, 0, 0, 10, 8, 10, 10],  # ticks per move (0: cannot move)
    [0, 0, 0, 5, 5, 5, 5],  # ticks per attack (0: cannot attack)
    [0, 0, 0, HARVEST_TIME, 0, 0, 0],
    [0, 0, 0, RETURN_TIME, 0, 0, 0],
    [0, 0, 0, HARVEST_AMOUNT, 0, 0, 0],
], dtype=np.int32)
COST, HIT_POINTS, DAMAGE, ATTACK_RANGE, PRODUCE_TIME, MOVE_TIME, ATTACK_TIME = STATS[:7]

# CAN_PRODUCE[producer, product]: bases train workers, barracks train the army, workers build.
CAN_PRODUCE = np.zeros((N_UNIT_TYPES, N_UNIT_TYPES), dtype=np.bool_)
CAN_PRODUCE[BASE, WORKER] = True
CAN_PRODUCE[BARRACKS, [LIGHT, HEAVY, RANGED]] = True
CAN_PRODUCE[WORKER, [BASE, BARRACKS]] = True
