def count_positives(xs: list[int]) -> int:
    """Return how many numbers in ``xs`` are strictly greater than zero (zero does not count).

    >>> count_positives([1, -2, 3, 0])
    2
    """
    # -- solution --
    return sum(1 for x in xs if x > 0)


# -- tests --
assert count_positives([1, -2, 3, 0]) == 2
assert count_positives([]) == 0
assert count_positives([-1, -5]) == 0
assert count_positives([0, 0, 4]) == 1
assert count_positives([2, 2, 2]) == 3
