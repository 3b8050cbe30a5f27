def negate_all(xs: list[int]) -> list[int]:
    """Return a new list with the sign of every number in ``xs`` flipped (0 stays 0).

    >>> negate_all([1, -2, 0])
    [-1, 2, 0]
    """
    # -- solution --
    return [-x for x in xs]


# -- tests --
assert negate_all([1, -2, 0]) == [-1, 2, 0]
assert negate_all([]) == []
assert negate_all([5, 5]) == [-5, -5]
assert negate_all([-7]) == [7]
