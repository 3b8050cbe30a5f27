def even_positions(xs: list[int]) -> list[int]:
    """Return the elements of ``xs`` at even indexes 0, 2, 4, ... in order.

    >>> even_positions([10, 11, 12, 13, 14])
    [10, 12, 14]
    """
    # -- solution --
    return xs[::2]


# -- tests --
assert even_positions([10, 11, 12, 13, 14]) == [10, 12, 14]
assert even_positions([]) == []
assert even_positions([7]) == [7]
assert even_positions([1, 2]) == [1]
assert even_positions([5, 6, 7, 8]) == [5, 7]
