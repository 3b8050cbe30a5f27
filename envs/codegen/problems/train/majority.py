def majority(xs: list[int]) -> int | None:
    """Return the value that occurs in more than half of the positions of ``xs``, or None if there is none.

    >>> majority([2, 1, 2, 2])
    2
    >>> majority([1, 2]) is None
    True
    """
    # -- solution --
    for x in set(xs):
        if xs.count(x) * 2 > len(xs):
            return x
    return None


# -- tests --
assert majority([2, 1, 2, 2]) == 2
assert majority([1, 2]) is None
assert majority([]) is None
assert majority([7]) == 7
assert majority([3, 3, 4, 4]) is None
assert majority([5, 1, 5, 2, 5]) == 5
