def double_all(xs: list[int]) -> list[int]:
    """Return a new list holding each number of ``xs`` multiplied by 2, in the same order.

    >>> double_all([1, -2, 3])
    [2, -4, 6]
    """
    # -- solution --
    return [2 * x for x in xs]


# -- tests --
assert double_all([1, -2, 3]) == [2, -4, 6]
assert double_all([]) == []
assert double_all([0]) == [0]
assert double_all([5, 5]) == [10, 10]
