def to_snake_case(s: str) -> str:
    """Convert the camelCase name ``s`` to snake_case.

    Every upper-case letter except one at the very start gets a ``_`` in front of it, and the
    whole result is lower case.

    >>> to_snake_case("maxLineLength")
    'max_line_length'
    """
    # -- solution --
    out = ""
    for i, c in enumerate(s):
        if c.isupper() and i > 0:
            out += "_"
        out += c.lower()
    return out


# -- tests --
assert to_snake_case("maxLineLength") == "max_line_length"
assert to_snake_case("") == ""
assert to_snake_case("word") == "word"
assert to_snake_case("Word") == "word"
assert to_snake_case("getID") == "get_i_d"
