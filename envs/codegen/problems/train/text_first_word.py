def text_first_word(s: str) -> str:
    """Return the first whitespace-separated word of ``s``, or "" if ``s`` has no words.

    >>> text_first_word("  hello big world")
    'hello'
    """
    # -- solution --
    words = s.split()
    return words[0] if words else ""


# -- tests --
assert text_first_word("  hello big world") == "hello"
assert text_first_word("") == ""
assert text_first_word("   ") == ""
assert text_first_word("single") == "single"
assert text_first_word("a\tb") == "a"
