def add_lists(a: list[int], b: list[int]) -> list[int]:
    """Return the element-wise sums ``a[i] + b[i]``, stopping at the end of the shorter list.

    >>> add_lists([1, 2, 3], [10, 20, 30])
    [11, 22, 33]
    >>> add_lists([1, 2, 3], [5])
    [6]
    """
    # -- solution --
    return [x + y for x, y in zip(a, b)]


# -- tests --
assert add_lists([1, 2, 3], [10, 20, 30]) == [11, 22, 33]
assert add_lists([1, 2, 3], [5]) == [6]
assert add_lists([], [1, 2]) == []
assert add_lists([-1, 4], [1, -4]) == [0, 0]
