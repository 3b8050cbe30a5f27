def is_perfect_number(n: int) -> bool:
    """Return True if ``n`` is a perfect number: a positive integer equal to the sum of its divisors other than itself.

    Numbers below 2 are not perfect.

    >>> is_perfect_number(28)
    True
    >>> is_perfect_number(12)
    False
    """
    # -- solution --
    return n > 1 and sum(d for d in range(1, n) if n % d == 0) == n


# -- tests --
assert is_perfect_number(28) is True
assert is_perfect_number(12) is False
assert is_perfect_number(6) is True
assert is_perfect_number(1) is False
assert is_perfect_number(0) is False
assert is_perfect_number(496) is True
