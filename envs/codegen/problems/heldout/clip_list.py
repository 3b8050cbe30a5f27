def clip_list(xs: list[int], lo: int, hi: int) -> list[int]:
    """Return a new list where each number of ``xs`` is limited to ``lo``..``hi`` (inclusive).

    Assumes ``lo <= hi``; numbers below ``lo`` become ``lo`` and above ``hi`` become ``hi``.

    >>> clip_list([-5, 3, 12], 0, 10)
    [0, 3, 10]
    """
    # -- solution --
    return [min(max(x, lo), hi) for x in xs]


# -- tests --
assert clip_list([-5, 3, 12], 0, 10) == [0, 3, 10]
assert clip_list([], 0, 1) == []
assert clip_list([1, 2, 3], 2, 2) == [2, 2, 2]
assert clip_list([4, 5], 0, 100) == [4, 5]
assert clip_list([-9, -1], -5, -2) == [-5, -2]
