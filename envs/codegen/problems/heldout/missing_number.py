def missing_number(xs: list[int]) -> int:
    """``xs`` holds every integer from 0 to ``len(xs)`` except one, in any order; return the missing one.

    >>> missing_number([3, 0, 1])
    2
    """
    # -- solution --
    return len(xs) * (len(xs) + 1) // 2 - sum(xs)


# -- tests --
assert missing_number([3, 0, 1]) == 2
assert missing_number([]) == 0
assert missing_number([0]) == 1
assert missing_number([1]) == 0
assert missing_number([0, 1, 2, 4, 5]) == 3
