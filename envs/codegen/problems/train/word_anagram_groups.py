def word_anagram_groups(words: list[str]) -> list[list[str]]:
    """Group ``words`` that are anagrams of each other (same letters, any order).

    Each group keeps the input order of its words, and the groups are ordered by where their
    first word appears.

    >>> word_anagram_groups(["eat", "tea", "tan", "ate"])
    [['eat', 'tea', 'ate'], ['tan']]
    """
    # -- solution --
    groups: dict[str, list[str]] = {}
    for w in words:
        groups.setdefault("".join(sorted(w)), []).append(w)
    return list(groups.values())


# -- tests --
assert word_anagram_groups(["eat", "tea", "tan", "ate"]) == [["eat", "tea", "ate"], ["tan"]]
assert word_anagram_groups([]) == []
assert word_anagram_groups(["a"]) == [["a"]]
assert word_anagram_groups(["ab", "ba", "ab"]) == [["ab", "ba", "ab"]]
assert word_anagram_groups(["bat", "tab", "cat", "act", "x"]) == [["bat", "tab"], ["cat", "act"], ["x"]]
