def string_is_palindrome(s: str) -> bool:
    """Return True if ``s`` reads the same forwards and backwards (exact characters, case matters).

    >>> string_is_palindrome("level")
    True
    """
    # -- solution --
    return s == s[::-1]


# -- tests --
assert string_is_palindrome("level") is True
assert string_is_palindrome("") is True
assert string_is_palindrome("ab") is False
assert string_is_palindrome("Aa") is False
assert string_is_palindrome("abba") is True
