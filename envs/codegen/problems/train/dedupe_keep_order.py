def dedupe_keep_order(xs: list[int]) -> list[int]:
    """Return ``xs`` with repeated values removed, keeping the first occurrence of each in order.

    >>> dedupe_keep_order([3, 1, 3, 2, 1])
    [3, 1, 2]
    """
    # -- solution --
    seen = set()
    out = []
    for x in xs:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


# -- tests --
assert dedupe_keep_order([3, 1, 3, 2, 1]) == [3, 1, 2]
assert dedupe_keep_order([]) == []
assert dedupe_keep_order([5, 5, 5]) == [5]
assert dedupe_keep_order([1, 2, 3]) == [1, 2, 3]
assert dedupe_keep_order([0, -1, 0, -1, 2]) == [0, -1, 2]
