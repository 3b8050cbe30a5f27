def sorted_keys(d: dict[str, int]) -> list[str]:
    """Return the keys of ``d`` in ascending (alphabetical) order.

    >>> sorted_keys({"b": 1, "a": 2})
    ['a', 'b']
    """
    # -- solution --
    return sorted(d)


# -- tests --
assert sorted_keys({"b": 1, "a": 2}) == ["a", "b"]
assert sorted_keys({}) == []
assert sorted_keys({"zeta": 0, "alpha": 0, "mid": 9}) == ["alpha", "mid", "zeta"]
assert sorted_keys({"B": 1, "a": 1}) == ["B", "a"]
