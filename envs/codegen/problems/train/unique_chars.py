def unique_chars(s: str) -> str:
    """Return the distinct characters of ``s`` in order of their first appearance.

    >>> unique_chars("banana")
    'ban'
    """
    # -- solution --
    return "".join(dict.fromkeys(s))


# -- tests --
assert unique_chars("banana") == "ban"
assert unique_chars("") == ""
assert unique_chars("abc") == "abc"
assert unique_chars("aAaA") == "aA"
assert unique_chars("mississippi") == "misp"
