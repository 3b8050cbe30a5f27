def swap_case(s: str) -> str:
    """Return ``s`` with upper-case letters made lower case and lower-case letters made upper case.

    >>> swap_case("Hello World")
    'hELLO wORLD'
    """
    # -- solution --
    return s.swapcase()


# -- tests --
assert swap_case("Hello World") == "hELLO wORLD"
assert swap_case("") == ""
assert swap_case("abc123") == "ABC123"
assert swap_case("XyZ") == "xYz"
