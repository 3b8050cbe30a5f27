def merge_intervals(intervals: list[list[int]]) -> list[list[int]]:
    """Merge overlapping closed intervals ``[start, end]`` (``start <= end``), given in any order.

    Intervals that overlap or touch (one ends where the next starts) become one.
    Return the merged intervals sorted by start.

    >>> merge_intervals([[5, 8], [1, 3], [2, 4]])
    [[1, 4], [5, 8]]
    """
    # -- solution --
    out = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return out


# -- tests --
assert merge_intervals([[5, 8], [1, 3], [2, 4]]) == [[1, 4], [5, 8]]
assert merge_intervals([]) == []
assert merge_intervals([[1, 2]]) == [[1, 2]]
assert merge_intervals([[1, 2], [2, 3]]) == [[1, 3]]
assert merge_intervals([[1, 10], [2, 3], [4, 5]]) == [[1, 10]]
assert merge_intervals([[0, 1], [3, 4]]) == [[0, 1], [3, 4]]
