def count_pairs_with_sum(xs: list[int], target: int) -> int:
    """Return how many index pairs ``i < j`` satisfy ``xs[i] + xs[j] == target``.

    >>> count_pairs_with_sum([1, 2, 3, 4], 5)
    2
    """
    # -- solution --
    count = 0
    for i in range(len(xs)):
        for j in range(i + 1, len(xs)):
            if xs[i] + xs[j] == target:
                count += 1
    return count


# -- tests --
assert count_pairs_with_sum([1, 2, 3, 4], 5) == 2
assert count_pairs_with_sum([], 3) == 0
assert count_pairs_with_sum([3], 6) == 0
assert count_pairs_with_sum([2, 2, 2], 4) == 3
assert count_pairs_with_sum([-1, 1, 0], 0) == 1
assert count_pairs_with_sum([1, 1], 5) == 0
