def to_title_case(s: str) -> str:
    """Return ``s`` with each space-separated word capitalized: first letter upper, rest lower.

    Spaces are kept exactly as they are.

    >>> to_title_case("hello wORLD")
    'Hello World'
    """
    # -- solution --
    return " ".join(w.capitalize() for w in s.split(" "))


# -- tests --
assert to_title_case("hello wORLD") == "Hello World"
assert to_title_case("") == ""
assert to_title_case("a  b") == "A  B"
assert to_title_case("PYTHON") == "Python"
assert to_title_case("it's fine") == "It's Fine"
