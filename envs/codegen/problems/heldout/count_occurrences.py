def count_occurrences(xs: list[int], x: int) -> int:
    """Return how many times the value ``x`` appears in ``xs``.

    >>> count_occurrences([1, 2, 1, 1], 1)
    3
    """
    # -- solution --
    return sum(1 for v in xs if v == x)


# -- tests --
assert count_occurrences([1, 2, 1, 1], 1) == 3
assert count_occurrences([], 4) == 0
assert count_occurrences([1, 2, 3], 5) == 0
assert count_occurrences([-1, -1], -1) == 2
assert count_occurrences([0, 1, 0], 0) == 2
