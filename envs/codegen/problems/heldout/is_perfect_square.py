import math


def is_perfect_square(n: int) -> bool:
    """Return True if ``n`` is the square of an integer (0 and 1 are; negatives are not).

    >>> is_perfect_square(49)
    True
    >>> is_perfect_square(50)
    False
    """
    # -- solution --
    return n >= 0 and math.isqrt(n) ** 2 == n


# -- tests --
assert is_perfect_square(49) is True
assert is_perfect_square(50) is False
assert is_perfect_square(0) is True
assert is_perfect_square(1) is True
assert is_perfect_square(-4) is False
assert is_perfect_square(1000000) is True
