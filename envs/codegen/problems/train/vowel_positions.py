def vowel_positions(s: str) -> list[int]:
    """Return the indices of the vowels (a, e, i, o, u, either case) in ``s``, in increasing order.

    >>> vowel_positions("Hello")
    [1, 4]
    """
    # -- solution --
    return [i for i, c in enumerate(s) if c.lower() in "aeiou"]


# -- tests --
assert vowel_positions("Hello") == [1, 4]
assert vowel_positions("") == []
assert vowel_positions("xyz") == []
assert vowel_positions("AEb") == [0, 1]
assert vowel_positions("a a") == [0, 2]
