def median(xs: list[float]) -> float:
    """Return the median of the non-empty list ``xs`` as a float.

    For an even number of values it is the mean of the two middle values (after sorting).

    >>> median([3, 1, 2])
    2.0
    >>> median([4, 1, 3, 2])
    2.5
    """
    # -- solution --
    s = sorted(xs)
    mid = len(s) // 2
    if len(s) % 2 == 1:
        return float(s[mid])
    return (s[mid - 1] + s[mid]) / 2


# -- tests --
assert median([3, 1, 2]) == 2.0
assert median([4, 1, 3, 2]) == 2.5
assert median([5]) == 5.0
assert median([1, 2]) == 1.5
assert median([-1, -5, 10, 0, 2]) == 0.0
assert median([7, 7, 7, 1]) == 7.0
