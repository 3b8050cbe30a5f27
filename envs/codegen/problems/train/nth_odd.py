def nth_odd(n: int) -> int:
    """Return the ``n``-th positive odd number, counting from ``n = 1`` (1, 3, 5, ...).

    >>> nth_odd(1)
    1
    >>> nth_odd(4)
    7
    """
    # -- solution --
    return 2 * n - 1


# -- tests --
assert nth_odd(1) == 1
assert nth_odd(4) == 7
assert nth_odd(2) == 3
assert nth_odd(50) == 99
