def unpack_run_length(s: str) -> str:
    """Decode a run-length string such as "3a1b2c" (a count, possibly several digits, then a non-digit character).

    >>> unpack_run_length("3a1b2c")
    'aaabcc'
    """
    # -- solution --
    out, num = "", ""
    for c in s:
        if c.isdigit():
            num += c
        else:
            out += c * int(num)
            num = ""
    return out


# -- tests --
assert unpack_run_length("3a1b2c") == "aaabcc"
assert unpack_run_length("") == ""
assert unpack_run_length("12x") == "xxxxxxxxxxxx"
assert unpack_run_length("1a1b1a") == "aba"
assert unpack_run_length("2 3!") == "  !!!"
