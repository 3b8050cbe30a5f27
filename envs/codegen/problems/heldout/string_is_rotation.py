def string_is_rotation(a: str, b: str) -> bool:
    """Return True if ``b`` can be obtained by rotating ``a`` (moving some prefix of ``a`` to its end).

    Strings of different lengths are never rotations; "" is a rotation of "".

    >>> string_is_rotation("waterbottle", "erbottlewat")
    True
    """
    # -- solution --
    return len(a) == len(b) and b in a + a


# -- tests --
assert string_is_rotation("waterbottle", "erbottlewat") is True
assert string_is_rotation("", "") is True
assert string_is_rotation("abc", "acb") is False
assert string_is_rotation("abc", "ab") is False
assert string_is_rotation("aab", "baa") is True
