def string_repeat(s: str, n: int) -> str:
    """Return ``s`` repeated ``n`` times ("" when ``n`` is 0 or negative).

    >>> string_repeat("ab", 3)
    'ababab'
    """
    # -- solution --
    return s * n


# -- tests --
assert string_repeat("ab", 3) == "ababab"
assert string_repeat("x", 0) == ""
assert string_repeat("x", -2) == ""
assert string_repeat("", 5) == ""
assert string_repeat("hi ", 2) == "hi hi "
