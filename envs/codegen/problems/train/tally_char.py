def tally_char(s: str, c: str) -> int:
    """Return how many times the single character ``c`` occurs in ``s`` (case-sensitive).

    >>> tally_char("banana", "a")
    3
    """
    # -- solution --
    return s.count(c)


# -- tests --
assert tally_char("banana", "a") == 3
assert tally_char("", "a") == 0
assert tally_char("Banana", "b") == 0
assert tally_char("a a a", " ") == 2
