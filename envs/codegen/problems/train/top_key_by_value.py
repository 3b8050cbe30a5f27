def top_key_by_value(d: dict[str, int]) -> str:
    """Return the key of ``d`` with the largest value.

    On a tie the alphabetically smallest key wins; return "" for an empty dict.

    >>> top_key_by_value({"a": 1, "b": 5, "c": 3})
    'b'
    """
    # -- solution --
    if not d:
        return ""
    return min(d, key=lambda k: (-d[k], k))


# -- tests --
assert top_key_by_value({"a": 1, "b": 5, "c": 3}) == "b"
assert top_key_by_value({}) == ""
assert top_key_by_value({"z": 2, "y": 2, "x": 1}) == "y"
assert top_key_by_value({"neg": -3}) == "neg"
