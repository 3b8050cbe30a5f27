def keep_evens(xs: list[int]) -> list[int]:
    """Return the even numbers of ``xs`` in their original order (zero and negatives included).

    >>> keep_evens([1, 2, 3, 4])
    [2, 4]
    """
    # -- solution --
    return [x for x in xs if x % 2 == 0]


# -- tests --
assert keep_evens([1, 2, 3, 4]) == [2, 4]
assert keep_evens([]) == []
assert keep_evens([1, 3, 5]) == []
assert keep_evens([0, -2, -3, 8]) == [0, -2, 8]
