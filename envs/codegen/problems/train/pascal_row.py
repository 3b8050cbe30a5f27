def pascal_row(n: int) -> list[int]:
    """Return row ``n`` (counting from 0) of Pascal's triangle: the binomial coefficients C(n, 0) .. C(n, n).

    >>> pascal_row(4)
    [1, 4, 6, 4, 1]
    """
    # -- solution --
    row = [1]
    for _ in range(n):
        row = [a + b for a, b in zip([0] + row, row + [0])]
    return row


# -- tests --
assert pascal_row(4) == [1, 4, 6, 4, 1]
assert pascal_row(0) == [1]
assert pascal_row(1) == [1, 1]
assert pascal_row(2) == [1, 2, 1]
assert pascal_row(6) == [1, 6, 15, 20, 15, 6, 1]
