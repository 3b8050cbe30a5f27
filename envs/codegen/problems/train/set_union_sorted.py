def set_union_sorted(a: list[int], b: list[int]) -> list[int]:
    """Return the distinct values found in ``a`` or ``b`` (or both), in ascending order.

    >>> set_union_sorted([3, 1], [2, 3])
    [1, 2, 3]
    """
    # -- solution --
    return sorted(set(a) | set(b))


# -- tests --
assert set_union_sorted([3, 1], [2, 3]) == [1, 2, 3]
assert set_union_sorted([], []) == []
assert set_union_sorted([5, 5], []) == [5]
assert set_union_sorted([-1, 0], [0, -2]) == [-2, -1, 0]
