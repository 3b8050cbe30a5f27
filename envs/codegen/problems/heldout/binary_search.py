def binary_search(xs: list[int], target: int) -> int:
    """Return an index of ``target`` in the sorted list ``xs`` of distinct values, or -1 if absent.

    Should take O(log n) steps by halving the search range.

    >>> binary_search([1, 3, 5, 7, 9], 7)
    3
    >>> binary_search([1, 3, 5], 4)
    -1
    """
    # -- solution --
    lo, hi = 0, len(xs) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if xs[mid] == target:
            return mid
        if xs[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1


# -- tests --
assert binary_search([1, 3, 5, 7, 9], 7) == 3
assert binary_search([1, 3, 5], 4) == -1
assert binary_search([], 1) == -1
assert binary_search([2], 2) == 0
assert binary_search([-5, 0, 5, 10], -5) == 0
assert binary_search([-5, 0, 5, 10], 10) == 3
assert binary_search([1, 2, 3], 99) == -1
