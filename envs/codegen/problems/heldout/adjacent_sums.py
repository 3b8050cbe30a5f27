def adjacent_sums(xs: list[int]) -> list[int]:
    """Return the sums of each pair of neighbours: ``[xs[0] + xs[1], xs[1] + xs[2], ...]``.

    A list with fewer than two elements gives an empty list.

    >>> adjacent_sums([1, 2, 3, 4])
    [3, 5, 7]
    """
    # -- solution --
    return [a + b for a, b in zip(xs, xs[1:])]


# -- tests --
assert adjacent_sums([1, 2, 3, 4]) == [3, 5, 7]
assert adjacent_sums([]) == []
assert adjacent_sums([9]) == []
assert adjacent_sums([5, -5]) == [0]
assert adjacent_sums([2, 2, 2]) == [4, 4]
