def string_ord_sum(s: str) -> int:
    """Return the sum of the Unicode code points (``ord``) of the characters in ``s``.

    >>> string_ord_sum("AB")
    131
    """
    # -- solution --
    return sum(ord(c) for c in s)


# -- tests --
assert string_ord_sum("AB") == 131
assert string_ord_sum("") == 0
assert string_ord_sum("a") == 97
assert string_ord_sum(" 0") == 80
