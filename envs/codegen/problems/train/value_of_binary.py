def value_of_binary(s: str) -> int:
    """Return the integer value of the non-empty string of binary digits ``s`` (e.g. "101" -> 5).

    >>> value_of_binary("101")
    5
    """
    # -- solution --
    return int(s, 2)


# -- tests --
assert value_of_binary("101") == 5
assert value_of_binary("0") == 0
assert value_of_binary("1") == 1
assert value_of_binary("0011") == 3
assert value_of_binary("11111111") == 255
