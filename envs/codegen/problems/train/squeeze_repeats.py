def squeeze_repeats(s: str) -> str:
    """Return ``s`` with every run of the same character collapsed to one copy of it.

    >>> squeeze_repeats("aaabccdaa")
    'abcda'
    """
    # -- solution --
    out = ""
    for c in s:
        if not out or out[-1] != c:
            out += c
    return out


# -- tests --
assert squeeze_repeats("aaabccdaa") == "abcda"
assert squeeze_repeats("") == ""
assert squeeze_repeats("abc") == "abc"
assert squeeze_repeats("zzzz") == "z"
assert squeeze_repeats("aAaa") == "aAa"
