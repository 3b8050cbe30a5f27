def last_digit(n: int) -> int:
    """Return the last decimal digit of ``n``, ignoring the sign (so -47 gives 7).

    >>> last_digit(123)
    3
    """
    # -- solution --
    return abs(n) % 10


# -- tests --
assert last_digit(123) == 3
assert last_digit(-47) == 7
assert last_digit(0) == 0
assert last_digit(50) == 0
assert last_digit(9) == 9
