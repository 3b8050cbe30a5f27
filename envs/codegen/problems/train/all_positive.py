def all_positive(xs: list[int]) -> bool:
    """Return True if every number in ``xs`` is strictly greater than zero (True for an empty list).

    >>> all_positive([1, 2, 3])
    True
    >>> all_positive([1, 0])
    False
    """
    # -- solution --
    return all(x > 0 for x in xs)


# -- tests --
assert all_positive([1, 2, 3]) is True
assert all_positive([1, 0]) is False
assert all_positive([]) is True
assert all_positive([-1, 5]) is False
assert all_positive([7]) is True
