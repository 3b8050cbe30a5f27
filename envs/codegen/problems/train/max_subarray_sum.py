def max_subarray_sum(xs: list[int]) -> int:
    """Return the largest sum of a non-empty block of consecutive elements of the non-empty list ``xs``.

    If all numbers are negative, the answer is the largest single number.

    >>> max_subarray_sum([2, -5, 3, -1, 4, -2])
    6
    """
    # -- solution --
    best = cur = xs[0]
    for x in xs[1:]:
        cur = max(x, cur + x)
        best = max(best, cur)
    return best


# -- tests --
assert max_subarray_sum([2, -5, 3, -1, 4, -2]) == 6
assert max_subarray_sum([5]) == 5
assert max_subarray_sum([-3, -1, -2]) == -1
assert max_subarray_sum([1, 2, 3]) == 6
assert max_subarray_sum([4, -10, 4]) == 4
assert max_subarray_sum([-1, 3, -1, 3, -1]) == 5
