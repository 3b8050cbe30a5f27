def string_is_pangram(s: str) -> bool:
    """Return True if every letter from a to z occurs in ``s`` at least once, ignoring case.

    >>> string_is_pangram("The quick brown fox jumps over the lazy dog")
    True
    """
    # -- solution --
    return set("abcdefghijklmnopqrstuvwxyz") <= set(s.lower())


# -- tests --
assert string_is_pangram("The quick brown fox jumps over the lazy dog") is True
assert string_is_pangram("") is False
assert string_is_pangram("abcdefghijklmnopqrstuvwxy") is False
assert string_is_pangram("ZYXWVUTSRQPONMLKJIHGFEDCBA") is True
