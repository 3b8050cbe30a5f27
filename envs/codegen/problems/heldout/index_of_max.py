def index_of_max(xs: list[int]) -> int:
    """Return the index of the largest value in ``xs``; on ties, the first such index.

    Return -1 for an empty list.

    >>> index_of_max([3, 8, 1, 8])
    1
    """
    # -- solution --
    if not xs:
        return -1
    return xs.index(max(xs))


# -- tests --
assert index_of_max([3, 8, 1, 8]) == 1
assert index_of_max([]) == -1
assert index_of_max([5]) == 0
assert index_of_max([-3, -1, -2]) == 1
assert index_of_max([1, 2, 3]) == 2
