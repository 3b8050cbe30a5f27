def words_joined(words: list[str], sep: str) -> str:
    """Return the strings in ``words`` joined with ``sep`` between neighbours ("" for no words).

    >>> words_joined(["a", "b", "c"], ", ")
    'a, b, c'
    """
    # -- solution --
    return sep.join(words)


# -- tests --
assert words_joined(["a", "b", "c"], ", ") == "a, b, c"
assert words_joined([], "-") == ""
assert words_joined(["solo"], "+") == "solo"
assert words_joined(["x", "y"], "") == "xy"
