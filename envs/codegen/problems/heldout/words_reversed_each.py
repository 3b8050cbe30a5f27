def words_reversed_each(s: str) -> str:
    """Reverse the letters of every whitespace-separated word of ``s``, keeping the word order.

    The words of the result are separated by single spaces.

    >>> words_reversed_each("hello big world")
    'olleh gib dlrow'
    """
    # -- solution --
    return " ".join(w[::-1] for w in s.split())


# -- tests --
assert words_reversed_each("hello big world") == "olleh gib dlrow"
assert words_reversed_each("") == ""
assert words_reversed_each("a") == "a"
assert words_reversed_each("  ab   cd ") == "ba dc"
