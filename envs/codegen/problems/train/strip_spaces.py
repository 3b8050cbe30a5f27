def strip_spaces(s: str) -> str:
    """Return ``s`` with every space character ``" "`` removed (other characters are kept).

    >>> strip_spaces(" a b  c ")
    'abc'
    """
    # -- solution --
    return s.replace(" ", "")


# -- tests --
assert strip_spaces(" a b  c ") == "abc"
assert strip_spaces("") == ""
assert strip_spaces("   ") == ""
assert strip_spaces("no-spaces") == "no-spaces"
assert strip_spaces("a\tb c") == "a\tbc"
