def string_rotate_left(s: str, k: int) -> str:
    """Rotate ``s`` left by ``k`` positions (``k >= 0``, may exceed ``len(s)``); "" stays "".

    >>> string_rotate_left("abcdef", 2)
    'cdefab'
    """
    # -- solution --
    if not s:
        return s
    k %= len(s)
    return s[k:] + s[:k]


# -- tests --
assert string_rotate_left("abcdef", 2) == "cdefab"
assert string_rotate_left("", 3) == ""
assert string_rotate_left("abc", 0) == "abc"
assert string_rotate_left("abc", 3) == "abc"
assert string_rotate_left("abc", 4) == "bca"
