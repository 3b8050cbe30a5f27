def vowels_removed(s: str) -> str:
    """Return ``s`` without its vowels (a, e, i, o, u in either case); other characters stay in order.

    >>> vowels_removed("Programming Is Fun")
    'Prgrmmng s Fn'
    """
    # -- solution --
    return "".join(c for c in s if c.lower() not in "aeiou")


# -- tests --
assert vowels_removed("Programming Is Fun") == "Prgrmmng s Fn"
assert vowels_removed("") == ""
assert vowels_removed("AEIOUaeiou") == ""
assert vowels_removed("xyz") == "xyz"
