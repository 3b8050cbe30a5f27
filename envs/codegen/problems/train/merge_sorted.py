def merge_sorted(a: list[int], b: list[int]) -> list[int]:
    """Merge two lists that are each sorted ascending into one sorted list (duplicates kept).

    >>> merge_sorted([1, 4, 6], [2, 3, 7])
    [1, 2, 3, 4, 6, 7]
    """
    # -- solution --
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    return out + a[i:] + b[j:]


# -- tests --
assert merge_sorted([1, 4, 6], [2, 3, 7]) == [1, 2, 3, 4, 6, 7]
assert merge_sorted([], []) == []
assert merge_sorted([], [1, 2]) == [1, 2]
assert merge_sorted([5], []) == [5]
assert merge_sorted([1, 1], [1]) == [1, 1, 1]
assert merge_sorted([-3, 0], [-4, 10]) == [-4, -3, 0, 10]
