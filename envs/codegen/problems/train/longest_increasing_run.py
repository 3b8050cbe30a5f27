def longest_increasing_run(xs: list[int]) -> int:
    """Return the length of the longest block of consecutive elements that is strictly increasing.

    An empty list gives 0; any single element is a run of length 1.

    >>> longest_increasing_run([1, 2, 2, 3, 4, 5, 1])
    4
    """
    # -- solution --
    best = cur = 0
    for i, x in enumerate(xs):
        cur = cur + 1 if i > 0 and x > xs[i - 1] else 1
        best = max(best, cur)
    return best


# -- tests --
assert longest_increasing_run([1, 2, 2, 3, 4, 5, 1]) == 4
assert longest_increasing_run([]) == 0
assert longest_increasing_run([5]) == 1
assert longest_increasing_run([3, 2, 1]) == 1
assert longest_increasing_run([1, 2, 3]) == 3
assert longest_increasing_run([4, 4, 4]) == 1
