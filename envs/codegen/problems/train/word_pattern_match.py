def word_pattern_match(pattern: str, s: str) -> bool:
    """Return True if the whitespace-separated words of ``s`` follow ``pattern`` one-to-one.

    There must be one word per pattern letter, equal letters must match equal words, and
    different letters must match different words.

    >>> word_pattern_match("abba", "dog cat cat dog")
    True
    """
    # -- solution --
    words = s.split()
    if len(words) != len(pattern):
        return False
    return len(set(pattern)) == len(set(words)) == len(set(zip(pattern, words)))


# -- tests --
assert word_pattern_match("abba", "dog cat cat dog") is True
assert word_pattern_match("abba", "dog cat cat fish") is False
assert word_pattern_match("aaaa", "dog cat cat dog") is False
assert word_pattern_match("abba", "dog dog dog dog") is False
assert word_pattern_match("ab", "dog") is False
assert word_pattern_match("", "") is True
