def to_int_list(s: str) -> list[int]:
    """Parse a comma-separated string of integers such as ``"1, -2,3"`` into a list of ints.

    Spaces around numbers are allowed; an empty or all-space string gives [].

    >>> to_int_list("1, -2,3")
    [1, -2, 3]
    """
    # -- solution --
    if not s.strip():
        return []
    return [int(part) for part in s.split(",")]


# -- tests --
assert to_int_list("1, -2,3") == [1, -2, 3]
assert to_int_list("") == []
assert to_int_list("   ") == []
assert to_int_list("42") == [42]
assert to_int_list(" 7 , 0 ") == [7, 0]
