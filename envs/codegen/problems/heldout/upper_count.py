def upper_count(s: str) -> int:
    """Return how many characters of ``s`` are upper-case letters.

    >>> upper_count("Hello World")
    2
    """
    # -- solution --
    return sum(1 for c in s if c.isupper())


# -- tests --
assert upper_count("Hello World") == 2
assert upper_count("") == 0
assert upper_count("ABC def") == 3
assert upper_count("123!") == 0
