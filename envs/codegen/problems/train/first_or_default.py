def first_or_default(xs: list[int], default: int) -> int:
    """Return the first element of ``xs``, or ``default`` if ``xs`` is empty.

    >>> first_or_default([3, 4], 0)
    3
    >>> first_or_default([], 7)
    7
    """
    # -- solution --
    return xs[0] if xs else default


# -- tests --
assert first_or_default([3, 4], 0) == 3
assert first_or_default([], 7) == 7
assert first_or_default([0], 5) == 0
assert first_or_default([-2, 9, 1], -1) == -2
