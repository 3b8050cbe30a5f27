def local_maxima(xs: list[int]) -> list[int]:
    """Return the indexes ``i`` with ``0 < i < len(xs) - 1`` where ``xs[i]`` is strictly greater than both neighbours.

    The first and last elements are never counted.

    >>> local_maxima([1, 3, 2, 4, 1])
    [1, 3]
    """
    # -- solution --
    return [i for i in range(1, len(xs) - 1) if xs[i - 1] < xs[i] > xs[i + 1]]


# -- tests --
assert local_maxima([1, 3, 2, 4, 1]) == [1, 3]
assert local_maxima([]) == []
assert local_maxima([5, 1]) == []
assert local_maxima([1, 2, 3]) == []
assert local_maxima([1, 2, 2, 1]) == []
assert local_maxima([0, 5, 0, 5, 0, 5]) == [1, 3]
