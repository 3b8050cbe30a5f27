def sum_list(xs: list[int]) -> int:
    """Return the sum of the numbers in ``xs`` (0 for an empty list).

    >>> sum_list([1, 2, 3])
    6
    """
    # -- solution --
    return sum(xs)


# -- tests --
assert sum_list([1, 2, 3]) == 6
assert sum_list([]) == 0
assert sum_list([-4, 4, 10]) == 10
assert sum_list([7]) == 7
