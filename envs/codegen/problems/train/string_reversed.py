def string_reversed(s: str) -> str:
    """Return ``s`` with its characters in reverse order.

    >>> string_reversed("abc")
    'cba'
    """
    # -- solution --
    return s[::-1]


# -- tests --
assert string_reversed("abc") == "cba"
assert string_reversed("") == ""
assert string_reversed("x") == "x"
assert string_reversed("hello world") == "dlrow olleh"
