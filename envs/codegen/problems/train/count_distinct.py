def count_distinct(xs: list[int]) -> int:
    """Return how many different values appear in ``xs``.

    >>> count_distinct([1, 2, 2, 3, 1])
    3
    """
    # -- solution --
    return len(set(xs))


# -- tests --
assert count_distinct([1, 2, 2, 3, 1]) == 3
assert count_distinct([]) == 0
assert count_distinct([4, 4, 4]) == 1
assert count_distinct([-1, 1, 0]) == 3
