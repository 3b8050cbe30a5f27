"""Action-space arithmetic shared by action distributions and game batches (no torch, no numpy).

A MultiDiscrete action space is a list of component sizes; a per-cell grid space (GridNet)
repeats one cell's components for every cell, and both the policy's distribution and the
games' random/legality helpers work per repetition, so they share how that pattern is found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def component_sizes(space: Any) -> list[int]:
    """The sizes of an action space's components: [n] for Discrete, nvec for MultiDiscrete."""
    nvec = getattr(space, "nvec", None)
    return [int(space.n)] if nvec is None else [int(n) for n in list(getattr(nvec, "flat", nvec))]


def smallest_period(nvec: Sequence[int]) -> tuple[int, ...]:
    """The shortest ``P`` with ``nvec == P * k``: ``(4,)`` for ``[4, 4, 4]``, ``(3, 5)`` for
    ``[3, 5, 3, 5]``, ``nvec`` itself when it does not repeat."""
    nvec = tuple(nvec)
    n = len(nvec)
    for p in range(1, n):
        if n % p == 0 and nvec == nvec[:p] * (n // p):
            return nvec[:p]
    return nvec
