def value_or_default(d: dict[str, int], key: str, default: int) -> int:
    """Return ``d[key]`` if ``key`` is in ``d``, otherwise ``default``.

    >>> value_or_default({"a": 1}, "a", 0)
    1
    """
    # -- solution --
    return d.get(key, default)


# -- tests --
assert value_or_default({"a": 1}, "a", 0) == 1
assert value_or_default({"a": 1}, "b", 0) == 0
assert value_or_default({}, "x", -7) == -7
assert value_or_default({"x": 0}, "x", 5) == 0
