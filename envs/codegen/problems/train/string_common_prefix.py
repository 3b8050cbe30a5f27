def string_common_prefix(words: list[str]) -> str:
    """Return the longest string that every string in ``words`` starts with ("" for an empty list).

    >>> string_common_prefix(["flower", "flow", "flight"])
    'fl'
    """
    # -- solution --
    if not words:
        return ""
    prefix = words[0]
    for w in words[1:]:
        while not w.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


# -- tests --
assert string_common_prefix(["flower", "flow", "flight"]) == "fl"
assert string_common_prefix([]) == ""
assert string_common_prefix(["alone"]) == "alone"
assert string_common_prefix(["dog", "cat"]) == ""
assert string_common_prefix(["abc", "ab", "abcd"]) == "ab"
