def swap_keys_values(d: dict[str, int]) -> dict[int, str]:
    """Return a new dict mapping each value of ``d`` to its key.

    When several keys share a value, the key that comes last in ``d`` wins.

    >>> swap_keys_values({"a": 1, "b": 2})
    {1: 'a', 2: 'b'}
    """
    # -- solution --
    return {v: k for k, v in d.items()}


# -- tests --
assert swap_keys_values({"a": 1, "b": 2}) == {1: "a", 2: "b"}
assert swap_keys_values({}) == {}
assert swap_keys_values({"a": 1, "b": 1}) == {1: "b"}
assert swap_keys_values({"x": -3}) == {-3: "x"}
