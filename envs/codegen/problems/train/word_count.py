def word_count(s: str) -> int:
    """Return the number of words in ``s``; words are separated by any run of whitespace.

    >>> word_count("the quick  brown fox")
    4
    """
    # -- solution --
    return len(s.split())


# -- tests --
assert word_count("the quick  brown fox") == 4
assert word_count("") == 0
assert word_count("   ") == 0
assert word_count("one") == 1
assert word_count(" a\tb\nc ") == 3
