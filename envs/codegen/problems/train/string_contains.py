def string_contains(s: str, sub: str) -> bool:
    """Return True if ``sub`` occurs somewhere inside ``s`` (case-sensitive; "" occurs in every string).

    >>> string_contains("haystack", "st")
    True
    """
    # -- solution --
    return sub in s


# -- tests --
assert string_contains("haystack", "st") is True
assert string_contains("haystack", "needle") is False
assert string_contains("abc", "") is True
assert string_contains("", "a") is False
assert string_contains("Hello", "hello") is False
