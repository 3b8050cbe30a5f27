def snake_to_kebab(s: str) -> str:
    """Return the snake_case name ``s`` written in kebab-case (every ``_`` becomes ``-``).

    >>> snake_to_kebab("max_line_length")
    'max-line-length'
    """
    # -- solution --
    return s.replace("_", "-")


# -- tests --
assert snake_to_kebab("max_line_length") == "max-line-length"
assert snake_to_kebab("") == ""
assert snake_to_kebab("plain") == "plain"
assert snake_to_kebab("_private") == "-private"
