def cumulative_sums(xs: list[int]) -> list[int]:
    """Return the running totals of ``xs``: element ``i`` is ``xs[0] + ... + xs[i]``.

    >>> cumulative_sums([1, 2, 3, 4])
    [1, 3, 6, 10]
    """
    # -- solution --
    out = []
    total = 0
    for x in xs:
        total += x
        out.append(total)
    return out


# -- tests --
assert cumulative_sums([1, 2, 3, 4]) == [1, 3, 6, 10]
assert cumulative_sums([]) == []
assert cumulative_sums([5]) == [5]
assert cumulative_sums([3, -3, 3]) == [3, 0, 3]
assert cumulative_sums([0, 0, 1]) == [0, 0, 1]
