def clamp(x: int, lo: int, hi: int) -> int:
    """Return ``x`` limited to the range ``lo``..``hi`` (inclusive); assumes ``lo <= hi``.

    Values below ``lo`` become ``lo``, values above ``hi`` become ``hi``.

    >>> clamp(15, 0, 10)
    10
    >>> clamp(5, 0, 10)
    5
    """
    # -- solution --
    return max(lo, min(x, hi))


# -- tests --
assert clamp(15, 0, 10) == 10
assert clamp(5, 0, 10) == 5
assert clamp(-3, 0, 10) == 0
assert clamp(7, 7, 7) == 7
assert clamp(-20, -10, -5) == -10
