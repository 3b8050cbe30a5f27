def chunk_list(xs: list[int], n: int) -> list[list[int]]:
    """Split ``xs`` into consecutive pieces of length ``n`` (``n >= 1``); the last piece may be shorter.

    >>> chunk_list([1, 2, 3, 4, 5], 2)
    [[1, 2], [3, 4], [5]]
    """
    # -- solution --
    return [xs[i:i + n] for i in range(0, len(xs), n)]


# -- tests --
assert chunk_list([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
assert chunk_list([], 3) == []
assert chunk_list([1, 2, 3], 3) == [[1, 2, 3]]
assert chunk_list([1, 2, 3], 1) == [[1], [2], [3]]
assert chunk_list([1, 2], 5) == [[1, 2]]
