def split_letters_digits(s: str) -> tuple[str, str]:
    """Return a pair (letters of ``s``, digits of ``s``), each in their original order.

    Characters that are neither letters nor digits are dropped.

    >>> split_letters_digits("a1b2-c3")
    ('abc', '123')
    """
    # -- solution --
    letters = "".join(c for c in s if c.isalpha())
    digits = "".join(c for c in s if c.isdigit())
    return letters, digits


# -- tests --
assert split_letters_digits("a1b2-c3") == ("abc", "123")
assert split_letters_digits("") == ("", "")
assert split_letters_digits("abc") == ("abc", "")
assert split_letters_digits("2024!") == ("", "2024")
