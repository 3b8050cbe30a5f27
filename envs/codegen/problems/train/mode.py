def mode(xs: list[int]) -> int:
    """Return the most frequent value in the non-empty list ``xs``; on ties, the smallest such value.

    >>> mode([1, 2, 2, 3])
    2
    >>> mode([5, 1, 5, 1])
    1
    """
    # -- solution --
    counts = {}
    for x in xs:
        counts[x] = counts.get(x, 0) + 1
    return min(counts, key=lambda v: (-counts[v], v))


# -- tests --
assert mode([1, 2, 2, 3]) == 2
assert mode([5, 1, 5, 1]) == 1
assert mode([9]) == 9
assert mode([4, 4, 4, 2, 2]) == 4
assert mode([-1, -2, 3]) == -2
