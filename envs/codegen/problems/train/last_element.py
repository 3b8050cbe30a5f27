def last_element(xs: list[int]) -> int | None:
    """Return the last element of ``xs``, or None if ``xs`` is empty.

    >>> last_element([4, 5, 6])
    6
    """
    # -- solution --
    return xs[-1] if xs else None


# -- tests --
assert last_element([4, 5, 6]) == 6
assert last_element([]) is None
assert last_element([9]) == 9
assert last_element([0, -1]) == -1
