def base_digits(n: int, base: int) -> list[int]:
    """Return the digits of ``n >= 0`` written in ``base`` (``base >= 2``), most significant first.

    Zero is written as ``[0]``.

    >>> base_digits(13, 2)
    [1, 1, 0, 1]
    """
    # -- solution --
    if n == 0:
        return [0]
    out = []
    while n:
        out.append(n % base)
        n //= base
    return out[::-1]


# -- tests --
assert base_digits(13, 2) == [1, 1, 0, 1]
assert base_digits(0, 7) == [0]
assert base_digits(255, 16) == [15, 15]
assert base_digits(100, 10) == [1, 0, 0]
assert base_digits(8, 3) == [2, 2]
