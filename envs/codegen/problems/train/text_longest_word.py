def text_longest_word(s: str) -> str:
    """Return the longest whitespace-separated word of ``s``.

    On a tie the earliest such word wins; return "" when ``s`` has no words.

    >>> text_longest_word("a quick brown fox")
    'quick'
    """
    # -- solution --
    best = ""
    for w in s.split():
        if len(w) > len(best):
            best = w
    return best


# -- tests --
assert text_longest_word("a quick brown fox") == "quick"
assert text_longest_word("") == ""
assert text_longest_word("hi") == "hi"
assert text_longest_word("ab cd ef") == "ab"
assert text_longest_word("x  yyy zz") == "yyy"
