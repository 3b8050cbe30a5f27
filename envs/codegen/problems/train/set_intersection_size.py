def set_intersection_size(a: list[int], b: list[int]) -> int:
    """Return how many distinct values appear in both ``a`` and ``b``.

    >>> set_intersection_size([1, 2, 2, 3], [2, 3, 4])
    2
    """
    # -- solution --
    return len(set(a) & set(b))


# -- tests --
assert set_intersection_size([1, 2, 2, 3], [2, 3, 4]) == 2
assert set_intersection_size([], [1, 2]) == 0
assert set_intersection_size([5, 5, 5], [5]) == 1
assert set_intersection_size([1, 2], [3, 4]) == 0
assert set_intersection_size([1, 2, 3], [3, 2, 1]) == 3
