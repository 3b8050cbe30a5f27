def rotate_left(xs: list[int], k: int) -> list[int]:
    """Return ``xs`` rotated ``k`` places to the left (``k >= 0``, and it may exceed the length).

    The first ``k`` elements move to the end. An empty list stays empty.

    >>> rotate_left([1, 2, 3, 4, 5], 2)
    [3, 4, 5, 1, 2]
    """
    # -- solution --
    if not xs:
        return []
    k %= len(xs)
    return xs[k:] + xs[:k]


# -- tests --
assert rotate_left([1, 2, 3, 4, 5], 2) == [3, 4, 5, 1, 2]
assert rotate_left([], 3) == []
assert rotate_left([1, 2, 3], 0) == [1, 2, 3]
assert rotate_left([1, 2, 3], 3) == [1, 2, 3]
assert rotate_left([1, 2, 3], 4) == [2, 3, 1]
assert rotate_left([9], 5) == [9]
