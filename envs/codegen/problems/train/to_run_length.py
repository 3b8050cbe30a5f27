def to_run_length(s: str) -> str:
    """Run-length encode ``s``: each run of a repeated character becomes its length then the character.

    >>> to_run_length("aaabcc")
    '3a1b2c'
    """
    # -- solution --
    out = ""
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        out += f"{j - i}{s[i]}"
        i = j
    return out


# -- tests --
assert to_run_length("aaabcc") == "3a1b2c"
assert to_run_length("") == ""
assert to_run_length("a") == "1a"
assert to_run_length("aaaaaaaaaaaa") == "12a"
assert to_run_length("abab") == "1a1b1a1b"
