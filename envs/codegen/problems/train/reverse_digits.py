def reverse_digits(n: int) -> int:
    """Return the integer whose decimal digits are those of ``n`` in reverse order, keeping the sign.

    Leading zeros of the result disappear, so 120 gives 21 and -45 gives -54.

    >>> reverse_digits(123)
    321
    >>> reverse_digits(-45)
    -54
    """
    # -- solution --
    r = int(str(abs(n))[::-1])
    return -r if n < 0 else r


# -- tests --
assert reverse_digits(123) == 321
assert reverse_digits(-45) == -54
assert reverse_digits(120) == 21
assert reverse_digits(0) == 0
assert reverse_digits(7) == 7
