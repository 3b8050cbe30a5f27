def string_is_anagram(a: str, b: str) -> bool:
    """Return True if ``a`` and ``b`` use exactly the same letters, ignoring spaces and case.

    >>> string_is_anagram("Dormitory", "dirty room")
    True
    """
    # -- solution --
    return sorted(a.replace(" ", "").lower()) == sorted(b.replace(" ", "").lower())


# -- tests --
assert string_is_anagram("Dormitory", "dirty room") is True
assert string_is_anagram("", "") is True
assert string_is_anagram("abc", "abd") is False
assert string_is_anagram("aab", "abb") is False
assert string_is_anagram("Listen", "Silent") is True
