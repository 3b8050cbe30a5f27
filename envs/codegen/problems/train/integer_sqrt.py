def integer_sqrt(n: int) -> int:
    """Return the largest integer ``r`` with ``r * r <= n``, for ``n >= 0``, using integers only.

    >>> integer_sqrt(17)
    4
    """
    # -- solution --
    r = 0
    while (r + 1) * (r + 1) <= n:
        r += 1
    return r


# -- tests --
assert integer_sqrt(17) == 4
assert integer_sqrt(0) == 0
assert integer_sqrt(1) == 1
assert integer_sqrt(16) == 4
assert integer_sqrt(15) == 3
assert integer_sqrt(10000) == 100
