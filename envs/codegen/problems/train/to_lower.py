def to_lower(s: str) -> str:
    """Return ``s`` with all letters in lower case.

    >>> to_lower("Hello, World")
    'hello, world'
    """
    # -- solution --
    return s.lower()


# -- tests --
assert to_lower("Hello, World") == "hello, world"
assert to_lower("") == ""
assert to_lower("ABC123") == "abc123"
assert to_lower("already") == "already"
