def is_even(n: int) -> bool:
    """Return True if ``n`` is even (divisible by 2), False otherwise. Zero is even.

    >>> is_even(4)
    True
    >>> is_even(7)
    False
    """
    # -- solution --
    return n % 2 == 0


# -- tests --
assert is_even(4) is True
assert is_even(7) is False
assert is_even(0) is True
assert is_even(-6) is True
assert is_even(-3) is False
