def digit_sum(n: int) -> int:
    """Return the sum of the decimal digits of ``n``; the sign of a negative ``n`` is ignored.

    >>> digit_sum(123)
    6
    >>> digit_sum(-45)
    9
    """
    # -- solution --
    return sum(int(d) for d in str(abs(n)))


# -- tests --
assert digit_sum(123) == 6
assert digit_sum(-45) == 9
assert digit_sum(0) == 0
assert digit_sum(9999) == 36
assert digit_sum(1000) == 1
