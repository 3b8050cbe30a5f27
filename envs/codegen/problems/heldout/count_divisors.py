def count_divisors(n: int) -> int:
    """Return how many positive integers divide ``n`` exactly, for ``n >= 1`` (1 and ``n`` included).

    >>> count_divisors(12)
    6
    """
    # -- solution --
    return sum(1 for d in range(1, n + 1) if n % d == 0)


# -- tests --
assert count_divisors(12) == 6
assert count_divisors(1) == 1
assert count_divisors(7) == 2
assert count_divisors(16) == 5
assert count_divisors(100) == 9
