def zip_to_dict(keys: list[str], values: list[int]) -> dict[str, int]:
    """Return a dict pairing ``keys[i]`` with ``values[i]``.

    Extra items in the longer list are ignored; a repeated key keeps its last value.

    >>> zip_to_dict(["a", "b"], [1, 2])
    {'a': 1, 'b': 2}
    """
    # -- solution --
    return dict(zip(keys, values))


# -- tests --
assert zip_to_dict(["a", "b"], [1, 2]) == {"a": 1, "b": 2}
assert zip_to_dict([], [1, 2]) == {}
assert zip_to_dict(["a", "b", "c"], [1]) == {"a": 1}
assert zip_to_dict(["a", "a"], [1, 2]) == {"a": 2}
