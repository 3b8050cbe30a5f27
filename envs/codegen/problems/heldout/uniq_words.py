def uniq_words(s: str) -> list[str]:
    """Return the distinct whitespace-separated words of ``s`` in alphabetical order (case-sensitive).

    >>> uniq_words("b a b c")
    ['a', 'b', 'c']
    """
    # -- solution --
    return sorted(set(s.split()))


# -- tests --
assert uniq_words("b a b c") == ["a", "b", "c"]
assert uniq_words("") == []
assert uniq_words("one") == ["one"]
assert uniq_words("Go go  GO go") == ["GO", "Go", "go"]
