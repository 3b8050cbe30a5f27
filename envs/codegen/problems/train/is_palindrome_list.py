def is_palindrome_list(xs: list[int]) -> bool:
    """Return True if ``xs`` reads the same forwards and backwards (an empty list does).

    >>> is_palindrome_list([1, 2, 1])
    True
    >>> is_palindrome_list([1, 2])
    False
    """
    # -- solution --
    return xs == xs[::-1]


# -- tests --
assert is_palindrome_list([1, 2, 1]) is True
assert is_palindrome_list([1, 2]) is False
assert is_palindrome_list([]) is True
assert is_palindrome_list([4, 5, 5, 4]) is True
assert is_palindrome_list([3, 1, 2, 3]) is False
