def is_prime(n: int) -> bool:
    """Return True if ``n`` is a prime number (0, 1 and negative numbers are not prime).

    >>> is_prime(13)
    True
    >>> is_prime(15)
    False
    """
    # -- solution --
    if n < 2:
        return False
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return True


# -- tests --
assert is_prime(13) is True
assert is_prime(15) is False
assert is_prime(2) is True
assert is_prime(1) is False
assert is_prime(0) is False
assert is_prime(-7) is False
assert is_prime(97) is True
assert is_prime(91) is False
