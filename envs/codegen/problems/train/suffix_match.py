def suffix_match(s: str, suffixes: list[str]) -> bool:
    """Return True if ``s`` ends with at least one of the strings in ``suffixes`` (False for no suffixes).

    >>> suffix_match("photo.png", [".jpg", ".png"])
    True
    """
    # -- solution --
    return any(s.endswith(x) for x in suffixes)


# -- tests --
assert suffix_match("photo.png", [".jpg", ".png"]) is True
assert suffix_match("photo.gif", [".jpg", ".png"]) is False
assert suffix_match("photo.png", []) is False
assert suffix_match("abc", ["abc"]) is True
assert suffix_match("ab", ["xab"]) is False
