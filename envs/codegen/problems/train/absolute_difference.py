def absolute_difference(a: int, b: int) -> int:
    """Return the distance between ``a`` and ``b`` on the number line (never negative).

    >>> absolute_difference(3, 10)
    7
    """
    # -- solution --
    return abs(a - b)


# -- tests --
assert absolute_difference(3, 10) == 7
assert absolute_difference(10, 3) == 7
assert absolute_difference(-4, 5) == 9
assert absolute_difference(6, 6) == 0
