def ceil_divide(a: int, b: int) -> int:
    """Return ``a / b`` rounded up to the nearest integer, for ``b > 0`` (``a`` may be negative).

    >>> ceil_divide(7, 2)
    4
    >>> ceil_divide(6, 3)
    2
    """
    # -- solution --
    return -(-a // b)


# -- tests --
assert ceil_divide(7, 2) == 4
assert ceil_divide(6, 3) == 2
assert ceil_divide(0, 5) == 0
assert ceil_divide(1, 10) == 1
assert ceil_divide(-7, 2) == -3
