def add_squares(xs: list[int]) -> int:
    """Return the sum of the squares of the numbers in ``xs`` (0 for an empty list).

    >>> add_squares([1, 2, 3])
    14
    """
    # -- solution --
    return sum(x * x for x in xs)


# -- tests --
assert add_squares([1, 2, 3]) == 14
assert add_squares([]) == 0
assert add_squares([-4]) == 16
assert add_squares([0, 5, -1]) == 26
