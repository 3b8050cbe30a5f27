def lcm(a: int, b: int) -> int:
    """Return the least common multiple of ``a`` and ``b`` (always ``>= 0``); 0 if either is 0.

    >>> lcm(4, 6)
    12
    """
    # -- solution --
    if a == 0 or b == 0:
        return 0
    x, y = abs(a), abs(b)
    while y:
        x, y = y, x % y
    return abs(a * b) // x


# -- tests --
assert lcm(4, 6) == 12
assert lcm(3, 5) == 15
assert lcm(0, 7) == 0
assert lcm(8, 8) == 8
assert lcm(-2, 3) == 6
assert lcm(1, 9) == 9
