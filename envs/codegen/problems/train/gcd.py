def gcd(a: int, b: int) -> int:
    """Return the greatest common divisor of ``a`` and ``b``, always ``>= 0``; ``gcd(0, 0)`` is 0.

    Negative inputs are treated as their absolute values.

    >>> gcd(12, 18)
    6
    """
    # -- solution --
    a, b = abs(a), abs(b)
    while b:
        a, b = b, a % b
    return a


# -- tests --
assert gcd(12, 18) == 6
assert gcd(7, 5) == 1
assert gcd(0, 9) == 9
assert gcd(0, 0) == 0
assert gcd(-8, 12) == 4
assert gcd(100, 10) == 10
