def is_power_of_two(n: int) -> bool:
    """Return True if ``n`` equals 2**k for some integer ``k >= 0`` (so 1 counts).

    Zero and negative numbers are not powers of two.

    >>> is_power_of_two(8)
    True
    >>> is_power_of_two(6)
    False
    """
    # -- solution --
    return n > 0 and n & (n - 1) == 0


# -- tests --
assert is_power_of_two(8) is True
assert is_power_of_two(6) is False
assert is_power_of_two(1) is True
assert is_power_of_two(0) is False
assert is_power_of_two(-4) is False
assert is_power_of_two(1024) is True
