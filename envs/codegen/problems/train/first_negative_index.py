def first_negative_index(xs: list[int]) -> int:
    """Return the index of the first negative number in ``xs``, or -1 if there is none.

    >>> first_negative_index([4, 0, -2, -5])
    2
    """
    # -- solution --
    for i, x in enumerate(xs):
        if x < 0:
            return i
    return -1


# -- tests --
assert first_negative_index([4, 0, -2, -5]) == 2
assert first_negative_index([]) == -1
assert first_negative_index([1, 2, 3]) == -1
assert first_negative_index([-1]) == 0
assert first_negative_index([0, 0, 0, -9]) == 3
