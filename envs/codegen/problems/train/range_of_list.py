def range_of_list(xs: list[int]) -> int:
    """Return the largest value of ``xs`` minus the smallest, or 0 for an empty list.

    >>> range_of_list([3, 9, 1])
    8
    """
    # -- solution --
    return max(xs) - min(xs) if xs else 0


# -- tests --
assert range_of_list([3, 9, 1]) == 8
assert range_of_list([]) == 0
assert range_of_list([4]) == 0
assert range_of_list([-5, 5]) == 10
assert range_of_list([2, 2, 2]) == 0
