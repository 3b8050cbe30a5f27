def matrix_transpose(m: list[list[int]]) -> list[list[int]]:
    """Return the transpose of the rectangular matrix ``m`` (rows become columns).

    An empty matrix gives an empty list.

    >>> matrix_transpose([[1, 2, 3], [4, 5, 6]])
    [[1, 4], [2, 5], [3, 6]]
    """
    # -- solution --
    return [list(col) for col in zip(*m)]


# -- tests --
assert matrix_transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]
assert matrix_transpose([]) == []
assert matrix_transpose([[7]]) == [[7]]
assert matrix_transpose([[1], [2], [3]]) == [[1, 2, 3]]
assert matrix_transpose([[1, 2], [3, 4]]) == [[1, 3], [2, 4]]
