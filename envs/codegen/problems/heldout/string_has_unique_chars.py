def string_has_unique_chars(s: str) -> bool:
    """Return True if no character occurs more than once in ``s`` (case-sensitive; True for "").

    >>> string_has_unique_chars("abc")
    True
    """
    # -- solution --
    return len(set(s)) == len(s)


# -- tests --
assert string_has_unique_chars("abc") is True
assert string_has_unique_chars("") is True
assert string_has_unique_chars("abca") is False
assert string_has_unique_chars("aA") is True
assert string_has_unique_chars("  ") is False
