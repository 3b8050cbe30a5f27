def is_sorted(xs: list[int]) -> bool:
    """Return True if ``xs`` is in non-decreasing order (equal neighbours are allowed).

    An empty list and a one-element list are sorted.

    >>> is_sorted([1, 2, 2, 5])
    True
    >>> is_sorted([3, 1])
    False
    """
    # -- solution --
    return all(a <= b for a, b in zip(xs, xs[1:]))


# -- tests --
assert is_sorted([1, 2, 2, 5]) is True
assert is_sorted([3, 1]) is False
assert is_sorted([]) is True
assert is_sorted([7]) is True
assert is_sorted([1, 2, 3, 2]) is False
assert is_sorted([-3, -1, 0]) is True
