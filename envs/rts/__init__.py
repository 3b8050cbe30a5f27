"""RTS: a microRTS-style real-time strategy game, N games stepped at once with numba kernels.

``load_map`` reads a map, ``new_games`` starts N games on it, ``action_masks`` says what each cell
may do, ``step`` plays one tick for both players at once. ``RtsGames`` wraps them as a batch of
simultaneous-move games for training (``games.py``). The rules are in ``rules.py``'s
docstring, the action layout in ``layout.py``'s, the unit table in ``units.py``.
"""
from .games import DEFAULT_REWARD_WEIGHTS, RtsGames
from .layout import (
    ACTION_NAMES,
    ACTION_NVEC,
    ATTACK,
    HARVEST,
    MASK_OFFSETS,
    MASK_SIZE,
    MOVE,
    NOOP,
    PRODUCE,
    RETURN,
    attack_index,
)
from .maps import RtsMap, grid_text, load_map, parse_map, shipped_maps
from .observation import N_PLANES, PLANE_NAMES, observe
from .parallel import RtsParallelEnv, parallel_env
from .rules import action_masks, decision_points, step
from .sampling import sample_actions
from .state import RtsState, new_games, reset_games
from .units import BARRACKS, BASE, EMPTY, HEAVY, LIGHT, RANGED, RESOURCE, UNIT_NAMES, WORKER

__all__ = [
    "ACTION_NAMES", "ACTION_NVEC", "ATTACK", "BARRACKS", "BASE", "DEFAULT_REWARD_WEIGHTS", "EMPTY", "HARVEST",
    "HEAVY", "LIGHT", "MASK_OFFSETS", "MASK_SIZE", "MOVE", "NOOP", "N_PLANES", "PLANE_NAMES", "PRODUCE", "RANGED",
    "RESOURCE", "RETURN", "UNIT_NAMES", "WORKER", "RtsGames", "RtsMap", "RtsParallelEnv", "RtsState",
    "action_masks", "attack_index", "decision_points", "grid_text", "load_map", "new_games", "observe",
    "parallel_env", "parse_map", "reset_games", "sample_actions", "shipped_maps", "step",
]
