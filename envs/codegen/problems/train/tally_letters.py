def tally_letters(s: str) -> dict[str, int]:
    """Return a dict counting the letters of ``s``, case-insensitively, keyed by lower-case letter.

    Characters that are not letters are ignored.

    >>> tally_letters("Aab!")
    {'a': 2, 'b': 1}
    """
    # -- solution --
    counts: dict[str, int] = {}
    for c in s.lower():
        if c.isalpha():
            counts[c] = counts.get(c, 0) + 1
    return counts


# -- tests --
assert tally_letters("Aab!") == {"a": 2, "b": 1}
assert tally_letters("") == {}
assert tally_letters("123 ?!") == {}
assert tally_letters("Hello") == {"h": 1, "e": 1, "l": 2, "o": 1}
