def factorial(n: int) -> int:
    """Return ``n!`` = 1 * 2 * ... * n for ``n >= 0`` (``0!`` is 1).

    >>> factorial(5)
    120
    """
    # -- solution --
    result = 1
    for k in range(2, n + 1):
        result *= k
    return result


# -- tests --
assert factorial(5) == 120
assert factorial(0) == 1
assert factorial(1) == 1
assert factorial(3) == 6
assert factorial(10) == 3628800
