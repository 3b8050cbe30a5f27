def text_is_blank(s: str) -> bool:
    """Return True if ``s`` is empty or contains only whitespace, False otherwise.

    >>> text_is_blank("   ")
    True
    """
    # -- solution --
    return s.strip() == ""


# -- tests --
assert text_is_blank("  \t ") is True
assert text_is_blank("") is True
assert text_is_blank(" a ") is False
assert text_is_blank("\n") is True
assert text_is_blank(".") is False
