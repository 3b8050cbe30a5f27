def differences(xs: list[int]) -> list[int]:
    """Return the differences between consecutive elements: ``[xs[1] - xs[0], xs[2] - xs[1], ...]``.

    A list with fewer than two elements gives an empty list.

    >>> differences([1, 4, 9, 16])
    [3, 5, 7]
    """
    # -- solution --
    return [b - a for a, b in zip(xs, xs[1:])]


# -- tests --
assert differences([1, 4, 9, 16]) == [3, 5, 7]
assert differences([]) == []
assert differences([3]) == []
assert differences([5, 2]) == [-3]
assert differences([0, 0, 1]) == [0, 1]
