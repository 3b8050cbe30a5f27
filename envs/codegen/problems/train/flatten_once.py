def flatten_once(xss: list[list[int]]) -> list[int]:
    """Join a list of lists into one list, keeping the order (only one level is flattened).

    >>> flatten_once([[1, 2], [], [3]])
    [1, 2, 3]
    """
    # -- solution --
    return [x for xs in xss for x in xs]


# -- tests --
assert flatten_once([[1, 2], [], [3]]) == [1, 2, 3]
assert flatten_once([]) == []
assert flatten_once([[], []]) == []
assert flatten_once([[4, 4], [1]]) == [4, 4, 1]
