def product_of_list(xs: list[int]) -> int:
    """Return the product of the numbers in ``xs`` (1 for an empty list).

    >>> product_of_list([2, 3, 4])
    24
    """
    # -- solution --
    result = 1
    for x in xs:
        result *= x
    return result


# -- tests --
assert product_of_list([2, 3, 4]) == 24
assert product_of_list([]) == 1
assert product_of_list([5]) == 5
assert product_of_list([3, 0, 9]) == 0
assert product_of_list([-2, 3, -1]) == 6
