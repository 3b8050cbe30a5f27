def word_lengths(s: str) -> list[int]:
    """Return the length of each whitespace-separated word of ``s``, in order.

    >>> word_lengths("I love cats")
    [1, 4, 4]
    """
    # -- solution --
    return [len(w) for w in s.split()]


# -- tests --
assert word_lengths("I love cats") == [1, 4, 4]
assert word_lengths("") == []
assert word_lengths("  spaced   out ") == [6, 3]
assert word_lengths("a-b c") == [3, 1]
