def word_frequencies(s: str) -> dict[str, int]:
    """Return a dict mapping each word of ``s`` to how often it occurs.

    Words are separated by whitespace and compared in lower case (the keys are lower case).

    >>> word_frequencies("the cat The dog")
    {'the': 2, 'cat': 1, 'dog': 1}
    """
    # -- solution --
    counts: dict[str, int] = {}
    for w in s.lower().split():
        counts[w] = counts.get(w, 0) + 1
    return counts


# -- tests --
assert word_frequencies("the cat The dog") == {"the": 2, "cat": 1, "dog": 1}
assert word_frequencies("") == {}
assert word_frequencies("a a a") == {"a": 3}
assert word_frequencies("Go  GO\tgo now") == {"go": 3, "now": 1}
