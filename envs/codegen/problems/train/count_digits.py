def count_digits(n: int) -> int:
    """Return how many decimal digits ``n`` has, ignoring the sign (0 has one digit).

    >>> count_digits(12345)
    5
    >>> count_digits(-70)
    2
    """
    # -- solution --
    return len(str(abs(n)))


# -- tests --
assert count_digits(12345) == 5
assert count_digits(-70) == 2
assert count_digits(0) == 1
assert count_digits(9) == 1
assert count_digits(1000000) == 7
