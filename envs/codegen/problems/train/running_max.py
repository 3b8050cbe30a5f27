def running_max(xs: list[int]) -> list[int]:
    """Return a list whose ``i``-th element is the largest of ``xs[0]`` .. ``xs[i]``.

    >>> running_max([1, 3, 2, 5, 4])
    [1, 3, 3, 5, 5]
    """
    # -- solution --
    out = []
    for x in xs:
        out.append(x if not out or x > out[-1] else out[-1])
    return out


# -- tests --
assert running_max([1, 3, 2, 5, 4]) == [1, 3, 3, 5, 5]
assert running_max([]) == []
assert running_max([7]) == [7]
assert running_max([5, 4, 3]) == [5, 5, 5]
assert running_max([-3, -5, -1]) == [-3, -3, -1]
