def min_of_three(a: int, b: int, c: int) -> int:
    """Return the smallest of the three numbers ``a``, ``b`` and ``c``.

    >>> min_of_three(4, 2, 9)
    2
    """
    # -- solution --
    return min(a, b, c)


# -- tests --
assert min_of_three(4, 2, 9) == 2
assert min_of_three(1, 5, 3) == 1
assert min_of_three(8, 6, -7) == -7
assert min_of_three(3, 3, 3) == 3
assert min_of_three(0, -1, -1) == -1
