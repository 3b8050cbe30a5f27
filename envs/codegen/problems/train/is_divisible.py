def is_divisible(n: int, d: int) -> bool:
    """Return True if ``n`` is divisible by ``d`` with no remainder.

    Nothing is divisible by zero, so ``d == 0`` always gives False.

    >>> is_divisible(12, 4)
    True
    >>> is_divisible(12, 5)
    False
    """
    # -- solution --
    return d != 0 and n % d == 0


# -- tests --
assert is_divisible(12, 4) is True
assert is_divisible(12, 5) is False
assert is_divisible(0, 3) is True
assert is_divisible(7, 0) is False
assert is_divisible(-9, 3) is True
