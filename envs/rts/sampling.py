"""Random legal actions: what the benchmark, the tests and a ``random`` opponent play."""
from __future__ import annotations

import numpy as np
from numba import njit

from .layout import ACTION_NVEC, MASK_OFFSETS


@njit(cache=True)
def _pick(row, offset, size, u) -> int:
    """The k-th legal value of one component, k drawn from the uniform ``u`` in [0, 1); 0 if none."""
    count = 0
    for i in range(size):
        count += row[offset + i]
    if count == 0:
        return 0
    k = min(int(u * count), count - 1)
    for i in range(size):
        if row[offset + i]:
            if k == 0:
                return i
            k -= 1
    return 0


@njit(cache=True)
def _sample_kernel(masks, seed, out):
    np.random.seed(seed)  # numba's own generator, seeded from the caller's
    n, height, width, _ = masks.shape
    for g in range(n):
        for y in range(height):
            for x in range(width):
                if not (masks[g, y, x, 1] or masks[g, y, x, 2] or masks[g, y, x, 3] or masks[g, y, x, 4]
                        or masks[g, y, x, 5]):
                    continue  # only no-op is legal: the action stays all zeros
                row = masks[g, y, x]
                for i in range(7):
                    out[g, y, x, i] = _pick(row, MASK_OFFSETS[i], ACTION_NVEC[i], np.random.random())


def sample_actions(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N, H, W, 7) int32 actions drawn uniformly among the legal ones, component by component.

    A cell where only no-op is legal gets all zeros.
    """
    out = np.zeros(masks.shape[:-1] + (7,), dtype=np.int32)
    _sample_kernel(masks, int(rng.integers(2**31)), out)
    return out
