def nth_triangle(n: int) -> int:
    """Return the ``n``-th triangle number 1 + 2 + ... + n for ``n >= 0`` (0 for ``n == 0``).

    >>> nth_triangle(4)
    10
    """
    # -- solution --
    return n * (n + 1) // 2


# -- tests --
assert nth_triangle(4) == 10
assert nth_triangle(0) == 0
assert nth_triangle(1) == 1
assert nth_triangle(10) == 55
assert nth_triangle(100) == 5050
