def tally_words_by_length(s: str) -> dict[int, int]:
    """Return a dict mapping each word length to how many whitespace-separated words of ``s`` have it.

    >>> tally_words_by_length("I am so happy")
    {1: 1, 2: 2, 5: 1}
    """
    # -- solution --
    counts: dict[int, int] = {}
    for w in s.split():
        counts[len(w)] = counts.get(len(w), 0) + 1
    return counts


# -- tests --
assert tally_words_by_length("I am so happy") == {1: 1, 2: 2, 5: 1}
assert tally_words_by_length("") == {}
assert tally_words_by_length("abc abc abc") == {3: 3}
assert tally_words_by_length(" x  yy ") == {1: 1, 2: 1}
