def sorted_by_length(words: list[str]) -> list[str]:
    """Return ``words`` sorted from shortest to longest; words of equal length keep their order.

    >>> sorted_by_length(["ccc", "a", "bb"])
    ['a', 'bb', 'ccc']
    """
    # -- solution --
    return sorted(words, key=len)


# -- tests --
assert sorted_by_length(["ccc", "a", "bb"]) == ["a", "bb", "ccc"]
assert sorted_by_length([]) == []
assert sorted_by_length(["bb", "aa", "c"]) == ["c", "bb", "aa"]
assert sorted_by_length(["same", "size"]) == ["same", "size"]
