def swap_first_last_char(s: str) -> str:
    """Return ``s`` with its first and last characters exchanged (strings shorter than 2 are unchanged).

    >>> swap_first_last_char("hello")
    'oellh'
    """
    # -- solution --
    if len(s) < 2:
        return s
    return s[-1] + s[1:-1] + s[0]


# -- tests --
assert swap_first_last_char("hello") == "oellh"
assert swap_first_last_char("") == ""
assert swap_first_last_char("a") == "a"
assert swap_first_last_char("ab") == "ba"
assert swap_first_last_char("aba") == "aba"
