def union_dicts(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    """Return a new dict with all entries of ``a`` and ``b``; for keys in both, ``b``'s value wins.

    Neither input is modified.

    >>> union_dicts({"x": 1, "y": 2}, {"y": 3})
    {'x': 1, 'y': 3}
    """
    # -- solution --
    return {**a, **b}


# -- tests --
assert union_dicts({"x": 1, "y": 2}, {"y": 3}) == {"x": 1, "y": 3}
assert union_dicts({}, {}) == {}
assert union_dicts({"a": 1}, {}) == {"a": 1}
assert union_dicts({}, {"b": 2}) == {"b": 2}
assert union_dicts({"a": 1, "b": 2}, {"c": 3, "a": 0}) == {"a": 0, "b": 2, "c": 3}
