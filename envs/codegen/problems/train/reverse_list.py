def reverse_list(xs: list[int]) -> list[int]:
    """Return a new list with the elements of ``xs`` in reverse order (``xs`` is not changed).

    >>> reverse_list([1, 2, 3])
    [3, 2, 1]
    """
    # -- solution --
    return xs[::-1]


# -- tests --
assert reverse_list([1, 2, 3]) == [3, 2, 1]
assert reverse_list([]) == []
assert reverse_list([5]) == [5]
assert reverse_list([4, 4, 0, -1]) == [-1, 0, 4, 4]
