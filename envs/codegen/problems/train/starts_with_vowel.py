def starts_with_vowel(s: str) -> bool:
    """Return True if ``s`` starts with a vowel (a, e, i, o, u, either case); False otherwise, also for "".

    >>> starts_with_vowel("Apple")
    True
    """
    # -- solution --
    return s[:1].lower() in ("a", "e", "i", "o", "u")


# -- tests --
assert starts_with_vowel("Apple") is True
assert starts_with_vowel("banana") is False
assert starts_with_vowel("") is False
assert starts_with_vowel("umbrella") is True
assert starts_with_vowel("yes") is False
