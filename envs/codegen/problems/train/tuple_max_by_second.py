def tuple_max_by_second(pairs: list[tuple[str, int]]) -> tuple[str, int]:
    """Return the pair in the non-empty list ``pairs`` with the largest second element.

    On a tie, the pair that comes first wins.

    >>> tuple_max_by_second([("a", 3), ("b", 7), ("c", 5)])
    ('b', 7)
    """
    # -- solution --
    return max(pairs, key=lambda p: p[1])


# -- tests --
assert tuple_max_by_second([("a", 3), ("b", 7), ("c", 5)]) == ("b", 7)
assert tuple_max_by_second([("x", -1)]) == ("x", -1)
assert tuple_max_by_second([("a", 2), ("b", 2)]) == ("a", 2)
assert tuple_max_by_second([("a", -5), ("b", -2)]) == ("b", -2)
