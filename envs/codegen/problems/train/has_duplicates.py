def has_duplicates(xs: list[int]) -> bool:
    """Return True if some value occurs more than once in ``xs``, False otherwise.

    >>> has_duplicates([1, 2, 1])
    True
    >>> has_duplicates([1, 2, 3])
    False
    """
    # -- solution --
    return len(set(xs)) < len(xs)


# -- tests --
assert has_duplicates([1, 2, 1]) is True
assert has_duplicates([1, 2, 3]) is False
assert has_duplicates([]) is False
assert has_duplicates([0, 0]) is True
assert has_duplicates([5, -5]) is False
