def to_hex_string(n: int) -> str:
    """Return the lower-case hexadecimal digits of the non-negative integer ``n`` without a prefix.

    >>> to_hex_string(255)
    'ff'
    """
    # -- solution --
    return format(n, "x")


# -- tests --
assert to_hex_string(255) == "ff"
assert to_hex_string(0) == "0"
assert to_hex_string(16) == "10"
assert to_hex_string(10) == "a"
assert to_hex_string(4096) == "1000"
