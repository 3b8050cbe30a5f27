def string_length(s: str) -> int:
    """Return the number of characters in ``s``.

    >>> string_length("cat")
    3
    """
    # -- solution --
    return len(s)


# -- tests --
assert string_length("cat") == 3
assert string_length("") == 0
assert string_length("a b") == 3
assert string_length("hello world") == 11
