def max_of_two(a: int, b: int) -> int:
    """Return the larger of ``a`` and ``b`` (either one when they are equal).

    >>> max_of_two(3, 7)
    7
    """
    # -- solution --
    return a if a > b else b


# -- tests --
assert max_of_two(3, 7) == 7
assert max_of_two(9, 2) == 9
assert max_of_two(-5, -8) == -5
assert max_of_two(4, 4) == 4
