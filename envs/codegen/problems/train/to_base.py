def to_base(n: int, base: int) -> str:
    """Return the non-negative integer ``n`` written in ``base`` (2 to 16), with digits "0123456789abcdef".

    >>> to_base(255, 16)
    'ff'
    """
    # -- solution --
    digits = "0123456789abcdef"
    out = ""
    while n > 0:
        out = digits[n % base] + out
        n //= base
    return out or "0"


# -- tests --
assert to_base(255, 16) == "ff"
assert to_base(0, 2) == "0"
assert to_base(10, 2) == "1010"
assert to_base(8, 8) == "10"
assert to_base(35, 3) == "1022"
