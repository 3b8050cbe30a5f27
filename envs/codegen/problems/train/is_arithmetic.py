def is_arithmetic(xs: list[int]) -> bool:
    """Return True if consecutive elements of ``xs`` all differ by the same amount.

    Lists with fewer than three elements are always arithmetic.

    >>> is_arithmetic([1, 4, 7, 10])
    True
    >>> is_arithmetic([1, 2, 4])
    False
    """
    # -- solution --
    return all(xs[i + 1] - xs[i] == xs[1] - xs[0] for i in range(len(xs) - 1))


# -- tests --
assert is_arithmetic([1, 4, 7, 10]) is True
assert is_arithmetic([1, 2, 4]) is False
assert is_arithmetic([]) is True
assert is_arithmetic([5, 1]) is True
assert is_arithmetic([9, 6, 3, 0]) is True
assert is_arithmetic([2, 2, 2, 3]) is False
