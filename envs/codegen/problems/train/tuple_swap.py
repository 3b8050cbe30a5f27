def tuple_swap(pair: tuple[int, int]) -> tuple[int, int]:
    """Return the two-element tuple ``pair`` with its elements swapped.

    >>> tuple_swap((1, 2))
    (2, 1)
    """
    # -- solution --
    return pair[1], pair[0]


# -- tests --
assert tuple_swap((1, 2)) == (2, 1)
assert tuple_swap((0, 0)) == (0, 0)
assert tuple_swap((-5, 7)) == (7, -5)
assert tuple_swap((3, 3)) == (3, 3)
