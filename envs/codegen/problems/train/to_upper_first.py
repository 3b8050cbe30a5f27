def to_upper_first(s: str) -> str:
    """Return ``s`` with its first character upper-cased and the rest unchanged ("" stays "").

    >>> to_upper_first("hello World")
    'Hello World'
    """
    # -- solution --
    return s[:1].upper() + s[1:]


# -- tests --
assert to_upper_first("hello World") == "Hello World"
assert to_upper_first("") == ""
assert to_upper_first("a") == "A"
assert to_upper_first("ABC") == "ABC"
assert to_upper_first("1st place") == "1st place"
