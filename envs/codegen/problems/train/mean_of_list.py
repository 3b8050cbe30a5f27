def mean_of_list(xs: list[float]) -> float:
    """Return the arithmetic mean of ``xs`` as a float, or 0.0 for an empty list.

    >>> mean_of_list([1, 2, 3, 4])
    2.5
    """
    # -- solution --
    return sum(xs) / len(xs) if xs else 0.0


# -- tests --
assert mean_of_list([1, 2, 3, 4]) == 2.5
assert mean_of_list([]) == 0.0
assert mean_of_list([7]) == 7.0
assert mean_of_list([-2, 2]) == 0.0
assert mean_of_list([0.5, 1.5, 4.0]) == 2.0
