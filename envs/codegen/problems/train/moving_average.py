def moving_average(xs: list[float], k: int) -> list[float]:
    """Return the means of every window of ``k`` consecutive elements of ``xs`` (``k >= 1``), in order.

    If ``xs`` has fewer than ``k`` elements the result is empty.

    >>> moving_average([1, 2, 3, 4, 5], 2)
    [1.5, 2.5, 3.5, 4.5]
    """
    # -- solution --
    return [sum(xs[i:i + k]) / k for i in range(len(xs) - k + 1)]


# -- tests --
assert moving_average([1, 2, 3, 4, 5], 2) == [1.5, 2.5, 3.5, 4.5]
assert moving_average([1, 2], 3) == []
assert moving_average([4, 8, 6], 3) == [6.0]
assert moving_average([5, 7], 1) == [5.0, 7.0]
assert moving_average([2, 4, 0, 6], 2) == [3.0, 2.0, 3.0]
