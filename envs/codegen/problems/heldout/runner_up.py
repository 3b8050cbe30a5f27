def runner_up(xs: list[int]) -> int | None:
    """Return the second largest DISTINCT value in ``xs``, or None if there are fewer than two distinct values.

    >>> runner_up([4, 9, 2, 9])
    4
    >>> runner_up([3, 3]) is None
    True
    """
    # -- solution --
    values = sorted(set(xs))
    return values[-2] if len(values) >= 2 else None


# -- tests --
assert runner_up([4, 9, 2, 9]) == 4
assert runner_up([3, 3]) is None
assert runner_up([]) is None
assert runner_up([1, 2]) == 1
assert runner_up([-1, -7, -3]) == -3
assert runner_up([5, 5, 4, 4, 3]) == 4
