def vowel_count(s: str) -> int:
    """Return how many characters of ``s`` are vowels (a, e, i, o, u, upper or lower case).

    >>> vowel_count("Education")
    5
    """
    # -- solution --
    return sum(1 for c in s.lower() if c in "aeiou")


# -- tests --
assert vowel_count("Education") == 5
assert vowel_count("") == 0
assert vowel_count("rhythm") == 0
assert vowel_count("AEIOU aeiou") == 10
assert vowel_count("hello world") == 3
