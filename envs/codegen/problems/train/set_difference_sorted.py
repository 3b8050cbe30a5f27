def set_difference_sorted(a: list[int], b: list[int]) -> list[int]:
    """Return the distinct values of ``a`` that do not appear in ``b``, in ascending order.

    >>> set_difference_sorted([4, 1, 2, 2], [2])
    [1, 4]
    """
    # -- solution --
    return sorted(set(a) - set(b))


# -- tests --
assert set_difference_sorted([4, 1, 2, 2], [2]) == [1, 4]
assert set_difference_sorted([], [1]) == []
assert set_difference_sorted([1, 2], []) == [1, 2]
assert set_difference_sorted([1, 2], [1, 2, 3]) == []
assert set_difference_sorted([9, -9, 0], [0]) == [-9, 9]
