def identity_matrix(n: int) -> list[list[int]]:
    """Return the ``n`` x ``n`` identity matrix as a list of rows: 1 on the diagonal, 0 elsewhere.

    ``n == 0`` gives an empty list.

    >>> identity_matrix(2)
    [[1, 0], [0, 1]]
    """
    # -- solution --
    return [[1 if i == j else 0 for j in range(n)] for i in range(n)]


# -- tests --
assert identity_matrix(2) == [[1, 0], [0, 1]]
assert identity_matrix(0) == []
assert identity_matrix(1) == [[1]]
assert identity_matrix(3) == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
