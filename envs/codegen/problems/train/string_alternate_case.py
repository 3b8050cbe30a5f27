def string_alternate_case(s: str) -> str:
    """Return ``s`` with characters at even indices upper-cased and those at odd indices lower-cased.

    >>> string_alternate_case("hello")
    'HeLlO'
    """
    # -- solution --
    return "".join(c.upper() if i % 2 == 0 else c.lower() for i, c in enumerate(s))


# -- tests --
assert string_alternate_case("hello") == "HeLlO"
assert string_alternate_case("") == ""
assert string_alternate_case("ABCD") == "AbCd"
assert string_alternate_case("a b") == "A B"
