def to_char_list(s: str) -> list[str]:
    """Return the characters of ``s`` as a list of one-character strings.

    >>> to_char_list("abc")
    ['a', 'b', 'c']
    """
    # -- solution --
    return list(s)


# -- tests --
assert to_char_list("abc") == ["a", "b", "c"]
assert to_char_list("") == []
assert to_char_list("a a") == ["a", " ", "a"]
assert to_char_list("zz") == ["z", "z"]
