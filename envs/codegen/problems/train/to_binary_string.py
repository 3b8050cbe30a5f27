def to_binary_string(n: int) -> str:
    """Return the binary digits of the non-negative integer ``n`` without a prefix ("0" for 0).

    >>> to_binary_string(5)
    '101'
    """
    # -- solution --
    return bin(n)[2:]


# -- tests --
assert to_binary_string(5) == "101"
assert to_binary_string(0) == "0"
assert to_binary_string(1) == "1"
assert to_binary_string(8) == "1000"
assert to_binary_string(255) == "11111111"
