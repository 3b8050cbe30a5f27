def snake_to_camel(s: str) -> str:
    """Convert the snake_case name ``s`` to camelCase.

    Split ``s`` on ``_``; the first part is kept as is, each later part gets its first letter
    upper-cased and the rest lower-cased, and the parts are joined without separators.

    >>> snake_to_camel("max_line_length")
    'maxLineLength'
    """
    # -- solution --
    parts = s.split("_")
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


# -- tests --
assert snake_to_camel("max_line_length") == "maxLineLength"
assert snake_to_camel("") == ""
assert snake_to_camel("word") == "word"
assert snake_to_camel("get_HTTP_code") == "getHttpCode"
assert snake_to_camel("a_b") == "aB"
