def cube(n: int) -> int:
    """Return ``n`` raised to the third power.

    >>> cube(3)
    27
    """
    # -- solution --
    return n ** 3


# -- tests --
assert cube(3) == 27
assert cube(0) == 0
assert cube(-2) == -8
assert cube(1) == 1
assert cube(10) == 1000
