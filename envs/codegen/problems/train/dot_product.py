def dot_product(a: list[int], b: list[int]) -> int:
    """Return the dot product of two lists of equal length: the sum of ``a[i] * b[i]`` (0 when empty).

    >>> dot_product([1, 2, 3], [4, 5, 6])
    32
    """
    # -- solution --
    return sum(x * y for x, y in zip(a, b))


# -- tests --
assert dot_product([1, 2, 3], [4, 5, 6]) == 32
assert dot_product([], []) == 0
assert dot_product([2], [-3]) == -6
assert dot_product([1, 0], [0, 1]) == 0
assert dot_product([-1, -2], [-3, 4]) == -5
